"""KL estimators between the policy and the frozen reference, per token, and the fold of KL into the reward.

With d_t = log π_θ(y_t) − log π_ref(y_t) on tokens sampled from π_θ (Schulman, "Approximating KL divergence"):

    k1 = d                                   unbiased for KL(π_θ ‖ π_ref), can be negative
    k2 = ½ d²                                ≥ 0, biased; REINFORCE++'s recent choice
    k3 = exp(−d) − (−d) − 1 = π_ref/π_θ − log(π_ref/π_θ) − 1    ≥ 0, unbiased; GRPO's choice

Departure: for k3 the log-ratio x = −d is clamped to [−20, 20] before exp (verl clamps similarly) so a
token where π_θ puts almost no mass on what π_ref likes cannot overflow to inf; x is clamped in both terms,
so k3 = e^x − x − 1 stays ≥ 0, and beyond the clamp the token's gradient is 0. k1 and k2 are polynomials
and are not clamped.

kl_in_reward folds the KL into the reward at the sequence level (instead of adding β·KL to the loss):
    r_i ← r_i − β · Σ_t m_it KL_it
The KL is detached there: a reward is a constant for the policy gradient.
"""

from __future__ import annotations

import torch
from torch import Tensor

LOG_RATIO_CLAMP = 20.0


def _k1(d: Tensor) -> Tensor:
    return d


def _k2(d: Tensor) -> Tensor:
    return 0.5 * d.square()


def _k3(d: Tensor) -> Tensor:
    x = (-d).clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)  # log(π_ref / π_θ)
    return torch.expm1(x) - x  # e^x − 1 − x, accurate near x = 0


KL_ESTIMATORS = {"k1": _k1, "k2": _k2, "k3": _k3}


def _bool_mask(mask: Tensor) -> Tensor:
    return mask if mask.dtype == torch.bool else mask != 0


def kl_penalty(logprobs: Tensor, ref_logprobs: Tensor, estimator: str = "k3", *,
               mask: Tensor | None = None) -> Tensor:
    """Per-token KL estimate (B, T). With `mask`, masked entries are exactly 0 and cannot leak NaN/inf."""
    if estimator not in KL_ESTIMATORS:
        raise ValueError(f"unknown KL estimator '{estimator}' (valid: {', '.join(KL_ESTIMATORS)})")
    if ref_logprobs.shape != logprobs.shape:
        raise ValueError(f"logprobs {tuple(logprobs.shape)} and ref_logprobs {tuple(ref_logprobs.shape)} differ in shape")
    ref = ref_logprobs.detach().to(logprobs.dtype)
    if mask is None:
        return KL_ESTIMATORS[estimator](logprobs - ref)
    m = _bool_mask(mask)
    d = torch.where(m, logprobs, 0.0) - torch.where(m, ref, 0.0)
    return torch.where(m, KL_ESTIMATORS[estimator](d), 0.0)


def kl_in_reward(rewards: Tensor, kl: Tensor, beta: float, mask: Tensor) -> Tensor:
    """Sequence rewards minus β times each response's summed token KL.

    rewards: any shape S holding one reward per response, e.g. (P, G) or (B,); kl and mask: (B, T) with
    B = rewards.numel() rows in the order of rewards.flatten() (row-major: prompt-major, sample-minor).
    Returns a tensor shaped like `rewards`.
    """
    if kl.shape != mask.shape or kl.dim() != 2:
        raise ValueError(f"kl and mask must share one (B, T) shape, got {tuple(kl.shape)} and {tuple(mask.shape)}")
    if kl.shape[0] != rewards.numel():
        raise ValueError(f"kl has {kl.shape[0]} rows but there are {rewards.numel()} rewards")
    seq_kl = torch.where(_bool_mask(mask), kl.detach(), 0.0).sum(dim=1)
    rewards = rewards if rewards.is_floating_point() else rewards.to(seq_kl.dtype)
    return rewards - beta * seq_kl.to(rewards.dtype).reshape(rewards.shape)
