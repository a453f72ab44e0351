"""`mmreason train`: build data → load policy → evaluate → cold-start SFT → RL → evaluate → summary.json.

The parts are built by `mmreason.wiring` (the one place that reads config sections into components); the loops
are the stages in `mmreason.stages`. Each stage resumes from its last complete checkpoint when
`train.resume=true`. Under a launcher (torchrun / deepspeed) every rank runs this same code: rank 0 alone builds
data, writes files and evaluates; updates go through DeepSpeed when `deepspeed.enabled=true`.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import torch

from . import wiring
from .atomic import write_json
from .config import Config, to_yaml
from .distributed import comm
from .stages import Parts, RunContext, evaluate_heldout, make_rl_trainer, run_rl, run_sft
from .stages.budget import check_budgets
from .trainer.checkpoint import latest_checkpoint


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_parts(ctx: RunContext, *, train: bool = True) -> Parts:
    """Everything a run needs, from the config. `train=False` (evaluation) loads no training data."""
    from .data import skip_summary

    cfg = ctx.cfg
    policy = wiring.load_model(cfg, ctx.run_dir)
    fmt = wiring.answer_format(cfg)
    encoder = wiring.prompt_encoder(cfg, policy.processor, fmt)
    reward_fn = wiring.reward_function(cfg, fmt)
    try:
        train_sources = wiring.load_source_group(cfg, "train") if train else []
        eval_sources = wiring.load_source_group(cfg, "eval")
    except BaseException:
        reward_fn.close()
        raise
    loaded = [*train_sources, *eval_sources]
    for line in skip_summary(loaded):
        ctx.say(f"[data] {line}")
    return Parts(policy=policy, answer_format=fmt, encoder=encoder, reward_fn=reward_fn,
                 engine=wiring.rollout_engine(cfg, policy), train_sources=train_sources,
                 eval_set=wiring.eval_samples(eval_sources, cfg.eval.n),
                 skipped={s.name: s.skipped.to_dict() for s in loaded})


class Pipeline:
    """The `train` command: stages in order over one set of parts."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        comm.init_from_env(cfg.deepspeed.timeout_s)
        if comm.world_size() > 1 and not cfg.deepspeed.enabled:
            raise ValueError("several processes were launched but deepspeed.enabled=false; "
                             "pass deepspeed.enabled=true (or launch one process)")
        wiring.check_names(cfg)
        self.ctx = RunContext.open(cfg)
        self.run_dir = self.ctx.run_dir
        self.parts: Parts | None = None

    def setup(self, train: bool = True) -> Parts:
        cfg = self.cfg
        wiring.set_threads(cfg)
        seed_everything(cfg.run.seed)
        if comm.is_main():
            (self.run_dir / "config.yaml").write_text(to_yaml(cfg))
            with self.ctx.console.task("build", total=None, unit="dataset", lines=False):
                wiring.build_datasets(cfg.data.build)
        self.parts = build_parts(self.ctx, train=train)
        return self.parts

    # the parts, for callers that drive the stages by hand (tests, benchmarks)
    policy = property(lambda self: self.parts.policy)
    encoder = property(lambda self: self.parts.encoder)
    train_sources = property(lambda self: self.parts.train_sources)
    engine = property(lambda self: self.parts.engine)

    def make_rl_trainer(self):
        return make_rl_trainer(self.ctx, self.parts)

    def evaluate_heldout(self, name: str, step: int | None = None) -> dict:
        return evaluate_heldout(self.ctx, self.parts, name, step=step)

    def close(self) -> None:
        try:
            if self.parts is not None:
                self.parts.close()
        finally:
            self.ctx.close()

    def run(self) -> dict:
        t0 = time.perf_counter()
        progress = self.ctx.progress
        wall_before = progress.get("wall_time_s", 0.0)
        self.setup()
        cfg = self.cfg
        try:
            check_budgets(self.ctx, self.parts)
            resume_from = latest_checkpoint(self.run_dir) if cfg.train.resume else None
            phase = resume_from.name.rsplit("-", 1)[0] if resume_from else None
            if "initial" not in progress.get("heldout", {}) and phase is None:
                self.evaluate_heldout("initial", step=0)
            if cfg.sft.steps > 0 and phase != "rl":
                run_sft(self.ctx, self.parts, resume_from if phase == "sft" else None)
                if "cold_start" not in progress.get("heldout", {}):
                    self.evaluate_heldout("cold_start", step=0)
            if cfg.train.steps > 0:
                run_rl(self.ctx, self.parts, resume_from if phase == "rl" else None)
                self.evaluate_heldout("rl", step=cfg.train.steps)
            progress["wall_time_s"] = wall_before + time.perf_counter() - t0
            return self._summary()
        finally:
            self.close()

    def _summary(self) -> dict:
        held = self.ctx.progress.get("heldout", {})
        summary = {"run_dir": str(self.run_dir), "wall_time_s": round(self.ctx.progress.get("wall_time_s", 0.0), 1),
                   "heldout_n": len(self.parts.eval_set), "heldout": held, "skipped_rows": self.parts.skipped,
                   "budget_warnings": self.ctx.progress.get("budget_warnings", []), "world_size": comm.world_size()}
        for mode in ("greedy", "sampled"):
            for name in ("initial", "cold_start", "rl"):
                v = held.get(name, {}).get(mode, {}).get("accuracy/mean")
                if v is not None:
                    summary[f"heldout_accuracy/{mode}/{name}"] = v
        self.ctx.save_progress()
        if comm.is_main():
            write_json(self.run_dir / "summary.json", summary)
        return summary


def run_training(cfg: Config) -> dict:
    return Pipeline(cfg).run()


def run_evaluation(cfg: Config, name: str = "eval", skipped: dict | None = None) -> dict:
    """`mmreason eval`: only what evaluation needs — the policy, the reward and the eval sources (built first when
    a `data.build` job writes one of them); nothing is trained and the run's progress is left untouched. `skipped`,
    when given, receives the rows skipped per source (`data.skip_bad_rows`)."""
    comm.init_from_env(cfg.deepspeed.timeout_s)
    wiring.check_names(cfg)
    ctx = RunContext.open(cfg, sinks=False)
    wiring.set_threads(cfg)
    seed_everything(cfg.run.seed)
    eval_paths = {str(Path(s.path)) for s in cfg.data.eval}
    if comm.is_main():
        wiring.build_datasets([j for j in cfg.data.build if str(Path(j.out)) in eval_paths])
    parts = build_parts(ctx, train=False)
    if skipped is not None:
        skipped.update(parts.skipped)
    try:
        check_budgets(ctx, parts)
        return evaluate_heldout(ctx, parts, name, record=False)
    finally:
        parts.close()
        ctx.close()


__all__ = ["Pipeline", "build_parts", "run_evaluation", "run_training", "seed_everything"]
