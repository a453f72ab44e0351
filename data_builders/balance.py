"""Answer balance (CLEVR-style rejection) and multiple-choice options that do not betray the answer.

`Balancer.admits(a)` refuses an answer once accepting it would put its count above 1.1× the runner-up's count plus
a small slack; the generator then redraws. Multiple-choice options are plausible values of the answer's own type:
numbers form a run of neighbouring values in ascending order with the answer at a balanced position (so the answer
is never "the middle one"), other answers draw distractors from the family's own answer vocabulary; letter
positions are balanced over the run.
"""

from __future__ import annotations

import random
from collections import Counter

RATIO, SLACK = 1.1, 2
LETTERS = "ABCD"


class Balancer:
    """Counts accepted answers of one (family, level) stream and refuses over-frequent ones."""

    def __init__(self, ratio: float = RATIO, slack: int = SLACK):
        self.ratio, self.slack = ratio, slack
        self.counts: Counter[str] = Counter()

    def admits(self, answer: str) -> bool:
        c = self.counts.copy()
        c[answer] += 1
        top = c.most_common(2)
        runner_up = top[1][1] if len(top) > 1 else 0
        return top[0][1] <= self.ratio * runner_up + self.slack

    def add(self, answer: str) -> None:
        self.counts[answer] += 1


def balanced_ok(counts: dict[str, int], ratio: float = RATIO, slack: int = SLACK) -> bool:
    """The invariant Balancer keeps: top count ≤ ratio × runner-up + slack."""
    vals = sorted(counts.values(), reverse=True)
    if not vals:
        return True
    return vals[0] <= ratio * (vals[1] if len(vals) > 1 else 0) + slack


def _is_int(s: str) -> bool:
    try:
        int(s)
        return True
    except ValueError:
        return False


class ChoiceMaker:
    """Turns an open answer into 4 options + a letter; balances the answer's letter over a stream."""

    def __init__(self):
        self.positions: Counter[int] = Counter()

    def _position(self, rng: random.Random, feasible: list[int]) -> int:
        low = min(self.positions[p] for p in feasible)
        pos = rng.choice([p for p in feasible if self.positions[p] == low])
        self.positions[pos] += 1
        return pos

    def prepare(self, answer: str, distractors: list[str], from_distractors: bool = False):
        """A function rng → (options, letter), or None when the family offers too few distinct distractors (or an
        option would read as a letter A–D, which the choice verifier would take for a position). Letter
        positions are only spent when the returned function is called (after the item passed its checks)."""
        if any(o.strip().upper() in LETTERS for o in [answer, *distractors]):
            return None
        k = len(LETTERS)
        if not from_distractors and _is_int(answer) and all(_is_int(d) for d in distractors):
            a = int(answer)
            allowed = {int(d) for d in distractors} | {a}
            floor = min(min(allowed), 0)  # counts and lengths stay ≥ 0; answers that can be negative may go below
            wide = max(allowed) - min(allowed) >= 2 * k

            def numeric(rng: random.Random):
                step = rng.choice([1, 1, 2]) if wide else 1
                pos = self._position(rng, [p for p in range(k) if a - p * step >= floor] or [0])
                return [str(a + (i - pos) * step) for i in range(k)], LETTERS[pos]
            return numeric
        pool = sorted({d for d in distractors if d.strip().lower() != answer.strip().lower()})
        if len(pool) < k - 1:
            return None

        def text(rng: random.Random):
            picked = rng.sample(pool, k - 1)
            pos = self._position(rng, list(range(k)))
            return picked[:pos] + [answer] + picked[pos:], LETTERS[pos]
        return text

    def make(self, rng: random.Random, answer: str, distractors: list[str]) -> tuple[list[str], str] | None:
        plan = self.prepare(answer, distractors)
        return plan(rng) if plan else None


def choice_question(stem: str, options: list[str]) -> str:
    lines = [stem, "Choices:"] + [f"{LETTERS[i]}. {o}" for i, o in enumerate(options)]
    return "\n".join(lines)
