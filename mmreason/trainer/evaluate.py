"""Held-out evaluation: k completions per sample (greedy: one), scored by the training reward, summarised with the
same metric names as training (accuracy/mean, format/mean, accuracy/source/…, accuracy/family/…,
accuracy/difficulty/…) plus pass@1 / pass@j / maj@k per source, family and difficulty (`mmreason.trainer.passk`)
and the answer-prior diagnostics (`baseline/constant/…`, `baseline/shortcut/…`, `answers/top_share/…`:
`mmreason.trainer.answer_prior`)."""

from __future__ import annotations

from typing import Callable

from ..rewards import summarize_rewards
from ..rollout.base import SamplingParams
from .answer_prior import answer_prior_metrics, shortcut_value
from .passk import pass_metrics
from .scored import requests_for


def _labels(samples) -> dict[str, list[str]]:
    return {"source": [x.source or "default" for x in samples],
            "family": [x.meta.get("family") or "" for x in samples],
            "difficulty": ["" if x.difficulty is None else str(x.difficulty) for x in samples]}


def evaluate(engine, encoder, reward_fn, samples, sampling: SamplingParams, batch_size: int = 64, k: int = 1,
             on_batch: Callable[[int], None] | None = None) -> dict:
    """Reward metrics of k completions per sample under `sampling` (temperature 0 = greedy, where k is 1): the
    reward summary over all completions (`accuracy/mean` is pass@1) and the pass@k / maj@k metrics per item.
    `on_batch(n)` is called after each batch with the number of samples done (progress display)."""
    k = 1 if sampling.temperature == 0 else int(k)
    sampling = sampling.with_(n=k)
    groups, breakdowns = [], []
    for s in range(0, len(samples), batch_size):
        chunk = samples[s:s + batch_size]
        comps = [list(c[:k]) for c in engine.generate([encoder.encode(x) for x in chunk], sampling)]
        flat = reward_fn(requests_for(chunk, comps))
        breakdowns.extend(flat)
        groups.extend(comps)
        if on_batch is not None:
            on_batch(min(len(samples), s + batch_size))
    row_labels = {kind: [lab for lab in labs for _ in range(k)] for kind, labs in _labels(samples).items()}
    rows = [c for g in groups for c in g]
    out = dict(summarize_rewards(breakdowns, lengths=[len(c.token_ids) for c in rows],
                                 truncated=[c.finish_reason == "length" for c in rows], labels=row_labels))
    items = [([b.accuracy for b in breakdowns[i * k:(i + 1) * k]], [b.extracted for b in breakdowns[i * k:(i + 1) * k]])
             for i in range(len(groups))]
    out.update(pass_metrics(items, _labels(samples)))
    out.update(answer_prior_metrics([x.answer for x in samples], [ans for _, ans in items], _labels(samples),
                                    [shortcut_value(x.meta) for x in samples]))
    out["samples_per_item"] = float(k)
    return out
