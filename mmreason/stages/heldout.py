"""Held-out evaluation during a run: greedy and sampled accuracy with the rollout engine, recorded by name."""

from __future__ import annotations

import time

import torch

from ..distributed import comm
from ..rollout.base import SamplingParams
from ..trainer.evaluate import evaluate
from .context import Parts, RunContext


def heldout_sampling(cfg) -> SamplingParams:
    r = cfg.rollout
    return SamplingParams(temperature=r.temperature, top_p=r.top_p, top_k=r.top_k,
                          max_new_tokens=cfg.eval.max_new_tokens or r.max_new_tokens)


def evaluate_heldout(ctx: RunContext, parts: Parts, name: str, record: bool = True) -> dict:
    """Greedy and/or sampled held-out results, recorded under `name` in the run's progress and metrics log when
    `record` (rank 0 evaluates, the others wait). Sampled evaluation draws from its own seed, so it never disturbs
    the training RNG stream."""
    cfg, res = ctx.cfg, {}
    if parts.eval_set and comm.is_main():
        base = heldout_sampling(cfg)
        t0 = time.perf_counter()
        if cfg.eval.greedy:
            res["greedy"] = evaluate(parts.engine, parts.encoder, parts.reward_fn, parts.eval_set,
                                     base.with_(temperature=0.0), cfg.eval.batch_size)
        if cfg.eval.sampled:
            state = torch.random.get_rng_state()
            torch.manual_seed(cfg.run.seed + 12345)
            res["sampled"] = evaluate(parts.engine, parts.encoder, parts.reward_fn, parts.eval_set, base,
                                      cfg.eval.batch_size)
            torch.random.set_rng_state(state)
        dt = time.perf_counter() - t0
        line = ", ".join(f"{k} {v['accuracy/mean']:.3f}" for k, v in res.items())
        print(f"[eval] {name}: held-out accuracy {line} (n={len(parts.eval_set)}, {dt:.1f}s)", flush=True)
        if record:
            ctx.progress.setdefault("heldout", {})[name] = res
            ctx.save_progress()
            ctx.logger.log({"phase": f"eval/{name}", "time/eval": dt,
                            **{f"{k}/{m}": v for k, r in res.items() for m, v in r.items()}}, console=False)
    comm.barrier()
    return res
