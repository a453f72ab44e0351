"""The composite reward: weight·accuracy (from the verifiers, via the pool) + weight·format, and its metrics.

    reward = accuracy_weight · accuracy + format_weight · format

`format` is 1.0 when the completion follows the template: "r1" is exactly `<think>…</think>` then
`<answer>…</answer>`; "plain" is exactly one non-empty `<answer>…</answer>` block. A completion
over the pool's max_chars gets neither (it is not looked at). Length terms (DAPO overlong, Kimi
length reward) are the trainer's business and are added there.

The template's tags go to the verifiers as the `answer_tag`/`think_tag` options; a request's own
options take precedence.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

from .extract import format_score, format_score_plain
from .pool import VerifierPool, VerifyRequest

TEMPLATES = ("r1", "plain")


@dataclass
class RewardBreakdown:
    reward: float            # accuracy_weight·accuracy + format_weight·format
    accuracy: float          # the verifier's score in [0, 1]
    format: float            # 1.0 when the completion follows the template
    error: str | None = None       # the verifier's counted reason (None for a plain right/wrong answer)
    extracted: str | None = None   # the answer text the verifier read


class RewardFunction:
    """Callable: list[VerifyRequest] → list[RewardBreakdown]. Owns (and closes) its pool unless given one."""

    def __init__(self, accuracy_weight: float = 1.0, format_weight: float = 0.5, template: str = "r1",
                 think_tag: str = "think", answer_tag: str = "answer", pool: VerifierPool | None = None):
        if template not in TEMPLATES:
            raise ValueError(f"unknown template '{template}' (valid: {', '.join(TEMPLATES)})")
        self.accuracy_weight, self.format_weight = float(accuracy_weight), float(format_weight)
        self.template, self.think_tag, self.answer_tag = template, think_tag, answer_tag
        self._owns_pool = pool is None
        self.pool = pool if pool is not None else VerifierPool()

    def format_of(self, completion: str) -> float:
        if self.template == "r1":
            return format_score(completion, self.think_tag, self.answer_tag)
        return format_score_plain(completion, self.answer_tag)

    def _with_tags(self, r):
        if not isinstance(r, VerifyRequest) or not isinstance(r.options, Mapping):
            return r  # the pool scores it as bad_request
        return replace(r, options={"answer_tag": self.answer_tag, "think_tag": self.think_tag, **r.options})

    def __call__(self, requests: Sequence[VerifyRequest]) -> list[RewardBreakdown]:
        requests = [self._with_tags(r) for r in requests]
        out = []
        for r, s in zip(requests, self.pool.score_many(requests)):
            text = getattr(r, "completion", None)
            ok = isinstance(text, str) and len(text) <= self.pool.max_chars
            fmt = self.format_of(text) if ok and self.format_weight else 0.0
            out.append(RewardBreakdown(self.accuracy_weight * s.accuracy + self.format_weight * fmt,
                                       s.accuracy, fmt, s.error, s.extracted))
        return out

    def close(self) -> None:
        if self._owns_pool:
            self.pool.close()

    def __enter__(self) -> "RewardFunction":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def groups_by(labels: Iterable[str]) -> dict[str, list[int]]:
    """{label: [indices]} from one label per breakdown (e.g. each request's verifier or source)."""
    groups: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(str(label), []).append(i)
    return groups


def summarize(breakdowns: Sequence[RewardBreakdown], groups: Mapping[str, Sequence[int]] | None = None
              ) -> dict[str, float]:
    """Metrics: reward/mean, reward/std, accuracy/mean, format/mean, count, error/<reason> (counts) and
    accuracy/<group> (mean accuracy over each group's indices)."""
    n = len(breakdowns)
    if n == 0:
        return {"count": 0.0}
    rewards = [b.reward for b in breakdowns]
    mean = sum(rewards) / n
    m = {"count": float(n), "reward/mean": mean,
         "reward/std": math.sqrt(sum((r - mean) ** 2 for r in rewards) / n),
         "accuracy/mean": sum(b.accuracy for b in breakdowns) / n,
         "format/mean": sum(b.format for b in breakdowns) / n}
    for reason, count in sorted(Counter(b.error for b in breakdowns if b.error).items()):
        m[f"error/{reason}"] = float(count)
    for name, idxs in (groups or {}).items():
        if idxs:
            m[f"accuracy/{name}"] = sum(breakdowns[i].accuracy for i in idxs) / len(idxs)
    return m


RewardFunction.summarize = staticmethod(summarize)  # type: ignore[attr-defined]
