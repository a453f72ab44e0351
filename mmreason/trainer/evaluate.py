"""Held-out evaluation: accuracy (greedy and/or sampled) per source and verifier, format rate, lengths."""

from __future__ import annotations

from collections import defaultdict

from ..rollout.base import SamplingParams
from .rewarding import requests_for


def evaluate(engine, encoder, reward_fn, samples, sampling: SamplingParams, batch_size: int = 64) -> dict:
    """Accuracy of one completion per sample under `sampling` (temperature 0 = greedy)."""
    sampling = sampling.with_(n=1)
    rows = []
    for s in range(0, len(samples), batch_size):
        chunk = samples[s:s + batch_size]
        comps = engine.generate([encoder.encode(x) for x in chunk], sampling)
        for x, c, b in zip(chunk, comps, reward_fn(requests_for(chunk, comps))):
            rows.append((x, c[0], b))
    n = max(len(rows), 1)
    out = {"n": float(len(rows)), "accuracy": sum(b.accuracy for *_, b in rows) / n,
           "format": sum(b.format for *_, b in rows) / n,
           "response_length": sum(len(c.token_ids) for _, c, _ in rows) / n}
    by = defaultdict(list)
    for x, _, b in rows:
        by[f"accuracy/source/{x.source or 'default'}"].append(b.accuracy)
        fam = x.meta.get("family")
        if fam:
            by[f"accuracy/family/{fam}"].append(b.accuracy)
    out.update({k: sum(v) / len(v) for k, v in by.items()})
    return out
