"""Held-out evaluation during a run: greedy and sampled accuracy (pass@1, and pass@k / maj@k with `eval.k` > 1)
with the rollout engine, shown as console tasks and recorded by name."""

from __future__ import annotations

import time

import torch

from ..distributed import comm
from ..rollout.base import SamplingParams
from ..trainer.answer_prior import collapsed_groups, shortcut_groups
from ..trainer.evaluate import evaluate
from ..trainer.vision_spread import collapsed, feature_spread
from .context import Parts, RunContext


def heldout_sampling(cfg) -> SamplingParams:
    r = cfg.rollout
    return SamplingParams(temperature=r.temperature, top_p=r.top_p, top_k=r.top_k,
                          max_new_tokens=cfg.eval.max_new_tokens or r.max_new_tokens)


def _evaluate_mode(ctx: RunContext, parts: Parts, label: str, sampling: SamplingParams, k: int = 1) -> dict:
    """One pass over the held-out set, shown as a console task (`eval <name> <mode>`)."""
    with ctx.console.task(label, total=len(parts.eval_set), unit="sample", lines=False) as bar:
        return evaluate(parts.engine, parts.encoder, parts.reward_fn, parts.eval_set, sampling,
                        ctx.cfg.eval.batch_size, k=k, on_batch=bar.update)


def result_line(res: dict) -> str:
    """`greedy 0.600, sampled 0.450 (pass@4 0.700, maj@4 0.500)`: accuracy per mode, pass@k and maj@k when k > 1."""
    parts = []
    for mode, r in res.items():
        k = int(r.get("samples_per_item", 1))
        extra = [f"{m} {r[f'{m}/mean']:.3f}" for m in (f"pass@{k}", f"maj@{k}") if k > 1 and f"{m}/mean" in r]
        parts.append(f"{mode} {r['accuracy/mean']:.3f}" + (f" ({', '.join(extra)})" if extra else ""))
    return ", ".join(parts)


SPREAD_ITEMS = 16  # held-out items whose vision features measure the tower's spread


def _check_vision(ctx: RunContext, parts: Parts, name: str, res: dict) -> None:
    """Record the vision tower's feature spread over the first held-out items in every mode's results and say so
    when it fell below a fifth of the run's first measurement (trainer/vision_spread.py). Not measured when ZeRO-3
    shards the weights (rank 0 alone cannot run the tower)."""
    from ..wiring import shards_parameters

    if shards_parameters(ctx.cfg):
        return
    spread = feature_spread(parts.policy.model, [parts.encoder.encode(s) for s in parts.eval_set[:SPREAD_ITEMS]])
    if spread is None:
        return
    for r in res.values():
        r["vision/feature_spread"] = spread
    first = ctx.progress.setdefault("vision_spread_first", spread)
    if collapsed(spread, first):
        ctx.say(f"[eval] {name}: the vision tower's output hardly depends on its input any more (feature spread "
                f"{spread:.3f}, {first:.3f} at the first evaluation): the policy cannot read its images or clips — "
                "freeze the tower (model.freeze_vision=true) or lower the learning rate (README: Video)",
                important=True)


def _warn_shortcuts(ctx: RunContext, parts: Parts, name: str, mode: str, r: dict, skip: list[str]) -> None:
    """Say which sources score no better than their shortcut (`baseline/shortcut/…`) would."""
    for label in shortcut_groups(r):
        if label in skip:
            continue
        what = next((s.meta["shortcut_what"] for s in parts.eval_set if (s.source or "default") == label
                     and s.meta.get("shortcut_what")), "the items' shortcut value")
        ctx.say(f"[eval] {name}: source '{label}' scores {r[f'accuracy/source/{label}']:.1%} ({mode}), and answers "
                f"that depend only on {what}, reach {r[f'baseline/shortcut/source/{label}']:.1%} at best (the best "
                f"constant answer {r[f'baseline/constant/source/{label}']:.1%}): the policy reads part of its input, "
                "not what the question asks (README: Training on a mixture)", important=True)


def evaluate_heldout(ctx: RunContext, parts: Parts, name: str, record: bool = True, step: int | None = None) -> dict:
    """Greedy and/or sampled held-out results, recorded under `name` in the run's progress and metrics log when
    `record` (rank 0 evaluates, the others wait), at RL step `step` when given. Sampled evaluation draws
    `eval.k` samples per item from its own seed, so it never disturbs the training RNG stream."""
    cfg, res = ctx.cfg, {}
    if parts.eval_set and comm.is_main():
        base = heldout_sampling(cfg)
        t0 = time.perf_counter()
        if cfg.eval.greedy:
            res["greedy"] = _evaluate_mode(ctx, parts, f"eval {name} greedy", base.with_(temperature=0.0))
        if cfg.eval.sampled:
            state = torch.random.get_rng_state()
            torch.manual_seed(cfg.run.seed + 12345)
            times = f" x{cfg.eval.k}" if cfg.eval.k > 1 else ""
            res["sampled"] = _evaluate_mode(ctx, parts, f"eval {name} sampled{times}", base, cfg.eval.k)
            torch.random.set_rng_state(state)
        dt = time.perf_counter() - t0
        ctx.say(f"[eval] {name}: held-out accuracy {result_line(res)} (n={len(parts.eval_set)}, {dt:.1f}s)",
                important=True)
        _check_vision(ctx, parts, name, res)
        for mode, r in res.items():
            collapsed_labels = collapsed_groups(r)
            for label in collapsed_labels:
                ctx.say(f"[eval] {name}: source '{label}' gives one answer in "
                        f"{r[f'answers/top_share/source/{label}']:.0%} of its samples ({mode}) and scores "
                        f"{r[f'accuracy/source/{label}']:.1%} against {r[f'baseline/constant/source/{label}']:.1%} for "
                        "the best constant answer: it answers from a prior, not from its input (README: Training "
                        "on a mixture; for clips or images trained from scratch, also model.freeze_vision — README: "
                        "Video)", important=True)
            _warn_shortcuts(ctx, parts, name, mode, r, skip=collapsed_labels)
        if record:
            ctx.progress.setdefault("heldout", {})[name] = res
            ctx.save_progress()
            ctx.logger.log({"phase": f"eval/{name}", **({"step": step} if step is not None else {}), "time/eval": dt,
                            **{f"{k}/{m}": v for k, r in res.items() for m, v in r.items()}}, console=False)
    comm.barrier()
    return res
