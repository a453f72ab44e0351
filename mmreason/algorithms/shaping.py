"""Length terms added to the rewards (the trainer weights and adds them).

DAPO overlong shaping (arXiv 2503.14476), with L = |y| the response length in tokens:

    0                                   if L ≤ L_max − L_cache
    ((L_max − L_cache) − L) / L_cache   if L_max − L_cache < L ≤ L_max      (falls linearly from 0 to −1)
    −1                                  if L > L_max

Kimi k1.5 length reward (arXiv 2501.12599), among the responses of one prompt:

    λ = 0.5 − (len − min_len) / (max_len − min_len)
    correct → λ,  wrong → min(0, λ),  all 0 when all lengths of the group are equal.

Both follow the papers exactly; the weight and the warm-up of the Kimi term are the trainer's.
"""

from __future__ import annotations

import torch
from torch import Tensor


def overlong_penalty(lengths: Tensor, max_len: int, cache_len: int) -> Tensor:
    """DAPO soft overlong punishment per response: (N,) lengths -> (N,) values in [−1, 0]."""
    if cache_len < 0 or max_len <= cache_len:
        raise ValueError(f"need max_len > cache_len >= 0, got max_len={max_len}, cache_len={cache_len}")
    lengths = lengths.to(torch.float64) if not lengths.is_floating_point() else lengths
    start = float(max_len - cache_len)
    ramp = (start - lengths) / max(cache_len, 1)  # only selected when cache_len > 0
    out = torch.where(lengths <= start, torch.zeros_like(lengths), ramp)
    out = torch.where(lengths > max_len, torch.full_like(lengths, -1.0), out)
    return out.float()


def kimi_length_reward(lengths: Tensor, correct: Tensor) -> Tensor:
    """Kimi k1.5 length reward per response: lengths (P, G), correct (P, G) bool -> (P, G) float."""
    if lengths.dim() != 2 or correct.shape != lengths.shape:
        raise ValueError(f"lengths and correct must share one (P, G) shape, got "
                         f"{tuple(lengths.shape)} and {tuple(correct.shape)}")
    length = lengths.to(torch.float64)
    lo = length.amin(dim=1, keepdim=True)
    hi = length.amax(dim=1, keepdim=True)
    span = hi - lo
    lam = 0.5 - (length - lo) / torch.where(span > 0, span, torch.ones_like(span))
    lam = torch.where(correct.bool(), lam, lam.clamp(max=0.0))
    return torch.where(span > 0, lam, torch.zeros_like(lam)).float()
