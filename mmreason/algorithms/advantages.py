"""Advantage estimators: group rewards (P, G) -> one advantage per response (P, G), plus metrics.

P prompts with G sampled responses each; group statistics are taken along dim 1 (mean_g, std_g).
Every estimator has the signature `fn(rewards, *, <its own options>) -> (advantages, metrics)` and is registered
in ADVANTAGES by name; only grpo and reinforce_pp take `eps` (the trainer offers each what it declares). The advantage of a response is later broadcast to all of its tokens by the loss.

    grpo          A_i = (r_i − mean_g(r)) / (std_g(r) + eps)                  DeepSeekMath, DeepSeek-R1
    dr_grpo       A_i = r_i − mean_g(r)                                       Dr. GRPO (arXiv 2503.20783)
    rloo          A_i = r_i − mean_{j≠i} r_j  =  G/(G−1) · (r_i − mean_g(r))  RLOO
    reinforce_pp  c_i = r_i − mean_g(r);  A_i = c_i / (std_batch(c) + eps)    REINFORCE++ with baseline
    kimi          A_i = r_i − mean_g(r)                                       Kimi k1.5 (arXiv 2501.12599)

Conventions, and where they depart from the papers or reference code:
- std is torch's default *unbiased* estimator (divides by N − 1), as in TRL's GRPOTrainer, verl, EasyR1 and
  OpenRLHF's group norm (`tensor.std(dim)`). The papers write "std" without saying which.
- Zero-variance groups (all G rewards exactly equal, including every group when G = 1) get advantage
  exactly 0 in every estimator, set with torch.where rather than left to r − mean cancelling: the float
  mean of equal values can be one ulp off, and grpo would then divide that residue by (0 + eps). Exact
  zeros make such groups contribute exactly nothing to the policy gradient. (Whether their tokens still
  count in the loss denominators is the aggregation's business; DAPO's dynamic sampling removes them.)
- G = 1: the unbiased std is undefined and there is no leave-one-out baseline; all estimators return 0.
- reinforce_pp: OpenRLHF whitens the advantages over all response *tokens* of the batch (population
  variance, so a response weighs by its length). This function sees only rewards, so it normalises over the
  P·G responses (unbiased std). The batch mean of the group-centred values is 0 by construction, so the
  "subtract the global mean" step of whitening is a no-op and is skipped.
- kimi and dr_grpo compute the same numbers; both names exist so that a config reads like the paper it
  reproduces.
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import ADVANTAGES


def _as_rewards(rewards: Tensor) -> Tensor:
    if rewards.dim() != 2:
        raise ValueError(f"rewards must have shape (P, G), got {tuple(rewards.shape)}")
    return rewards if rewards.is_floating_point() else rewards.float()


def _zero_std_groups(rewards: Tensor) -> Tensor:
    """(P,) True where every reward of the group equals the first one exactly (NaN never equals)."""
    return (rewards == rewards[:, :1]).all(dim=1)


def _centered(rewards: Tensor) -> Tensor:
    return rewards - rewards.mean(dim=1, keepdim=True)


def _finish(adv: Tensor, rewards: Tensor) -> tuple[Tensor, dict]:
    """Zero the zero-variance groups exactly and compute the metrics."""
    zero = _zero_std_groups(rewards)
    adv = torch.where(zero[:, None], torch.zeros_like(adv), adv)
    with torch.no_grad():
        metrics = {
            "adv/mean": adv.mean().item(),
            "adv/std": adv.std(correction=0).item(),  # population std: defined for a single value too
            "adv/max": adv.max().item(),
            "adv/min": adv.min().item(),
            "frac_zero_std_groups": zero.float().mean().item(),
        }
    return adv, metrics


@ADVANTAGES.register("grpo")
def grpo(rewards: Tensor, *, eps: float = 1e-6) -> tuple[Tensor, dict]:
    """(r − mean_g) / (unbiased std_g + eps)."""
    rewards = _as_rewards(rewards)
    if rewards.shape[1] < 2:
        return _finish(torch.zeros_like(rewards), rewards)
    std = rewards.std(dim=1, keepdim=True)  # unbiased (N − 1)
    return _finish(_centered(rewards) / (std + eps), rewards)


@ADVANTAGES.register("dr_grpo")
def dr_grpo(rewards: Tensor) -> tuple[Tensor, dict]:
    """r − mean_g (no std division)."""
    rewards = _as_rewards(rewards)
    return _finish(_centered(rewards), rewards)


@ADVANTAGES.register("rloo")
def rloo(rewards: Tensor) -> tuple[Tensor, dict]:
    """r_i − mean of the other G − 1 rewards of the group; 0 when G = 1."""
    rewards = _as_rewards(rewards)
    g = rewards.shape[1]
    if g < 2:
        return _finish(torch.zeros_like(rewards), rewards)
    baseline = (rewards.sum(dim=1, keepdim=True) - rewards) / (g - 1)
    return _finish(rewards - baseline, rewards)


@ADVANTAGES.register("reinforce_pp")
def reinforce_pp(rewards: Tensor, *, eps: float = 1e-6) -> tuple[Tensor, dict]:
    """(r − mean_g) / (unbiased std over all P·G group-centred values + eps)."""
    rewards = _as_rewards(rewards)
    zero = _zero_std_groups(rewards)
    centered = torch.where(zero[:, None], torch.zeros_like(rewards), _centered(rewards))
    std = centered.std() if centered.numel() > 1 else centered.new_zeros(())
    return _finish(centered / (std + eps), rewards)


@ADVANTAGES.register("kimi")
def kimi(rewards: Tensor) -> tuple[Tensor, dict]:
    """r − mean_g: Kimi k1.5's group-mean baseline."""
    rewards = _as_rewards(rewards)
    return _finish(_centered(rewards), rewards)


def normalize_per_label(advantages: Tensor, labels: list[str], eps: float = 1e-6) -> tuple[Tensor, dict]:
    """Rescale each label's advantages (e.g. each data source's groups) to unit population std over its P_l·G
    values, so every source weighs the same in the update whatever its reward scale or how many of its groups are
    informative. advantages (P, G), labels (P,); a label whose advantages are all 0 stays 0."""
    if advantages.dim() != 2 or len(labels) != advantages.shape[0]:
        raise ValueError(f"need (P, G) advantages and P labels, got {tuple(advantages.shape)} and {len(labels)}")
    out = advantages.clone()
    metrics = {}
    for label in sorted(set(labels)):
        rows = torch.tensor([i for i, x in enumerate(labels) if x == label])
        std = advantages[rows].std(correction=0)
        if float(std) > 0:
            out[rows] = advantages[rows] / (std + eps)
        metrics[f"adv/std_before/{label}"] = float(std)
    return out, metrics
