"""DAPO dynamic sampling and truncation masks.

Dynamic sampling (DAPO, arXiv 2503.14476): a group whose G rewards are all equal (all right or all wrong)
has zero advantage under every group baseline and so gives no gradient; DAPO drops such groups and keeps
generating until the batch is full. `informative_groups` says which groups to keep; the generation loop
(and its cap on extra rounds) belongs to the trainer.

Overlong filtering (DAPO's "mask truncated"): a response cut by the generation budget is excluded from the
loss rather than punished for being unfinished. `truncation_mask` gives the rows to keep.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor


def informative_groups(rewards: Tensor, atol: float = 1e-8) -> Tensor:
    """(P,) bool: True where the group's rewards are not all equal, i.e. max − min > atol.

    A group of one (G = 1) is never informative. A NaN reward makes the group's range NaN, hence not
    informative, so a broken reward cannot sneak into the batch as signal.
    """
    if rewards.dim() != 2:
        raise ValueError(f"rewards must have shape (P, G), got {tuple(rewards.shape)}")
    r = rewards if rewards.is_floating_point() else rewards.double()
    spread = r.amax(dim=1) - r.amin(dim=1)
    return spread > atol


def truncation_mask(finish_reasons: Sequence[str] | Tensor, response_mask: Tensor | None = None) -> Tensor:
    """Rows to keep: False for responses that hit the length limit.

    finish_reasons: one per response, either strings (engine finish reasons; exactly "length" means
    truncated, anything else — "stop", "abort", ... — is kept) or a bool tensor (N,) that is True where
    the response was truncated.
    Returns (N,) bool keep-flags, or, if `response_mask` (N, T) is given, that mask with the rows of
    truncated responses zeroed (same dtype as `response_mask`).
    """
    if isinstance(finish_reasons, Tensor):
        if finish_reasons.dtype != torch.bool or finish_reasons.dim() != 1:
            raise ValueError("finish_reasons as a tensor must be a 1-D bool tensor (True = truncated)")
        keep = ~finish_reasons
    else:
        reasons = list(finish_reasons)
        for r in reasons:
            if not isinstance(r, str):
                raise TypeError(f"finish reasons must be strings, got {type(r).__name__} ({r!r})")
        keep = torch.tensor([r != "length" for r in reasons], dtype=torch.bool)
    if response_mask is None:
        return keep
    if response_mask.dim() != 2 or response_mask.shape[0] != keep.shape[0]:
        raise ValueError(f"response_mask must be (N, T) with N = {keep.shape[0]}, got {tuple(response_mask.shape)}")
    keep = keep.to(response_mask.device)
    return torch.where(keep[:, None], response_mask, torch.zeros_like(response_mask))
