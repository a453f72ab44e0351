"""One summary of scored completions, with one naming scheme, for training steps, evaluation and `mmreason verify`.

    reward/mean, reward/std          the total reward (std: unbiased, 0 for a single row)
    accuracy/mean, format/mean       the verifier's accuracy and the format check
    response_length/mean, /max       completion lengths in tokens (when given)
    truncated_frac                   share of completions cut by the generation budget (when given)
    accuracy/<kind>/<label>          mean accuracy per label, e.g. accuracy/source/count, accuracy/verifier/math
    reward/<kind>/<label>            mean reward per label
    reward_errors/<reason>           verifier errors counted by reason (summed over ranks)
    count                            rows summarised (summed over ranks)
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Mapping, Sequence

from ..types import Metrics
from .reward import RewardBreakdown


def summarize_rewards(breakdowns: Sequence[RewardBreakdown], *, rewards: Sequence[float] | None = None,
                      lengths: Sequence[int] | None = None, truncated: Sequence[bool] | None = None,
                      labels: Mapping[str, Sequence[str]] | None = None) -> Metrics:
    """Metrics of one batch of scored completions. `rewards`: the total reward per row when it differs from the
    breakdown's (length shaping added); `labels[kind][i]` names row i's group of that kind."""
    n = len(breakdowns)
    m = Metrics()
    m.add_sum("count", n)
    if n == 0:
        return m
    rewards = [b.reward for b in breakdowns] if rewards is None else [float(r) for r in rewards]
    mean = sum(rewards) / n
    m["reward/mean"] = mean
    m["reward/std"] = math.sqrt(sum((r - mean) ** 2 for r in rewards) / (n - 1)) if n > 1 else 0.0
    m["accuracy/mean"] = sum(b.accuracy for b in breakdowns) / n
    m["format/mean"] = sum(b.format for b in breakdowns) / n
    if lengths is not None:
        m["response_length/mean"] = sum(lengths) / n
        m["response_length/max"] = float(max(lengths))
    if truncated is not None:
        m["truncated_frac"] = sum(bool(t) for t in truncated) / n
    for kind, per_row in (labels or {}).items():
        acc, rew = defaultdict(list), defaultdict(list)
        for label, b, r in zip(per_row, breakdowns, rewards):
            if label:
                acc[label].append(b.accuracy)
                rew[label].append(r)
        for label in sorted(acc):
            m[f"accuracy/{kind}/{label}"] = sum(acc[label]) / len(acc[label])
            m[f"reward/{kind}/{label}"] = sum(rew[label]) / len(rew[label])
    for reason, count in sorted(Counter(b.error.split(":")[0] for b in breakdowns if b.error).items()):
        m.add_sum(f"reward_errors/{reason}", count)
    return m
