"""Under DeepSpeed every rank must run the vision tower in every forward and backward: ZeRO-3 all-gathers its
parameters and ZeRO-2 reduces its gradients in collectives that all ranks must enter with the same tensors, so a
text-only micro-batch on one rank would leave the others waiting (or mismatched). A hook on the token embedding runs the tower
on a dummy image right after the embedding — the point of the forward where real images are encoded — and adds
its output with weight 0, so values and gradients are unchanged while the collectives line up.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

import torch

_TEXT_ONLY = contextvars.ContextVar("mmreason_text_only_forward", default=False)


@contextmanager
def text_only_forward(active: bool = True):
    """Mark the forwards inside as carrying no image (the vision keep-alive hook then runs a dummy one)."""
    token = _TEXT_ONLY.set(active)
    try:
        yield
    finally:
        _TEXT_ONLY.reset(token)


def keep_vision_tower_alive(model: torch.nn.Module, patch_dim: int, merge_size: int = 2):
    """Hook the token embedding so that a text-only forward also runs the vision tower on a dummy image right
    after it — where the model runs real images — contributing 0 to the output. Returns the hook handle."""
    from ..model import vision_tower

    tower = vision_tower(model)
    if tower is None:
        return None
    side = merge_size  # smallest grid the patch merger accepts: merge × merge patches, one merged token
    grid = torch.tensor([[1, side, side]])

    def hook(module, args, output):
        if not _TEXT_ONLY.get():
            return output
        dtype = next(tower.parameters()).dtype
        pixels = torch.zeros(side * side, patch_dim, dtype=dtype, device=output.device)
        feats = tower(pixels, grid_thw=grid.to(output.device))
        feats = feats.pooler_output if hasattr(feats, "pooler_output") else feats
        if isinstance(feats, (list, tuple)):
            feats = torch.cat(list(feats))
        return output + 0.0 * feats.sum().to(output.dtype)

    return model.get_input_embeddings().register_forward_hook(hook)


def install_once(model: torch.nn.Module, patch_dim: int, merge_size: int = 2) -> None:
    """Install the keep-alive hook on `model` unless it already has one (the handle is kept on the model)."""
    if getattr(model, "_mmreason_vision_hook", None) is None:
        model._mmreason_vision_hook = keep_vision_tower_alive(model, patch_dim, merge_size)
