"""`number_list`: text-only number sense over a short list: how many are odd, even, above or below a bound, a
multiple of 3, in a range; at level 5 the sum of those that are.

The answer is drawn first (uniform over the possible counts) and the list built around it, so answers are balanced
by construction. The reference trace judges every number in order and then counts (`3 yes, 8 no, 5 yes. So 2.`):
each judgement is a fact about one number (parity, a comparison) that training covers whatever the list, so a policy
that learned the facts and the counting generalises to lists it never saw — the text-only counterpart of `count`.
"""

from __future__ import annotations

import random

from ..core import Puzzle, Rendered, register

KNOBS = {
    1: {"items": [3, 5], "max": 9, "predicates": ["odd", "even"], "ask": "count"},
    2: {"items": [4, 6], "max": 9, "predicates": ["odd", "even", "greater", "less"], "ask": "count"},
    3: {"items": [5, 7], "max": 20, "predicates": ["odd", "even", "greater", "less", "multiple3"], "ask": "count"},
    4: {"items": [6, 8], "max": 50, "predicates": ["greater", "less", "multiple3", "between"], "ask": "count"},
    5: {"items": [4, 5], "max": 20, "predicates": ["odd", "even", "greater"], "ask": "sum"},
}


def holds(pred: str, x: int, bounds: list[int]) -> bool:
    """Whether `x` has the property (`bounds`: [k] for greater/less, [lo, hi] inclusive for between)."""
    if pred == "odd":
        return x % 2 == 1
    if pred == "even":
        return x % 2 == 0
    if pred == "greater":
        return x > bounds[0]
    if pred == "less":
        return x < bounds[0]
    if pred == "multiple3":
        return x % 3 == 0
    return bounds[0] <= x <= bounds[1]


def describe(pred: str, bounds: list[int]) -> str:
    return {"odd": "odd", "even": "even", "greater": f"greater than {bounds[0]}" if bounds else "",
            "less": f"less than {bounds[0]}" if bounds else "", "multiple3": "multiples of 3",
            "between": f"between {bounds[0]} and {bounds[1]}" if len(bounds) == 2 else ""}[pred]


def _bounds(rng: random.Random, pred: str, top: int) -> list[int]:
    if pred in ("greater", "less"):
        return [rng.randint(2, top - 2)]
    if pred == "between":
        lo = rng.randint(1, top - 12)
        return [lo, lo + rng.randint(5, 10)]
    return []


@register
class NumberList:
    name, kind, knobs = "number_list", "text", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        pred = rng.choice(k["predicates"])
        bounds = _bounds(rng, pred, k["max"])
        lo_n, hi_n = k["items"]
        hits = rng.randint(1 if k["ask"] == "sum" else 0, hi_n)  # the answer first: every count equally likely
        n = rng.randint(max(lo_n, hits), hi_n)
        yes = [x for x in range(k["max"] + 1) if holds(pred, x, bounds)]
        no = [x for x in range(k["max"] + 1) if not holds(pred, x, bounds)]
        if (hits and not yes) or (hits < n and not no):
            return None
        flags = [True] * hits + [False] * (n - hits)
        rng.shuffle(flags)
        numbers = [rng.choice(yes if f else no) for f in flags]
        what = describe(pred, bounds)
        listed = ", ".join(map(str, numbers))
        judged = ", ".join(f"{x} {'yes' if f else 'no'}" for x, f in zip(numbers, flags))
        if k["ask"] == "sum":
            picked = [x for x, f in zip(numbers, flags) if f]
            answer = sum(picked)
            question = f"Numbers: {listed}. What is the sum of the numbers that are {what}?"
            reasoning = f"{judged}. {' + '.join(map(str, picked))} = {answer}."
        else:
            answer = hits
            question = f"Numbers: {listed}. How many of them are {what}?"
            reasoning = f"{judged}. So {answer}."
        return Puzzle(state={"numbers": numbers, "predicate": pred, "bounds": bounds, "ask": k["ask"]},
                      question=question, answer=str(answer), answer_type="integer", verifier="integer",
                      reasoning=reasoning,
                      distractors=[str(answer + d) for d in (-2, -1, 1, 2) if answer + d >= 0],
                      meta={"predicate": pred, "items": n, "ask": k["ask"]})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        return Rendered(None)  # text only: no image
