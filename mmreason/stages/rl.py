"""The RL stage: build the trainer over the current policy, step it, evaluate every N steps, checkpoint, resume."""

from __future__ import annotations

from pathlib import Path

from .. import wiring
from ..data import Mixture, derive_seed
from ..distributed import comm
from ..trainer.checkpoint import load_checkpoint, save_checkpoint, save_model
from ..trainer.optim import make_scheduler
from ..trainer.rl import RLTrainer
from .context import Parts, RunContext
from .heldout import evaluate_heldout


def make_rl_trainer(ctx: RunContext, parts: Parts) -> RLTrainer:
    """The RL trainer over the loaded policy, with a fresh optimizer, schedule and data stream."""
    cfg, policy = ctx.cfg, parts.policy
    ref = wiring.reference_model(cfg, policy)
    if wiring.shards_parameters(cfg) and not parts.engine.needs_weight_sync:
        # ZeRO-3 shards the trained module: an engine that would share it generates with its own full copy
        parts.engine = wiring.rollout_engine(cfg, policy, separate_weights=True)
    r, t = cfg.rollout, cfg.train
    rows = r.prompts_per_step // comm.world_size() * r.group_size // t.minibatches
    backend = wiring.make_backend(cfg, policy.model, cfg.optim.lr, rows, t.micro_batch_size)
    sched = make_scheduler(backend.optimizer, cfg.optim.warmup_steps, t.steps, cfg.optim.schedule,
                           cfg.optim.min_lr_ratio)
    mixture = Mixture(parts.train_sources, seed=derive_seed(cfg.run.seed, "rl"))
    return RLTrainer(cfg, policy, parts.engine, parts.encoder, parts.reward_fn, mixture, backend, sched,
                     ref_model=ref, keep_vision_alive=wiring.keep_vision_alive(cfg, policy))


def run_rl(ctx: RunContext, parts: Parts, resume_from: Path | None = None) -> None:
    cfg, t = ctx.cfg, ctx.cfg.train
    trainer = make_rl_trainer(ctx, parts)
    if resume_from is not None:
        trainer.load_state_dict(load_checkpoint(resume_from, trainer.backend))
        trainer.sync_weights()
        ctx.say(f"[resume] from {resume_from} (step {trainer.step_count})")
    policy = parts.policy
    while trainer.step_count < t.steps:
        m = trainer.step()
        step = trainer.step_count
        if step % t.log_every == 0 or step == t.steps:
            ctx.logger.log({"phase": "rl", "step": step, **m})
        if t.eval_every and step % t.eval_every == 0 and step < t.steps:
            evaluate_heldout(ctx, parts, f"rl_step_{step}")
        if (t.save_every and step % t.save_every == 0) or step == t.steps:
            save_checkpoint(ctx.run_dir, "rl", step, policy.model, policy.processor, trainer.state_dict(),
                            trainer.backend, keep=t.keep_checkpoints)
    save_model(policy.model, policy.processor, ctx.run_dir / "final_model", trainer.backend)
