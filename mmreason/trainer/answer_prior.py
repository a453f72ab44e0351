"""Answer-prior diagnostics of a held-out evaluation: does the policy read the input, or answer from a prior?

Per group of items (overall and per source / family / difficulty label):

    baseline/constant   the best accuracy any constant answer reaches on these items: the share of items whose
                        gold answer is the group's most common one (a policy that ignores its input scores at most
                        this; RL on a source whose cold start sits at it tends to collapse onto one answer)
    answers/top_share   the share of the policy's answers (all samples) equal to its most common answer
    baseline/shortcut   where items carry `meta["shortcut"]` (the value of a partial reading of the input that a
                        policy could answer from without doing what the question asks, e.g. how many letters a
                        picture holds when the question asks for one of them; `meta["shortcut_what"]` says it in
                        words): the best accuracy any answer that depends on that value alone reaches on these
                        items — per value, the share of its most common gold answer

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


def shortcut_value(meta: Mapping) -> str | None:
    """The item's shortcut value (`meta["shortcut"]`, compared as a string); None when it has none."""
    sc = meta.get("shortcut")
    return None if sc is None else str(sc)


def shortcut_accuracy(golds: Sequence[str], values: Sequence[str]) -> float:
    """The best accuracy of an answer that is a function of the shortcut value alone (see module doc)."""
    by_value: dict[str, list[str]] = defaultdict(list)
    for gold, value in zip(golds, values):
        by_value[value].append(gold)
    return sum(_top_share(g)[1] * len(g) for g in by_value.values()) / len(golds)


def answer_prior_metrics(golds: Sequence[str], answers: Sequence[Sequence[str | None]],
                         labels: Mapping[str, Sequence[str]] | None = None,
                         shortcuts: Sequence[str | None] | None = None) -> dict[str, float]:
    """`golds[i]` is item i's gold answer, `answers[i]` its samples' extracted answers; `labels[kind][i]` names
    item i's group of that kind ('' = none); `shortcuts[i]` its shortcut value (None = none)."""
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
        with_shortcut = [i for i in idx if shortcuts is not None and shortcuts[i] is not None]
        if with_shortcut:
            out[f"baseline/shortcut{name}"] = shortcut_accuracy([golds[i] for i in with_shortcut],
                                                                [shortcuts[i] for i in with_shortcut])
    return out


def _judged(metrics: Mapping[str, float], kind: str, name: str):
    """(label, value of `name`, accuracy, constant baseline) for every label of `kind` with enough items."""
    prefix = f"{name}/{kind}/"
    for key, value in metrics.items():
        if not key.startswith(prefix):
            continue
        label = key[len(prefix):]
        acc = metrics.get(f"accuracy/{kind}/{label}")
        base = metrics.get(f"baseline/constant/{kind}/{label}")
        if acc is not None and base is not None and metrics.get(f"items/{kind}/{label}", 0.0) >= MIN_ITEMS:
            yield label, value, acc, base


def collapsed_groups(metrics: Mapping[str, float], kind: str = "source") -> list[str]:
    """Labels of `kind` whose answers collapsed onto one answer at the constant baseline (see module doc)."""
    return sorted(label for label, share, acc, base in _judged(metrics, kind, "answers/top_share")
                  if share >= COLLAPSE_SHARE and acc <= base + COLLAPSE_MARGIN)


def shortcut_groups(metrics: Mapping[str, float], kind: str = "source") -> list[str]:
    """Labels of `kind` whose accuracy is above the constant answer's but no better than answering from their
    shortcut alone, where the shortcut tells more than a constant answer does (each by COLLAPSE_MARGIN): the policy
    reads part of its input, not what the question asks. (A policy at or below the constant answer reads nothing
    yet: an untrained one, or one the collapse check speaks for.)"""
    return sorted(label for label, shortcut, acc, base in _judged(metrics, kind, "baseline/shortcut")
                  if shortcut >= base + COLLAPSE_MARGIN and base + COLLAPSE_MARGIN < acc <= shortcut + COLLAPSE_MARGIN)
