"""Checkpoints: the policy in Hugging Face format (processor included) + trainer state, written atomically.

RUN_DIR/checkpoints/<phase>-<step:06d>/ holds
- `model/`: the full policy, `from_pretrained`-loadable (gathered from the ranks under ZeRO-3);
- `trainer_state.pt` (one process: optimizer, scheduler, step, data position, reference) or `deepspeed/`
  (DeepSpeed's own sharded checkpoint, the same trainer state riding along as client state);
- `rng_rank<r>.pt`: each rank's RNG states;
- `COMPLETE`, written last.
Everything is written under `.<name>.tmp` and renamed into place by rank 0 after every rank has finished, so a
crash never leaves a half-written checkpoint that resume would pick up.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_directory
from ..distributed import comm


def rng_state() -> dict:
    return {"torch": torch.random.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def set_rng_state(state: dict) -> None:
    torch.random.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _unwrap_for_save(model):
    """A PEFT model is saved merged (a plain model directory); the live model keeps its adapters."""
    if hasattr(model, "merge_and_unload"):
        import copy

        return copy.deepcopy(model).merge_and_unload()
    return model


def save_model(model, processor, out: str | Path, backend=None) -> Path:
    """save_pretrained model + processor into `out` atomically. Every rank calls it (ZeRO-3 gathers)."""
    out = Path(out)
    gathered = backend.gathered_weights() if backend is not None else None
    if gathered is not None:
        gathered.__enter__()
    try:
        if comm.is_main():
            with atomic_directory(out) as tmp:
                _unwrap_for_save(model).save_pretrained(tmp)
                processor.save_pretrained(tmp)
    finally:
        if gathered is not None:
            gathered.__exit__(None, None, None)
    comm.barrier()
    return out


def save_checkpoint(run_dir: str | Path, phase: str, step: int, model, processor, state: dict, backend,
                    keep: int = 2) -> Path:
    ckpt_root = Path(run_dir) / "checkpoints"
    final = ckpt_root / f"{phase}-{step:06d}"
    tmp = ckpt_root / f".{final.name}.tmp"
    if comm.is_main():
        ckpt_root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
    comm.barrier()
    state = {**state, "phase": phase, "step": step}
    if hasattr(backend, "save"):          # DeepSpeed: every rank writes its shards
        backend.save(str(tmp / "deepspeed"), client_state=state)
    elif comm.is_main():
        extra = {}
        if hasattr(model, "peft_config"):  # LoRA: the adapters are the trained weights; model/ holds them merged
            extra["trainable"] = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
        torch.save({**state, **backend.state_dict(), **extra}, tmp / "trainer_state.pt")
    torch.save(rng_state(), tmp / f"rng_rank{comm.rank()}.pt")
    save_model(model, processor, tmp / "model", backend)
    if comm.is_main():
        (tmp / "COMPLETE").write_text(f"{phase} {step}\n")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        _prune(ckpt_root, phase, keep)
    comm.barrier()
    return final


def load_checkpoint(ckpt: str | Path, model, backend) -> dict:
    """Restore weights, optimizer and this rank's RNG; returns the trainer state."""
    ckpt = Path(ckpt)
    if (ckpt / "deepspeed").is_dir():
        state = backend.load(str(ckpt / "deepspeed"))
    else:
        state = torch.load(ckpt / "trainer_state.pt", weights_only=False)
        if "trainable" in state:
            missing = set(state["trainable"]) - {n for n, _ in model.named_parameters()}
            if missing:
                raise RuntimeError(f"checkpoint {ckpt} has adapter weights the model lacks: {sorted(missing)[:5]}")
            model.load_state_dict(state["trainable"], strict=False)
        else:
            load_model_weights(model, ckpt)
        backend.load_state_dict(state)
    rng = ckpt / f"rng_rank{comm.rank()}.pt"
    if rng.is_file():
        set_rng_state(torch.load(rng, weights_only=False))
    return state


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
        if d.name.startswith(".") and d.name.endswith(".tmp"):
            shutil.rmtree(d, ignore_errors=True)


def latest_checkpoint(run_dir: str | Path, phase: str | None = None) -> Path | None:
    """The newest complete checkpoint (RL checkpoints rank after SFT ones)."""
    found = _complete(Path(run_dir) / "checkpoints", phase)
    return found[-1] if found else None


def load_model_weights(model, ckpt: str | Path) -> None:
    """Load a checkpoint's weights into an existing model of the same architecture, strictly.

    The weights go through `from_pretrained`, so transformers' own key conversions (saved names differ from
    module names in transformers 5) apply exactly as for any user loading the checkpoint.
    """
    from transformers import AutoModelForImageTextToText

    loaded = AutoModelForImageTextToText.from_pretrained(Path(ckpt) / "model", dtype=next(model.parameters()).dtype)
    target = model.get_base_model() if hasattr(model, "get_base_model") else model
    target.load_state_dict(loaded.state_dict(), strict=True)
