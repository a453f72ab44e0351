"""The SFT stage: cold-start (or any supervised) fine-tuning on reference answers, checkpointed and resumable.

Targets are the answer format's rendering of each sample's reference reasoning and gold answer. The stage ends by
saving `RUN_DIR/sft_model` and pointing the rollout engine at the trained weights.
"""

from __future__ import annotations

from pathlib import Path

from .. import wiring
from ..data import Mixture, derive_seed
from ..trainer.checkpoint import load_checkpoint, save_checkpoint, save_model
from ..trainer.optim import make_scheduler
from ..trainer.sft import sft_step, sft_target
from ..distributed import comm
from .context import Parts, RunContext


def run_sft(ctx: RunContext, parts: Parts, resume_from: Path | None = None) -> None:
    cfg, s = ctx.cfg, ctx.cfg.sft
    policy = parts.policy
    backend = wiring.make_backend(cfg, policy.model, s.lr, s.batch_size // comm.world_size(), s.micro_batch_size)
    sched = make_scheduler(backend.optimizer, s.warmup_steps, s.steps, s.schedule, cfg.optim.min_lr_ratio)
    mixture = Mixture(parts.train_sources, seed=derive_seed(cfg.run.seed, "sft"))
    vision = wiring.keep_vision_alive(cfg, policy)
    step = 0
    if resume_from is not None:
        state = load_checkpoint(resume_from, backend)
        sched.load_state_dict(state["scheduler"])
        mixture.load_state_dict(state["mixture"])
        step = int(state["step"])
        ctx.say(f"[resume] from {resume_from} (step {step})")
    every, fmt = cfg.train.save_every, parts.answer_format
    bar = ctx.console.task("sft", total=s.steps, done=step)
    while step < s.steps:
        samples = mixture.next_batch(s.batch_size)
        targets = [sft_target(fmt, x) for x in samples]
        m = sft_step(backend, parts.encoder, samples, targets, sched, micro_batch_size=s.micro_batch_size,
                     keep_vision_alive=vision)
        step += 1
        bar.update(step, m)
        if step % cfg.train.log_every == 0 or step == s.steps:
            ctx.logger.log({"phase": "sft", "step": step, **m})
        if (every and step % every == 0) or step == s.steps:
            save_checkpoint(ctx.run_dir, "sft", step, policy.model, policy.processor,
                            {"scheduler": sched.state_dict(), "mixture": mixture.state_dict()}, backend,
                            keep=cfg.train.keep_checkpoints)
    bar.close()
    save_model(policy.model, policy.processor, ctx.run_dir / "sft_model", backend)
    if cfg.deepspeed.enabled:  # the next stage starts a fresh DeepSpeed engine from the saved (full) weights
        parts.policy = wiring.load_model(cfg, ctx.run_dir, str(ctx.run_dir / "sft_model"))
    refresh_engine(ctx, parts)


def refresh_engine(ctx: RunContext, parts: Parts) -> None:
    """Point the rollout engine at the current policy: an engine that shares the module is rebuilt over the
    (possibly reloaded) policy, which costs nothing; one that holds its own weights gets them pushed."""
    if parts.engine.needs_weight_sync:
        parts.engine.load_weights(parts.policy.model.named_parameters())
    else:
        parts.engine = wiring.rollout_engine(ctx.cfg, parts.policy)
