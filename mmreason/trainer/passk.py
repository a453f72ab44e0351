"""pass@k and maj@k over several sampled completions per item: pure functions, checked by hand in the tests.

    pass@1   the mean accuracy over an item's samples (for right/wrong verifiers: c / n)
    pass@k   the unbiased estimator of Chen et al. (2021): 1 − C(n − c, k) / C(n, k), with n samples of which c
             are correct; it is the chance that at least one of k samples drawn without replacement is correct.
             A sample counts as correct when its accuracy is ≥ 0.5 (partial-credit verifiers: ANLS, IoU).
    maj@k    the accuracy of the most frequent extracted answer among the item's samples (majority vote).
             Answers are compared after collapsing whitespace and case-folding; samples with no extracted
             answer do not vote (an item where none votes scores 0). Ties go to the answer that appeared first
             in sample order, so the result never depends on dict or set ordering. The answer's accuracy is
             the accuracy of the first sample that gave it.

Item-level values are averaged per group of items (`source`, `family`, `difficulty`) under the names
`pass@<k>/mean`, `pass@<k>/<kind>/<label>`, `maj@<k>/…`, and `items`, `items/<kind>/<label>` count the items.
"""

from __future__ import annotations

from collections import defaultdict
from math import comb
from typing import Mapping, Sequence

CORRECT_AT = 0.5  # a sample with accuracy >= this counts as correct for pass@k


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples of which c are correct (1 − C(n−c, k) / C(n, k))."""
    if not 0 <= c <= n:
        raise ValueError(f"pass_at_k: need 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"pass_at_k: need 1 <= k <= n, got n={n}, k={k}")
    if n - c < k:  # every draw of k samples holds a correct one
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def _vote_key(answer: str | None) -> str | None:
    if answer is None:
        return None
    key = " ".join(str(answer).split()).casefold()
    return key or None


def majority_answer(answers: Sequence[str | None]) -> int | None:
    """Index of the first sample holding the most frequent answer (ties: the earliest answer); None when no
    sample has an answer."""
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for i, a in enumerate(answers):
        key = _vote_key(a)
        if key is None:
            continue
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, i)
    if not counts:
        return None
    best = max(counts.values())
    return min(first[key] for key, c in counts.items() if c == best)


def maj_at_k(answers: Sequence[str | None], accuracy: Sequence[float]) -> float:
    """Accuracy of the majority-vote answer among the samples (0 when none has an answer)."""
    if len(answers) != len(accuracy):
        raise ValueError(f"maj_at_k: {len(answers)} answers but {len(accuracy)} accuracies")
    i = majority_answer(answers)
    return 0.0 if i is None else float(accuracy[i])


def pass_ks(k: int) -> list[int]:
    """The k values reported for k samples per item: 1, the powers of two below k, and k."""
    out, j = [1], 2
    while j < k:
        out.append(j)
        j *= 2
    return out + ([k] if k > 1 else [])


def item_values(accuracy: Sequence[float], answers: Sequence[str | None], ks: Sequence[int]) -> dict[str, float]:
    """pass@j for each j in ks and maj@n for one item's n samples."""
    n = len(accuracy)
    if n == 0:
        raise ValueError("item_values: an item needs at least one sample")
    c = sum(a >= CORRECT_AT for a in accuracy)
    out = {}
    for j in ks:
        out[f"pass@{j}"] = sum(accuracy) / n if j == 1 else pass_at_k(n, c, j)
    if n > 1:
        out[f"maj@{n}"] = maj_at_k(answers, accuracy)
    return out


def pass_metrics(items: Sequence[tuple[Sequence[float], Sequence[str | None]]],
                 labels: Mapping[str, Sequence[str]] | None = None) -> dict[str, float]:
    """pass@j / maj@k of items (each: its samples' accuracies and extracted answers, all with the same number of
    samples k), overall and per label: `labels[kind][i]` names item i's group of that kind ('' = none)."""
    if not items:
        return {}
    sizes = {len(acc) for acc, _ in items}
    if len(sizes) != 1:
        raise ValueError(f"pass_metrics: items have different sample counts {sorted(sizes)}")
    ks = pass_ks(sizes.pop())
    values = [item_values(acc, ans, ks) for acc, ans in items]
    names = list(values[0])
    out = {"items": float(len(values))}
    for name in names:
        out[f"{name}/mean"] = sum(v[name] for v in values) / len(values)
    for kind, per_item in (labels or {}).items():
        groups: dict[str, list[int]] = defaultdict(list)
        for i, label in enumerate(per_item):
            if label not in ("", None):
                groups[str(label)].append(i)
        for label in sorted(groups):
            idx = groups[label]
            out[f"items/{kind}/{label}"] = float(len(idx))
            for name in names:
                out[f"{name}/{kind}/{label}"] = sum(values[i][name] for i in idx) / len(idx)
    return out
