"""The RL stage: build the trainer over the current policy, step it, evaluate every N steps, checkpoint, resume."""

from __future__ import annotations

from pathlib import Path

from .. import wiring
from ..distributed import comm
from ..trainer.checkpoint import load_checkpoint, save_checkpoint, save_model
from ..trainer.critic import Critic, attach_value_head, separate_value_model
from ..trainer.optim import make_scheduler
from ..trainer.rl import RLTrainer
from .context import Parts, RunContext
from .heldout import evaluate_heldout
from .rollout_log import RolloutRecorder


def make_rl_trainer(ctx: RunContext, parts: Parts) -> RLTrainer:
    """The RL trainer over the loaded policy, with a fresh optimizer, schedule and data stream."""
    cfg, policy = ctx.cfg, parts.policy
    ref = wiring.reference_model(cfg, policy)
    if wiring.shards_parameters(cfg) and not parts.engine.needs_weight_sync:
        # ZeRO-3 shards the trained module: an engine that would share it generates with its own full copy
        parts.engine = wiring.rollout_engine(cfg, policy, separate_weights=True)
    r, t = cfg.rollout, cfg.train
    rows = r.prompts_per_step // comm.world_size() * r.group_size // t.minibatches
    if cfg.critic.enabled and not cfg.critic.separate:
        attach_value_head(policy.model)  # before the backend, so the optimizer (and ZeRO) hold the head
    backend = wiring.make_backend(cfg, policy.model, cfg.optim.lr, rows, t.micro_batch_size)
    sched = make_scheduler(backend.optimizer, cfg.optim.warmup_steps, t.steps, cfg.optim.schedule,
                           cfg.optim.min_lr_ratio)
    vision = wiring.keep_vision_alive(cfg, policy)
    return RLTrainer(cfg, policy, parts.engine, parts.encoder, parts.reward_fn, wiring.prompt_sampler(cfg, parts),
                     backend, sched, ref_model=ref, keep_vision_alive=vision,
                     critic=_critic(cfg, parts, rows, vision) if cfg.critic.enabled else None)


def _critic(cfg, parts: Parts, rows: int, vision: bool) -> Critic:
    """PPO's critic: the head just attached to the policy, or a separate value model with its own backend."""
    enc = parts.encoder
    fwd = dict(image_token_id=enc.image_token_id, merge_size=enc.merge_size, keep_vision_alive=vision,
               temperature=cfg.rollout.temperature, packing=cfg.train.packing,
               share_prompts=cfg.train.share_prompts)
    if not cfg.critic.separate:
        return Critic(cfg, parts.policy.model, None, fwd)
    model = separate_value_model(parts.policy.model)
    backend = wiring.make_backend(cfg, model, cfg.critic.lr or cfg.optim.lr, rows, cfg.train.micro_batch_size,
                                  weights_in_state=True)
    if vision:
        wiring.install_vision_keepalive(parts.policy.processor, model)
    return Critic(cfg, parts.policy.model, backend, fwd)


def extra_backends(trainer: RLTrainer) -> dict:
    """Backends beyond the policy's whose state checkpoints carry (a separate critic's)."""
    c = trainer.critic
    return {"critic": c.backend} if c is not None and not c.shared else {}


def run_rl(ctx: RunContext, parts: Parts, resume_from: Path | None = None) -> None:
    cfg, t = ctx.cfg, ctx.cfg.train
    trainer = make_rl_trainer(ctx, parts)
    if resume_from is not None:
        trainer.load_state_dict(load_checkpoint(resume_from, trainer.backend, extra_backends(trainer)))
        trainer.sync_weights()
        ctx.say(f"[resume] from {resume_from} (step {trainer.step_count})")
    policy = parts.policy
    recorder = RolloutRecorder.from_config(cfg)
    bar = ctx.console.task("train", total=t.steps, done=trainer.step_count)
    while trainer.step_count < t.steps:
        m = trainer.step()
        step = trainer.step_count
        bar.update(step, m)
        recorder.record(step, trainer.last_scored)
        if step % t.log_every == 0 or step == t.steps:
            ctx.logger.log({"phase": "rl", "step": step, **m})
        if t.eval_every and step % t.eval_every == 0 and step < t.steps:
            evaluate_heldout(ctx, parts, f"rl_step_{step}", step=step)
        if (t.save_every and step % t.save_every == 0) or step == t.steps:
            save_checkpoint(ctx.run_dir, "rl", step, policy.model, policy.processor, trainer.state_dict(),
                            trainer.backend, keep=t.keep_checkpoints, extra_backends=extra_backends(trainer))
    bar.close()
    save_model(policy.model, policy.processor, ctx.run_dir / "final_model", trainer.backend)
