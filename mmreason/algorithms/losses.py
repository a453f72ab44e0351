"""Per-token policy losses, registered in POLICY_LOSSES by name.

Every loss takes the same four tensors, its own hyper-parameters and optional importance weights:

    fn(logprobs (B, T), old_logprobs (B, T), advantages (B,) or (B, T) [per token: GAE], mask (B, T), *,
       <its options>, is_weights=None) -> (per_token_loss (B, T), metrics)

ppo_clip and gspo take clip_low / clip_high, kimi takes kimi_tau; the trainer binds what each declares. The per-token loss is reduced to a scalar by an
aggregation (aggregation.py). Notation: log-ratio δ_t = logprobs_t − old_logprobs_t, ρ_t = exp(δ_t),
A = advantages[i] broadcast over the tokens of response i, ε_low / ε_high = clip_low / clip_high.

ppo_clip  l_t = −min(ρ_t A, clip(ρ_t, 1 − ε_low, 1 + ε_high) A)
          PPO/GRPO surrogate with DAPO's decoupled clip ("clip-higher": ε_high = 0.28, ε_low = 0.2).
          No dual clip: for A < 0 and ρ ≫ 1 the loss is unbounded, as in GRPO/DAPO.
gspo      s_i = exp(Σ_t m δ_t / n_i)  (GSPO's length-normalised sequence ratio, arXiv 2507.18071)
          token form s_{i,t} = sg[s_i] · exp(logprobs_t − sg[logprobs_t])   (sg = stop-gradient)
          l_t = −min(s_{i,t} A, clip(s_{i,t}, 1 − ε_low, 1 + ε_high) A)
          Every token of a response carries the value of the sequence loss and the gradient
          ∇s_{i,t} = s_i ∇logprobs_t, so the per-sequence token *mean* (aggregation `seq_mean_token_mean`)
          reproduces the paper's (1/G) Σ_i min(s_i A_i, clip(s_i) A_i) in value and gradient. This is the
          paper's "GSPO-token" with one advantage per sequence, which it shows equals GSPO. Clipping is a
          per-sequence decision; the paper's ranges are tiny (ε_low 3e-4, ε_high 4e-4).
kimi      Kimi k1.5 online mirror descent. Per response the paper's gradient is that of
              L_i = −A_i log π_θ(y_i) + (τ/2) (log π_θ(y_i) − log π_old(y_i))²,
          with log π(y_i) = Σ_t m logprobs_t. Written per token as
              l_t = −A_i logprobs_t + (τ/2) (Σ_t' m δ_t')² / n_i
          so that Σ_t m l_t = L_i exactly: aggregate with `seq_mean_token_sum` (Σ_i L_i / num_seqs) to
          reproduce the paper's (1/k) Σ_j [...]. The paper's reference π_θi is the previous iterate, i.e.
          the rollout policy whose logprobs the trainer passes as `old_logprobs`.

Conventions:
- Masked positions contribute exactly 0 and no NaN/inf can leak from them, in values or gradients: the
  inputs are replaced by 0 under the mask with torch.where *before* any exp (masking the product
  afterwards would let 0 · inf = NaN into the backward pass), and the loss is masked again at the end.
  A float mask counts every non-zero entry as a valid token.
- δ is clamped to [−20, 20] before exp (as verl does) so an extreme token cannot overflow; beyond the clamp
  the token's gradient is 0. The Kimi loss has no exp and is not clamped.
- `old_logprobs`, `advantages` and `is_weights` are treated as constants (detached).
- is_weights (B, T), optional: multiplies the per-token loss (truncated importance sampling between the
  trainer's π_old and the rollout engine's sampler, see `tis_weights`).
- Metrics (floats, over masked tokens; 0.0 where there are none):
  clip_frac / clip_frac_low / clip_frac_high — share of tokens whose clipped term is the active one
  (A > 0 and ratio > 1 + ε_high: high; A < 0 and ratio < 1 − ε_low: low), i.e. tokens with zero gradient;
  ratio_mean / ratio_max — of the ratio the loss uses (ρ_t; s_i for gspo; ρ_t for kimi);
  approx_kl — mean k3 estimate of KL(π_old ‖ π_θ) from the samples: (ρ − 1) − log ρ ≥ 0.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from . import POLICY_LOSSES

LOG_RATIO_CLAMP = 20.0


def _bool_mask(mask: Tensor) -> Tensor:
    return mask if mask.dtype == torch.bool else mask != 0


def _prepare(logprobs: Tensor, old_logprobs: Tensor, advantages: Tensor, mask: Tensor):
    """Check shapes; return (mask bool, logprobs, old_logprobs, advantages (B, 1)) with masked entries zeroed."""
    if logprobs.dim() != 2 or old_logprobs.shape != logprobs.shape or mask.shape != logprobs.shape:
        raise ValueError(f"logprobs, old_logprobs and mask must share one (B, T) shape, got "
                         f"{tuple(logprobs.shape)}, {tuple(old_logprobs.shape)}, {tuple(mask.shape)}")
    if advantages.shape not in (logprobs.shape[:1], logprobs.shape):
        raise ValueError(f"advantages must have shape (B,) = {tuple(logprobs.shape[:1])} or (B, T), got "
                         f"{tuple(advantages.shape)}")
    m = _bool_mask(mask)
    lp = torch.where(m, logprobs, 0.0)
    old = torch.where(m, old_logprobs.detach().to(logprobs.dtype), 0.0)
    adv = advantages.detach().to(logprobs.dtype)
    adv = adv[:, None] if adv.dim() == 1 else adv  # (B, 1) per response, or (B, T) per token (GAE)
    return m, lp, old, adv


def _finish(loss: Tensor, m: Tensor, is_weights: Tensor | None) -> Tensor:
    if is_weights is not None:
        if is_weights.shape != loss.shape:
            raise ValueError(f"is_weights must have shape {tuple(loss.shape)}, got {tuple(is_weights.shape)}")
        loss = loss * torch.where(m, is_weights.detach().to(loss.dtype), 0.0)
    return torch.where(m, loss, 0.0)


def _mean(x: Tensor, m: Tensor) -> float:
    n = int(m.sum())
    return float(torch.where(m, x, 0.0).sum()) / n if n else 0.0


@torch.no_grad()
def _metrics(m: Tensor, log_ratio: Tensor, ratio: Tensor, adv: Tensor | None = None,
             lo: float | None = None, hi: float | None = None) -> dict:
    """Token metrics; `log_ratio` is the clamped per-token δ, `ratio` the ratio the loss clips."""
    out = {
        "ratio_mean": _mean(ratio, m),
        "ratio_max": float(torch.where(m, ratio, -math.inf).max()) if m.any() else 0.0,
        "approx_kl": _mean(torch.expm1(log_ratio) - log_ratio, m),
    }
    if adv is not None:
        high = (adv > 0) & (ratio > hi)
        low = (adv < 0) & (ratio < lo)
        out["clip_frac_high"] = _mean(high.to(ratio.dtype), m)
        out["clip_frac_low"] = _mean(low.to(ratio.dtype), m)
        out["clip_frac"] = _mean((high | low).to(ratio.dtype), m)
    return out


def _clipped_surrogate(ratio: Tensor, adv: Tensor, clip_low: float, clip_high: float) -> Tensor:
    """−min(ratio·A, clip(ratio, 1 − ε_low, 1 + ε_high)·A) = max(−ratio·A, −clip(ratio)·A)."""
    clipped = ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    return torch.maximum(-ratio * adv, -clipped * adv)


@POLICY_LOSSES.register("ppo_clip")
def ppo_clip(logprobs: Tensor, old_logprobs: Tensor, advantages: Tensor, mask: Tensor, *,
             clip_low: float = 0.2, clip_high: float = 0.2, is_weights: Tensor | None = None) -> tuple[Tensor, dict]:
    """Token-level clipped surrogate with decoupled clip ranges."""
    m, lp, old, adv = _prepare(logprobs, old_logprobs, advantages, mask)
    log_ratio = (lp - old).clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
    ratio = torch.exp(log_ratio)
    loss = _clipped_surrogate(ratio, adv, clip_low, clip_high)
    metrics = _metrics(m, log_ratio, ratio, adv, 1.0 - clip_low, 1.0 + clip_high)
    return _finish(loss, m, is_weights), metrics


@POLICY_LOSSES.register("gspo")
def gspo(logprobs: Tensor, old_logprobs: Tensor, advantages: Tensor, mask: Tensor, *,
         clip_low: float = 0.2, clip_high: float = 0.2, is_weights: Tensor | None = None) -> tuple[Tensor, dict]:
    """GSPO sequence-ratio surrogate in token form. Aggregate with seq_mean_token_mean."""
    m, lp, old, adv = _prepare(logprobs, old_logprobs, advantages, mask)
    n = m.sum(dim=1).clamp(min=1).to(lp.dtype)
    seq_log_ratio = (lp - old).sum(dim=1) / n  # (B,) masked mean of δ (masked entries are 0)
    sg = seq_log_ratio.detach().clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
    ratio = torch.exp(sg[:, None] + lp - lp.detach())  # value s_i on every token, gradient s_i ∇logprobs_t
    loss = _clipped_surrogate(ratio, adv, clip_low, clip_high)
    token_log_ratio = (lp - old).detach().clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
    metrics = _metrics(m, token_log_ratio, ratio.detach(), adv, 1.0 - clip_low, 1.0 + clip_high)
    return _finish(loss, m, is_weights), metrics


@POLICY_LOSSES.register("kimi")
def kimi(logprobs: Tensor, old_logprobs: Tensor, advantages: Tensor, mask: Tensor, *,
         kimi_tau: float = 0.1, is_weights: Tensor | None = None) -> tuple[Tensor, dict]:
    """Kimi k1.5 mirror-descent loss per token. Aggregate with seq_mean_token_sum."""
    m, lp, old, adv = _prepare(logprobs, old_logprobs, advantages, mask)
    n = m.sum(dim=1).clamp(min=1).to(lp.dtype)
    seq_log_ratio = (lp - old).sum(dim=1)  # (B,) log π_θ(y) − log π_old(y)
    loss = -adv * lp + (kimi_tau / 2.0) * (seq_log_ratio.square() / n)[:, None]
    with torch.no_grad():
        token_log_ratio = (lp - old).clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
        metrics = _metrics(m, token_log_ratio, torch.exp(token_log_ratio))
        has = m.any(dim=1)
        metrics["seq_log_ratio_sq"] = float(seq_log_ratio[has].square().mean()) if has.any() else 0.0
    return _finish(loss, m, is_weights), metrics


def tis_weights(old_logprobs: Tensor, rollout_logprobs: Tensor, cap: float) -> Tensor:
    """Truncated importance weights min(exp(old − rollout), cap), detached, same shape as the inputs.

    Corrects for the gap between the trainer's π_old (recomputed logprobs) and the rollout engine's sampler
    (e.g. vLLM kernels, bf16). Computed as exp(min(old − rollout, log cap)) so that it cannot overflow.
    Garbage at padded positions may give NaN here; the losses ignore `is_weights` under the mask.
    """
    if cap <= 0:
        raise ValueError(f"tis cap must be > 0, got {cap}")
    log_w = (old_logprobs.detach() - rollout_logprobs.detach()).clamp(max=math.log(cap))
    return torch.exp(log_w)
