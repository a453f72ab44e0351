"""One stage on its own, in its own run directory (`run.out_dir`): what `mmreason sft`, `mmreason sample` and each
step of `mmreason pipeline` run.

    sft     SFT of `model.path` on `data.train` (reference reasoning, or rejection-sampled `meta.sft_target`)
            → RUN_DIR/sft_model
    rl      RL of `model.path` (no cold start) → RUN_DIR/final_model
    dpo     DPO of `model.path` on the preference pairs of `data.train` → RUN_DIR/dpo_model
    sample  rejection sampling with `model.path` (stages/sample.py) → RUN_DIR/sampled/{sft,pairs,difficulty}
    merge   `model.path` (w) averaged with another model (1 − w) → RUN_DIR/merged_model
    eval    nothing trained

Every stage but `sample` ends with the held-out evaluation of its model (recorded under the stage's name in
RUN_DIR/progress.json). With `train.resume=true` a training stage continues from its own last complete checkpoint.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from .. import wiring
from ..config import Config, to_yaml
from ..distributed import comm
from ..trainer.checkpoint import latest_checkpoint
from .budget import check_budgets
from .context import Parts, RunContext
from .heldout import evaluate_heldout

KINDS = ("sft", "rl", "dpo", "sample", "merge", "eval")
TRAINS = ("sft", "rl", "dpo", "sample")          # stages that read data.train
MODEL_OUT = {"sft": "sft_model", "rl": "final_model", "dpo": "dpo_model", "merge": "merged_model"}
PHASE = {"sft": "sft", "rl": "rl", "dpo": "dpo"}  # checkpoint phase of each training stage
HELDOUT_KEYS = ("accuracy/mean", "format/mean", "response_length/mean", "truncated_frac")


def _resume(ctx: RunContext, kind: str) -> Path | None:
    return latest_checkpoint(ctx.run_dir, PHASE[kind]) if ctx.cfg.train.resume else None


def _train(ctx: RunContext, parts: Parts, kind: str) -> dict:
    from .dpo import run_dpo
    from .rl import run_rl
    from .sft import run_sft

    check_budgets(ctx, parts)
    {"sft": run_sft, "rl": run_rl, "dpo": run_dpo}[kind](ctx, parts, _resume(ctx, kind))
    return {"model": str(ctx.run_dir / MODEL_OUT[kind])}


def _run_kind(ctx: RunContext, parts: Parts, kind: str) -> dict:
    if kind in PHASE:
        return _train(ctx, parts, kind)
    if kind == "sample":
        from .sample import run_sample

        return run_sample(ctx, parts, ctx.cfg.model.path)["outputs"]
    if kind == "merge":
        return {"model": ctx.cfg.model.path}
    return {}


def compact(res: dict) -> dict:
    """The headline numbers of a held-out result ({mode: {metric: value}})."""
    return {mode: {k: r[k] for k in HELDOUT_KEYS if k in r} for mode, r in res.items()}


def _merge_first(cfg: Config, other: str, weight: float) -> Config:
    from ..merge import merge_models

    out = Path(cfg.run.out_dir) / MODEL_OUT["merge"]
    if comm.is_main() and not (out / "config.json").is_file():
        merge_models(cfg.model.path, other, weight, out)
    comm.barrier()
    return dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, path=str(out)))


def execute_stage(cfg: Config, kind: str, name: str, other: str | None = None, weight: float = 0.5) -> dict:
    """Run stage `kind` in `cfg.run.out_dir`; returns {"outputs", "heldout" (compact; None for sample),
    "wall_time_s", "resumed"}. `other`, `weight`: the second model and A's weight of a merge."""
    from ..pipeline import build_parts, seed_everything

    if kind not in KINDS:
        raise ValueError(f"unknown stage kind {kind!r} (valid: {', '.join(KINDS)})")
    t0 = time.perf_counter()
    wiring.check_names(cfg)
    if kind == "merge":
        cfg = _merge_first(cfg, other, weight)
    ctx = RunContext.open(cfg)
    resumed = kind in PHASE and _resume(ctx, kind) is not None
    try:
        wiring.set_threads(cfg)
        seed_everything(cfg.run.seed)
        if comm.is_main():
            (ctx.run_dir / "config.yaml").write_text(to_yaml(cfg))
            wiring.build_datasets(cfg.data.build)
        parts = build_parts(ctx, train=kind in TRAINS)
        try:
            outputs = _run_kind(ctx, parts, kind)
            held = None if kind == "sample" else compact(evaluate_heldout(ctx, parts, name))
        finally:
            parts.close()
    finally:
        ctx.close()
    return {"outputs": outputs, "heldout": held, "wall_time_s": round(time.perf_counter() - t0, 1),
            "resumed": resumed}
