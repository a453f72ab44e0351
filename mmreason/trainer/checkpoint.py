"""Checkpoints: the policy in Hugging Face format (processor included) + trainer state, written atomically.

RUN_DIR/checkpoints/<phase>-<step:06d>/ holds `model/` (from_pretrained-loadable), `trainer_state.pt`
(optimizer, scheduler, counters, data position, RNG states) and `COMPLETE` (written last). A directory is
built under a temporary name and renamed into place, so a crash never leaves a half-written checkpoint that
resume would pick up.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch


def rng_state() -> dict:
    return {"torch": torch.random.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def set_rng_state(state: dict) -> None:
    torch.random.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_model(model, processor, out: str | Path) -> Path:
    """save_pretrained model + processor into `out` atomically (temp dir, then rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp.", dir=out.parent))
    try:
        to_save = model.merge_and_unload() if hasattr(model, "merge_and_unload") else model
        to_save.save_pretrained(tmp)
        processor.save_pretrained(tmp)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def save_checkpoint(run_dir: str | Path, phase: str, step: int, model, processor, state: dict,
                    keep: int = 2) -> Path:
    ckpt_root = Path(run_dir) / "checkpoints"
    ckpt_root.mkdir(parents=True, exist_ok=True)
    final = ckpt_root / f"{phase}-{step:06d}"
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp.", dir=ckpt_root))
    try:
        model.save_pretrained(tmp / "model")
        processor.save_pretrained(tmp / "model")
        torch.save({**state, "phase": phase, "step": step, "rng": rng_state()}, tmp / "trainer_state.pt")
        (tmp / "COMPLETE").write_text(f"{phase} {step}\n")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(ckpt_root, phase, keep)
    return final


def _complete(ckpt_root: Path, phase: str | None = None) -> list[Path]:
    if not ckpt_root.is_dir():
        return []
    dirs = [d for d in ckpt_root.iterdir() if d.is_dir() and not d.name.startswith(".") and (d / "COMPLETE").is_file()]
    if phase:
        dirs = [d for d in dirs if d.name.rsplit("-", 1)[0] == phase]
    return sorted(dirs, key=lambda d: (d.name.rsplit("-", 1)[0] == "rl", int(d.name.rsplit("-", 1)[1])))


def _prune(ckpt_root: Path, phase: str, keep: int) -> None:
    for d in _complete(ckpt_root, phase)[:-keep]:
        shutil.rmtree(d, ignore_errors=True)
    for d in ckpt_root.iterdir():  # leftovers of interrupted saves
        if d.name.startswith(".") and ".tmp." in d.name:
            shutil.rmtree(d, ignore_errors=True)


def latest_checkpoint(run_dir: str | Path, phase: str | None = None) -> Path | None:
    """The newest complete checkpoint (RL checkpoints rank after SFT ones)."""
    found = _complete(Path(run_dir) / "checkpoints", phase)
    return found[-1] if found else None


def load_trainer_state(ckpt: str | Path) -> dict:
    return torch.load(Path(ckpt) / "trainer_state.pt", weights_only=False)


def load_model_weights(model, ckpt: str | Path) -> None:
    """Load a checkpoint's weights into an existing model of the same architecture, strictly.

    The weights go through `from_pretrained`, so transformers' own key conversions (saved names differ from
    module names in transformers 5) apply exactly as for any user loading the checkpoint.
    """
    from transformers import AutoModelForImageTextToText

    loaded = AutoModelForImageTextToText.from_pretrained(Path(ckpt) / "model", dtype=next(model.parameters()).dtype)
    model.load_state_dict(loaded.state_dict(), strict=True)
