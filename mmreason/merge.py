"""Weight averaging of two checkpoints of one architecture (Kimi k1.5's long2short merging):
θ = w·θ_A + (1 − w)·θ_B, every floating-point tensor averaged in float64 and cast back to A's dtype; integer and
boolean tensors (buffers) must be equal in both. The two models must have the same config (up to names and
versions) and the same tokenizer vocabulary; the merged model is saved with A's processor, atomically, and loads
with `from_pretrained`. A checkpoint directory (`RUN_DIR/checkpoints/rl-000100`) stands for its `model/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import torch

from .errors import ModelError

IGNORED_CONFIG_KEYS = {"_name_or_path", "transformers_version", "torch_dtype", "dtype", "architectures"}


def merge_state_dicts(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor], weight: float
                      ) -> dict[str, torch.Tensor]:
    """w·a + (1 − w)·b for every floating tensor; non-floating tensors must agree. Keys and shapes must match."""
    if not 0.0 <= weight <= 1.0:
        raise ModelError(f"merge weight must be in [0, 1], got {weight}")
    if set(a) != set(b):
        only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        raise ModelError(f"the models have different parameters: only in A {only_a[:3]}, only in B {only_b[:3]}")
    out = {}
    for k, ta in a.items():
        tb = b[k]
        if ta.shape != tb.shape:
            raise ModelError(f"parameter '{k}' has shape {tuple(ta.shape)} in A but {tuple(tb.shape)} in B")
        if ta.is_floating_point():
            mixed = weight * ta.detach().double() + (1.0 - weight) * tb.detach().double()
            out[k] = mixed.to(ta.dtype)
        elif torch.equal(ta, tb):
            out[k] = ta.clone()
        else:
            raise ModelError(f"non-floating tensor '{k}' ({ta.dtype}) differs between A and B; it cannot be averaged")
    return out


def model_dir(path: str | Path) -> Path:
    """A model directory, or a checkpoint directory's `model/`."""
    p = Path(path)
    if not (p / "config.json").is_file() and (p / "model" / "config.json").is_file():
        return p / "model"
    if not (p / "config.json").is_file():
        raise ModelError(f"{path}: not a model directory (no config.json) nor a checkpoint with model/")
    return p


def _check_same(cfg_a, cfg_b, proc_a, proc_b, a: Path, b: Path) -> None:
    da = {k: v for k, v in cfg_a.to_dict().items() if k not in IGNORED_CONFIG_KEYS}
    db = {k: v for k, v in cfg_b.to_dict().items() if k not in IGNORED_CONFIG_KEYS}
    differ = sorted(k for k in set(da) | set(db) if da.get(k) != db.get(k))
    if differ:
        raise ModelError(f"{a} and {b} are not the same architecture: config keys differ: {', '.join(differ[:5])}")
    if proc_a.tokenizer.get_vocab() != proc_b.tokenizer.get_vocab():
        raise ModelError(f"{a} and {b} have different tokenizer vocabularies")


def merge_models(path_a: str | Path, path_b: str | Path, weight: float, out: str | Path) -> Path:
    """Load A and B, average their weights (w on A), save the result with A's processor into `out`."""
    from transformers import AutoModelForImageTextToText

    from .model import load_processor
    from .trainer.checkpoint import save_model

    a, b = model_dir(path_a), model_dir(path_b)
    model_a = AutoModelForImageTextToText.from_pretrained(a)
    model_b = AutoModelForImageTextToText.from_pretrained(b)
    proc_a, proc_b = load_processor(str(a)), load_processor(str(b))
    _check_same(model_a.config, model_b.config, proc_a, proc_b, a, b)
    merged = merge_state_dicts(model_a.state_dict(), model_b.state_dict(), weight)
    model_a.load_state_dict(merged)
    return save_model(model_a, proc_a, out)
