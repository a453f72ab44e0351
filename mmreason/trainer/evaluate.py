"""Held-out evaluation: one completion per sample (greedy or sampled), scored by the training reward, summarised
with the same metric names as training (accuracy/mean, format/mean, accuracy/source/…, accuracy/family/…)."""

from __future__ import annotations

from ..rewards import summarize_rewards
from ..rollout.base import SamplingParams
from .scored import requests_for


def evaluate(engine, encoder, reward_fn, samples, sampling: SamplingParams, batch_size: int = 64) -> dict:
    """Reward metrics of one completion per sample under `sampling` (temperature 0 = greedy)."""
    sampling = sampling.with_(n=1)
    rows, breakdowns = [], []
    for s in range(0, len(samples), batch_size):
        chunk = samples[s:s + batch_size]
        comps = [c[0] for c in engine.generate([encoder.encode(x) for x in chunk], sampling)]
        breakdowns.extend(reward_fn(requests_for(chunk, [[c] for c in comps])))
        rows.extend(zip(chunk, comps))
    return dict(summarize_rewards(breakdowns, lengths=[len(c.token_ids) for _, c in rows],
                                  truncated=[c.finish_reason == "length" for _, c in rows],
                                  labels={"source": [x.source or "default" for x, _ in rows],
                                          "family": [x.meta.get("family") or "" for x, _ in rows]}))
