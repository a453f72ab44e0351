"""Export a checkpoint to one Hugging Face model directory.

A DeepSpeed checkpoint's sharded fp32 weights are consolidated offline (deepspeed's zero_to_fp32, no launcher,
no GPU); a one-process checkpoint's weights are its `model/` directory already. The config and processor come
from the checkpoint's `model/` (or `base`). LoRA checkpoints are exported from their merged `model/`.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ModelError


def export_checkpoint(checkpoint: str, out: str, base: str | None = None) -> Path:
    from transformers import AutoConfig, AutoModelForImageTextToText

    from .model import NOT_IN_POLICY_DIR, load_processor
    from .trainer.checkpoint import save_model

    ckpt = Path(checkpoint)
    if not (ckpt / "COMPLETE").is_file():
        raise ModelError(f"{ckpt}: not a complete checkpoint (no COMPLETE marker)")
    base_dir = Path(base) if base else ckpt / "model"
    if not (base_dir / "config.json").is_file():
        raise ModelError(f"{base_dir}: no config.json (pass --base with the model's config and processor)")
    processor = load_processor(str(base_dir))
    ds_dir = ckpt / "deepspeed"
    if ds_dir.is_dir():
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

        state = get_fp32_state_dict_from_zero_checkpoint(str(ds_dir), tag="deepspeed")
        state = {k: v for k, v in state.items() if not k.startswith(NOT_IN_POLICY_DIR)}  # the policy only
        if any("lora_" in k for k in state):
            raise ModelError(f"{ckpt}: a LoRA checkpoint; its merged weights are in {ckpt / 'model'}")
        model = AutoModelForImageTextToText.from_config(AutoConfig.from_pretrained(base_dir))
        missing, unexpected = model.load_state_dict(state, strict=False)
        tied = {k for k in missing if k.endswith("lm_head.weight") and model.config.tie_word_embeddings}
        if set(missing) - tied or unexpected:
            raise ModelError(f"{ckpt}: weights do not fit the config in {base_dir}: missing "
                             f"{sorted(set(missing) - tied)[:3]}, unexpected {sorted(unexpected)[:3]}")
        model.tie_weights()
    else:
        model = AutoModelForImageTextToText.from_pretrained(ckpt / "model")
    return save_model(model, processor, out)
