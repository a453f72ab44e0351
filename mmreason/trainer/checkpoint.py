"""Checkpoints: the policy in Hugging Face format (processor included) + trainer state, written atomically.

RUN_DIR/checkpoints/<phase>-<step:06d>/ holds
- `model/`: the full policy, `from_pretrained`-loadable (gathered from the ranks under ZeRO-3);
- the update backend's own state (`trainer_state.pt` for one process, DeepSpeed's sharded `deepspeed/`), with the
  trainer state (step, scheduler, data position, reference) riding along;
- `rng_rank<r>.pt`: each rank's RNG states (tensors and plain data);
- `COMPLETE`, written last.
Everything is written into `.<name>.tmp` and renamed into place by rank 0 after every rank has finished, so a
crash never leaves a half-written checkpoint that resume would pick up. Files are read back with
`torch.load(weights_only=True)` (`mmreason.safe_load`): a checkpoint file holding other pickled objects is refused.
"""

from __future__ import annotations

import random
import shutil
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_directory, staging_path
from ..distributed import comm
from ..model import policy_state_dict
from ..safe_load import load_state_file


def rng_state() -> dict:
    """Every RNG's state as tensors and plain data (loadable with `torch.load(weights_only=True)`)."""
    version, internal, gauss = random.getstate()
    _, keys, pos, has_gauss, cached = np.random.get_state()
    return {"torch": torch.random.get_rng_state(),
            "python": {"version": version, "state": torch.tensor(internal, dtype=torch.int64), "gauss": gauss},
            "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos), "has_gauss": int(has_gauss),
                      "cached_gaussian": float(cached)},
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def set_rng_state(state: dict) -> None:
    torch.random.set_rng_state(state["torch"])
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"].tolist()), py["gauss"]))
    npy = state["numpy"]
    np.random.set_state(("MT19937", npy["keys"].numpy().astype(np.uint32), npy["pos"], npy["has_gauss"],
                         npy["cached_gaussian"]))
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
    with backend.gathered_weights() if backend is not None else nullcontext():
        if comm.is_main():
            with atomic_directory(out) as tmp:
                plain = _unwrap_for_save(model)
                sd = policy_state_dict(plain)  # without a value head; None = as is
                plain.save_pretrained(tmp) if sd is None else plain.save_pretrained(tmp, state_dict=sd)
                processor.save_pretrained(tmp)
    comm.barrier()
    return out


def save_checkpoint(run_dir: str | Path, phase: str, step: int, model, processor, state: dict, backend,
                    keep: int = 2, extra_backends: dict | None = None) -> Path:
    """Every rank calls it: the backend's state, this rank's RNG and the gathered model, then `COMPLETE`.
    `extra_backends` (e.g. a separate critic's) save their own state into subdirectories named by their keys."""
    ckpt_root = Path(run_dir) / "checkpoints"
    final = ckpt_root / f"{phase}-{step:06d}"
    tmp = staging_path(final)
    with atomic_directory(final, staging=tmp) if comm.is_main() else nullcontext(tmp):
        comm.barrier()  # the staging directory exists
        backend.save(tmp, {**state, "phase": phase, "step": step})
        for name, extra in (extra_backends or {}).items():
            if comm.is_main():
                (tmp / name).mkdir()
            comm.barrier()
            extra.save(tmp / name, {})
        torch.save(rng_state(), tmp / f"rng_rank{comm.rank()}.pt")
        save_model(model, processor, tmp / "model", backend)
        if comm.is_main():
            (tmp / "COMPLETE").write_text(f"{phase} {step}\n")
        comm.barrier()  # every rank has finished writing before rank 0 renames
    if comm.is_main():
        _prune(ckpt_root, phase, keep)
    comm.barrier()
    return final


def load_checkpoint(ckpt: str | Path, backend, extra_backends: dict | None = None) -> dict:
    """Restore weights and optimizer (through the backend, and the extra backends from their subdirectories) and
    this rank's RNG; returns the trainer state."""
    ckpt = Path(ckpt)
    state = backend.load(ckpt)
    for name, extra in (extra_backends or {}).items():
        extra.load(ckpt / name)
    rng = ckpt / f"rng_rank{comm.rank()}.pt"
    if rng.is_file():
        set_rng_state(load_state_file(rng))
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
