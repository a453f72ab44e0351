"""Multimodal RoPE positions and KV-cache access for forwards run piecewise (Qwen2-VL family, transformers 5.x).

The shared-prefill decode, the shared-prompt update and packed forwards give the model explicit positions — the
model's own `get_rope_index` over each full sequence — instead of letting it derive them (and keep `rope_deltas`
state between calls), and pass a cache under the name the installed transformers uses.
"""

from __future__ import annotations

import inspect

import torch


def rope_owner(model):
    """The module with `get_rope_index` (Qwen2-VL family), found through whatever wraps it (PEFT, DeepSpeed); None
    for a model without multimodal RoPE."""
    for module in model.modules():
        if callable(getattr(module, "get_rope_index", None)):
            return module
    return None


def mrope_positions(owner, inputs: dict) -> torch.Tensor:
    """(3, B, T) multimodal RoPE positions of each row of `inputs` (input_ids, attention_mask, mm_token_type_ids,
    vision grids) as a sequence alone: what the model computes for that padded batch. `owner`: `rope_owner(model)`."""
    with torch.no_grad():
        positions, _ = owner.get_rope_index(
            inputs["input_ids"], mm_token_type_ids=inputs["mm_token_type_ids"],
            image_grid_thw=inputs.get("image_grid_thw"), video_grid_thw=inputs.get("video_grid_thw"),
            second_per_grid_ts=inputs.get("second_per_grid_ts"), attention_mask=inputs["attention_mask"])
    return positions


def cache_kwarg(model) -> str:
    """The forward's name for the KV cache: `cache` (transformers ≥ 5.2x) or `past_key_values` (earlier), read
    from the first module in `model` (a PEFT or DeepSpeed wrapper passes **kwargs through) that names either."""
    for module in model.modules():
        params = inspect.signature(module.forward).parameters
        for name in ("cache", "past_key_values"):
            if name in params:
                return name
    return "past_key_values"


def output_cache(out):
    """The cache a forward returned (`cache` or `past_key_values`), None when it kept none."""
    cache = getattr(out, "cache", None)
    return getattr(out, "past_key_values", None) if cache is None else cache
