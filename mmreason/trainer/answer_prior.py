"""Answer-prior diagnostics of a held-out evaluation: does the policy read the input, or answer from a prior?

Per group of items (overall and per source / family / difficulty label):

    baseline/constant   the best accuracy any constant answer reaches on these items: the share of items whose
                        gold answer is the group's most common one (a policy that ignores its input scores at most
                        this; RL on a source whose cold start sits at it tends to collapse onto one answer)
    answers/top_share   the share of the policy's answers (all samples) equal to its most common answer

Answers compare as majority voting compares them (whitespace-collapsed, case-folded); no answer is no answer.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Mapping, Sequence

from .passk import _vote_key

COLLAPSE_SHARE = 0.9   # a group whose answers are this concentrated ...
COLLAPSE_MARGIN = 0.05  # ... and whose accuracy is within this of the constant baseline: collapsed onto a prior
MIN_ITEMS = 20


def _top_share(values: Sequence[str | None]) -> tuple[str | None, float]:
    keys = [k for k in (_vote_key(v) for v in values) if k is not None]
    if not keys:
        return None, 0.0
    top, count = Counter(keys).most_common(1)[0]
    return top, count / len(values)


def answer_prior_metrics(golds: Sequence[str], answers: Sequence[Sequence[str | None]],
                         labels: Mapping[str, Sequence[str]] | None = None) -> dict[str, float]:
    """`golds[i]` is item i's gold answer, `answers[i]` its samples' extracted answers; `labels[kind][i]` names
    item i's group of that kind ('' = none)."""
    groups: dict[str, list[int]] = {"": list(range(len(golds)))}
    for kind, per_item in (labels or {}).items():
        by_label: dict[str, list[int]] = defaultdict(list)
        for i, label in enumerate(per_item):
            if label not in ("", None):
                by_label[f"/{kind}/{label}"].append(i)
        groups.update(by_label)
    out = {}
    for suffix, idx in groups.items():
        if not idx:
            continue
        name = suffix or "/mean"
        out[f"baseline/constant{name}"] = _top_share([golds[i] for i in idx])[1]
        out[f"answers/top_share{name}"] = _top_share([a for i in idx for a in answers[i]])[1]
    return out


def collapsed_groups(metrics: Mapping[str, float], kind: str = "source") -> list[str]:
    """Labels of `kind` whose answers collapsed onto one answer at the constant baseline (see module doc)."""
    out = []
    prefix = f"answers/top_share/{kind}/"
    for key, share in metrics.items():
        if not key.startswith(prefix):
            continue
        label = key[len(prefix):]
        acc = metrics.get(f"accuracy/{kind}/{label}")
        base = metrics.get(f"baseline/constant/{kind}/{label}")
        n = metrics.get(f"items/{kind}/{label}", 0.0)
        if acc is not None and base is not None and n >= MIN_ITEMS and share >= COLLAPSE_SHARE \
                and acc <= base + COLLAPSE_MARGIN:
            out.append(label)
    return sorted(out)
