"""Does the vision tower's output still depend on its input? The spread of its features over held-out items.

    spread = mean over pairs (a, b) of consecutive items with equal vision grids of ‖f_a − f_b‖ / ‖f_a‖

where f is the tower's output for the item's images or clip (the merged tokens the language model reads), all
tokens flattened. A random tower gives ~0.3 on the synthetic puzzles; a tower whose output no longer depends on
its input gives ~0 — measured on the video demo before its tower was frozen: 0.283 at init, 0.009 after 300 SFT
steps, the policy answering from the prior (README: Video). Qwen2-VL family (`get_image_features` /
`get_video_features`); None for other models or fewer than two comparable items.
"""

from __future__ import annotations

import torch

COLLAPSE_RATIO = 0.2   # a spread below this fraction of the run's first one: the tower has collapsed


def _feature_owner(model):
    for module in model.modules():
        if callable(getattr(module, "get_image_features", None)) and callable(getattr(module, "get_video_features",
                                                                                    None)):
            return module
    return None


def _flat(out) -> torch.Tensor:
    """The features as one flat tensor, whatever the transformers version returns (tensor, tuple of per-item
    tensors, or an output object with `pooler_output`)."""
    out = getattr(out, "pooler_output", out)
    if isinstance(out, (list, tuple)):
        out = torch.cat([t.reshape(-1) for t in out])
    return out.reshape(-1).float()


def vision_features(model, prompt, owner=None) -> tuple[tuple, torch.Tensor] | None:
    """(grid key, flat features) of one encoded prompt's images or clips; None for a text-only prompt. `owner`:
    the module with the feature methods when the caller has found it already."""
    owner = owner or _feature_owner(model)
    if owner is None:
        return None
    param = next(owner.parameters())
    pix = lambda t: t.to(device=param.device, dtype=param.dtype)  # noqa: E731
    with torch.no_grad():
        if prompt.pixel_values_videos is not None:
            grid = prompt.video_grid_thw
            out = owner.get_video_features(pixel_values_videos=pix(prompt.pixel_values_videos),
                                           video_grid_thw=grid.to(param.device))
            kind = "video"
        elif prompt.pixel_values is not None:
            grid = prompt.image_grid_thw
            out = owner.get_image_features(pixel_values=pix(prompt.pixel_values), image_grid_thw=grid.to(param.device))
            kind = "image"
        else:
            return None
    return (kind, tuple(grid.reshape(-1).tolist())), _flat(out).cpu()


def feature_spread(model, prompts) -> float | None:
    """Mean relative distance between the vision features of consecutive comparable prompts (see module doc)."""
    owner = _feature_owner(model)  # one walk over the modules, not one per prompt
    if owner is None:
        return None
    feats = [f for f in (vision_features(model, p, owner) for p in prompts) if f is not None]
    dists = [float((fb - fa).norm() / fa.norm().clamp_min(1e-12))
             for (ga, fa), (gb, fb) in zip(feats, feats[1:]) if ga == gb]
    return sum(dists) / len(dists) if dists else None


def collapsed(spread: float | None, first: float | None) -> bool:
    """Whether `spread` fell below COLLAPSE_RATIO of the run's first measurement."""
    return spread is not None and first is not None and first > 0 and spread < COLLAPSE_RATIO * first
