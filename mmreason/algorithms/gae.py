"""PPO with a critic: per-token rewards, generalised advantage estimation, the clipped value loss, explained variance.

Shapes: (B, T) over response tokens, `mask` 1 on the tokens that count. A response's valid tokens are its first
n_i positions (a row whose mask is all 0 — e.g. a truncated response under mask_truncated — gets all zeros).

    token rewards   r_t = −β·KL_t on every response token, plus the rule reward on the last one (RLHF-style PPO)
    GAE             δ_t = r_t + γ·V_{t+1} − V_t  (V after the last token = 0: the episode ends)
                    A_t = δ_t + γλ·A_{t+1};   returns R_t = A_t + V_t
    value loss      ½·max((V − R)², (clip(V, V_old − ε, V_old + ε) − R)²)
    explained var.  1 − Var(R − V) / Var(R)   (over the masked tokens; 0 when Var(R) = 0)
"""

from __future__ import annotations

import torch
from torch import Tensor


def _bool(mask: Tensor) -> Tensor:
    return mask if mask.dtype == torch.bool else mask != 0


def token_rewards(rewards: Tensor, mask: Tensor, kl: Tensor | None = None, beta: float = 0.0) -> Tensor:
    """(B, T) per-token rewards: −β·kl on every valid token, the sequence reward (B,) added on its last valid
    token. `kl` is detached (a reward is a constant for the policy gradient)."""
    m = _bool(mask)
    out = torch.zeros(m.shape, dtype=torch.float32)
    if kl is not None and beta:
        out = torch.where(m, -beta * kl.detach().float(), out)
    lengths = m.sum(dim=1)
    rows = torch.nonzero(lengths > 0).flatten()
    out[rows, lengths[rows] - 1] += rewards.float()[rows]
    return out


def gae(rewards: Tensor, values: Tensor, mask: Tensor, gamma: float = 1.0, lam: float = 0.95
        ) -> tuple[Tensor, Tensor]:
    """(advantages, returns), both (B, T) and 0 under the mask; `values` are treated as constants."""
    m = _bool(mask).float()
    v = values.detach().float() * m       # V is 0 past the last valid token: the episode has ended
    r = rewards.float() * m
    B, T = r.shape
    adv = torch.zeros(B, T)
    last = torch.zeros(B)                 # A_{t+1}, 0 past the last valid token
    for t in range(T - 1, -1, -1):
        next_v = v[:, t + 1] if t + 1 < T else torch.zeros(B)
        delta = r[:, t] + gamma * next_v - v[:, t]
        last = (delta + gamma * lam * last) * m[:, t]
        adv[:, t] = last
    return adv, (adv + v) * m


def whiten(values: Tensor, mask: Tensor, mean: float, std: float, eps: float = 1e-8) -> Tensor:
    """(x − mean) / (std + eps) on the valid tokens, 0 elsewhere (mean/std may be global over ranks)."""
    return torch.where(_bool(mask), (values - mean) / (std + eps), torch.zeros_like(values))


def masked_moments(values: Tensor, mask: Tensor) -> tuple[float, float, float]:
    """(Σx, Σx², n) over the valid tokens, for means and variances that add up over ranks."""
    m = _bool(mask)
    x = values[m].double()
    return float(x.sum()), float((x * x).sum()), float(m.sum())


def clipped_value_loss(values: Tensor, old_values: Tensor, returns: Tensor, mask: Tensor, clip: float
                       ) -> tuple[Tensor, dict]:
    """Per-token ½·max((V − R)², (clip(V, V_old ± ε) − R)²), 0 under the mask; metrics: the clipped share."""
    m = _bool(mask)
    old, ret = old_values.detach(), returns.detach()
    clipped = old + (values - old).clamp(-clip, clip)
    plain_sq, clipped_sq = (values - ret).square(), (clipped - ret).square()
    loss = torch.where(m, 0.5 * torch.maximum(plain_sq, clipped_sq), torch.zeros_like(values))
    n = int(m.sum())
    frac = float(((clipped_sq > plain_sq) & m).sum()) / n if n else 0.0
    return loss, {"vf_clip_frac": frac}


def explained_variance(values: Tensor, returns: Tensor, mask: Tensor) -> float:
    m = _bool(mask)
    v, r = values.detach()[m].double(), returns.detach()[m].double()
    if r.numel() < 2:
        return 0.0
    var_r = r.var(correction=0)
    return float(1.0 - (r - v).var(correction=0) / var_r) if float(var_r) > 0 else 0.0
