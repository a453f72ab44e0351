"""Load the policy (model + processor) from a local directory or a hub id, the same way for both.

The embedded tiny model and a real Qwen2.5-VL checkpoint go through the same code; nothing here branches on a
model family name. A processor without an image processor is refused loudly (transformers silently returns a
bare tokenizer when torchvision is missing).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import ModelError

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}

# Prefixes of parameters a trainer attaches to the policy model that its saved Hugging Face directory never holds
# (PPO's value head): checkpoints keep them in the backend's own state.
NOT_IN_POLICY_DIR = ("value_head.",)

# Tokens a policy must never sample: they would desynchronise image placeholders from image features.
VISION_TOKENS = ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>")


@dataclass
class Policy:
    model: torch.nn.Module
    processor: object

    @property
    def tokenizer(self):
        return self.processor.tokenizer

    def banned_token_ids(self) -> list[int]:
        """Ids of vision placeholder tokens (never sampled, stripped from completions)."""
        tok = self.tokenizer
        ids = []
        for t in VISION_TOKENS:
            i = tok.convert_tokens_to_ids(t)
            if isinstance(i, int) and i != tok.unk_token_id and i is not None:
                ids.append(i)
        return ids

    def stop_token_ids(self) -> list[int]:
        tok = self.tokenizer
        ids = {tok.eos_token_id}
        for t in ("<|im_end|>", "<|endoftext|>"):
            i = tok.convert_tokens_to_ids(t)
            if isinstance(i, int) and i != tok.unk_token_id:
                ids.add(i)
        return sorted(i for i in ids if i is not None)


def is_hub_id(path: str) -> bool:
    """'org/name' that is not an existing path; anything else (./x, /x, a/b/c, x) is a local directory."""
    if Path(path).expanduser().exists() or path.startswith((".", "/", "~")):
        return False
    return re.fullmatch(r"[\w.-]+/[\w.-]+", path) is not None


def check_model_dir(path: str) -> None:
    """A local dir must hold a config, weights and a processor; otherwise one clear line says what is missing."""
    p = Path(path).expanduser()
    if not p.exists():
        raise ModelError(f"model directory not found: {path}")
    if not p.is_dir():
        raise ModelError(f"model path is not a directory: {path}")
    if not (p / "config.json").is_file():
        raise ModelError(f"{path}: no config.json (not a Hugging Face model directory)")
    if not any(p.glob("*.safetensors")) and not any(p.glob("*.bin")):
        raise ModelError(f"{path}: no weights (*.safetensors or *.bin)")


def load_processor(path: str, min_pixels: int | None = None, max_pixels: int | None = None):
    from transformers import AutoProcessor

    try:
        processor = AutoProcessor.from_pretrained(path)
    except Exception as e:
        raise ModelError(f"{path}: cannot load the processor ({type(e).__name__}: {str(e).splitlines()[0]})") from None
    if getattr(processor, "image_processor", None) is None:
        raise ModelError(f"{path}: the processor has no image processor (got {type(processor).__name__}); "
                         "is torchvision installed and importable?")
    ip = processor.image_processor
    if min_pixels or max_pixels:
        size = dict(ip.size) if not hasattr(ip.size, "items") else {k: v for k, v in ip.size.items() if v is not None}
        if min_pixels:
            size["shortest_edge"] = int(min_pixels)
        if max_pixels:
            size["longest_edge"] = int(max_pixels)
        ip.size = size
        if hasattr(ip, "min_pixels"):
            ip.min_pixels, ip.max_pixels = size.get("shortest_edge"), size.get("longest_edge")
    processor.tokenizer.padding_side = "left"  # not persisted by save_pretrained
    return processor


def load_policy(path: str, dtype: str = "float32", device: str | torch.device = "cpu",
                attn_implementation: str = "sdpa", min_pixels: int | None = None,
                max_pixels: int | None = None) -> Policy:
    """Model + processor from a local directory or a hub id (hub ids need network or a local HF cache)."""
    from transformers import AutoModelForImageTextToText

    if not is_hub_id(path):
        check_model_dir(path)
    processor = load_processor(path, min_pixels, max_pixels)
    try:
        model = AutoModelForImageTextToText.from_pretrained(path, dtype=DTYPES[dtype],
                                                            attn_implementation=attn_implementation)
    except Exception as e:
        raise ModelError(f"{path}: cannot load the model ({type(e).__name__}: {str(e).splitlines()[0]})") from None
    model.to(device)
    return Policy(model=model, processor=processor)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ModelError("run.device=cuda but no CUDA device is available")
    return torch.device(name)


def resolve_model_path(path: str, run_dir: str | os.PathLike, tiny_size: str = "tiny", tiny_seed: int = 0) -> str:
    """`path` as given, or (when empty) the embedded tiny model built once into RUN_DIR/init_model."""
    if path:
        return path
    from .tiny_model import init_model

    target = Path(run_dir) / "init_model"
    if not (target / "config.json").is_file():
        init_model(target, size=tiny_size, seed=tiny_seed, overwrite=True)
    return str(target)


def vision_tower(model: torch.nn.Module) -> torch.nn.Module | None:
    """The vision encoder submodule, found by the attribute names transformers VLMs use."""
    for owner in (model, getattr(model, "model", None), getattr(getattr(model, "base_model", None), "model", None)):
        for name in ("visual", "vision_tower", "vision_model"):
            sub = getattr(owner, name, None) if owner is not None else None
            if isinstance(sub, torch.nn.Module):
                return sub
    return None


def prepare_model(policy: Policy, model_cfg) -> Policy:
    """Apply the trainability options: frozen vision tower, LoRA adapters (peft), gradient checkpointing."""
    model = policy.model
    if model_cfg.freeze_vision:
        tower = vision_tower(model)
        if tower is None:
            raise ModelError("model.freeze_vision=true but no vision tower was found on the model")
        tower.requires_grad_(False)
    if model_cfg.lora.enabled:
        from peft import LoraConfig, get_peft_model

        lc = model_cfg.lora
        model = get_peft_model(model, LoraConfig(r=lc.r, lora_alpha=lc.alpha, lora_dropout=lc.dropout,
                                                 target_modules=list(lc.target_modules)))
        policy.model = model
    if model_cfg.gradient_checkpointing:
        if hasattr(model, "activation_checkpointing_enable"):  # transformers ≥ 5.x name
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if hasattr(model, "enable_input_require_grads"):
            model.enable_input_require_grads()
    return policy


def load_model_weights(model, model_dir: str | os.PathLike) -> None:
    """Load a saved Hugging Face model directory's weights into an existing model of the same architecture,
    strictly (a PEFT model's base model receives them).

    The weights go through `from_pretrained`, so transformers' own key conversions (saved names differ from
    module names in transformers 5) apply exactly as for any user loading the checkpoint.
    """
    from transformers import AutoModelForImageTextToText

    loaded = AutoModelForImageTextToText.from_pretrained(Path(model_dir), dtype=next(model.parameters()).dtype)
    target = model.get_base_model() if hasattr(model, "get_base_model") else model
    missing, unexpected = target.load_state_dict(loaded.state_dict(), strict=False)
    missing = [k for k in missing if not k.startswith(NOT_IN_POLICY_DIR)]
    if missing or unexpected:
        raise ModelError(f"{model_dir}: weights do not fit the model: missing {missing[:3]}, unexpected "
                         f"{unexpected[:3]}")


def policy_state_dict(model) -> dict | None:
    """The state dict to save as the policy's Hugging Face directory when the model carries parameters that do not
    belong there (a value head); None when it carries none (save as is)."""
    sd = model.state_dict()
    if not any(k.startswith(NOT_IN_POLICY_DIR) for k in sd):
        return None
    return {k: v for k, v in sd.items() if not k.startswith(NOT_IN_POLICY_DIR)}
