"""The DPO stage: preference pairs (`data.train` sources written by `mmreason sample sample.pairs=...`) against a
frozen copy of the starting policy, checkpointed and resumable like SFT and RL.

The reference is copied from the policy as loaded (the stage's starting model) before any checkpoint is restored,
so a resumed run compares against the same reference. Checkpoints are `RUN_DIR/checkpoints/dpo-NNNNNN` (model,
optimizer, scheduler, the pair stream's position, RNG); the stage ends by saving `RUN_DIR/dpo_model`.
"""

from __future__ import annotations

import copy
from pathlib import Path

from .. import wiring
from ..data import Mixture, derive_seed
from ..distributed import comm
from ..trainer.checkpoint import load_checkpoint, save_checkpoint, save_model
from ..trainer.dpo import dpo_step, pair_texts
from ..trainer.optim import make_scheduler
from .context import Parts, RunContext
from .sft import refresh_engine


def run_dpo(ctx: RunContext, parts: Parts, resume_from: Path | None = None) -> None:
    cfg, d = ctx.cfg, ctx.cfg.dpo
    policy = parts.policy
    for _name, _w, samples in parts.train_sources:  # every row is a pair, checked before any step
        pair_texts(samples)
    ref = copy.deepcopy(policy.model).eval().requires_grad_(False)
    backend = wiring.make_backend(cfg, policy.model, d.lr, 2 * d.batch_size // comm.world_size(),
                                  2 * d.micro_batch_size)
    sched = make_scheduler(backend.optimizer, d.warmup_steps, d.steps, d.schedule, cfg.optim.min_lr_ratio)
    mixture = Mixture(parts.train_sources, seed=derive_seed(cfg.run.seed, "dpo"))
    vision = wiring.keep_vision_alive(cfg, policy)
    step = 0
    if resume_from is not None:
        state = load_checkpoint(resume_from, backend)
        sched.load_state_dict(state["scheduler"])
        mixture.load_state_dict(state["mixture"])
        step = int(state["step"])
        ctx.say(f"[resume] from {resume_from} (step {step})")
    every = cfg.train.save_every
    bar = ctx.console.task("dpo", total=d.steps, done=step)
    while step < d.steps:
        m = dpo_step(backend, ref, parts.encoder, mixture.next_batch(d.batch_size), sched, beta=d.beta,
                     micro_batch_size=d.micro_batch_size, keep_vision_alive=vision, sft_weight=d.sft_weight)
        step += 1
        bar.update(step, m)
        if step % cfg.train.log_every == 0 or step == d.steps:
            ctx.logger.log({"phase": "dpo", "step": step, **m})
        if (every and step % every == 0) or step == d.steps:
            save_checkpoint(ctx.run_dir, "dpo", step, policy.model, policy.processor,
                            {"scheduler": sched.state_dict(), "mixture": mixture.state_dict()}, backend,
                            keep=cfg.train.keep_checkpoints)
    bar.close()
    save_model(policy.model, policy.processor, ctx.run_dir / "dpo_model", backend)
    if cfg.deepspeed.enabled:
        parts.policy = wiring.load_model(cfg, ctx.run_dir, str(ctx.run_dir / "dpo_model"))
    refresh_engine(ctx, parts)
