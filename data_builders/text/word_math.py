"""`word_math`: text-only arithmetic, from a sum of two digits to short word problems; no image.

The answer is computed from the drawn numbers (the state) and drawn first where cheap; the reference trace writes
the computation in one line (`12 + 7 - 5 = 14.`), so cold-start traces stay short. Levels move the operand range,
the operations and the number of steps; level 5 wraps the computation in a sentence about objects.
"""

from __future__ import annotations

import random

from ..core import Puzzle, Rendered, register

KNOBS = {
    1: {"terms": 2, "max": 9, "ops": ["+"], "words": False},
    2: {"terms": 2, "max": 20, "ops": ["+", "-"], "words": False},
    3: {"terms": 2, "max": 12, "ops": ["+", "-", "*"], "words": False},
    4: {"terms": 3, "max": 20, "ops": ["+", "-"], "words": False},
    5: {"terms": 3, "max": 30, "ops": ["+", "-"], "words": True},
}
NAMES = ["Ann", "Ben", "Cleo", "Dev", "Eli", "Fay"]
THINGS = ["apples", "marbles", "stickers", "coins", "books", "shells"]


def evaluate(numbers: list[int], ops: list[str]) -> int:
    """Left to right, × before + and − (only one × ever appears, between two terms)."""
    if "*" in ops:
        return numbers[0] * numbers[1]
    total = numbers[0]
    for op, n in zip(ops, numbers[1:]):
        total = total + n if op == "+" else total - n
    return total


def expression(numbers: list[int], ops: list[str]) -> str:
    sym = {"+": "+", "-": "-", "*": "×"}
    out = str(numbers[0])
    for op, n in zip(ops, numbers[1:]):
        out += f" {sym[op]} {n}"
    return out


def sentence(numbers: list[int], ops: list[str], rng: random.Random) -> str:
    who, what = rng.choice(NAMES), rng.choice(THINGS)
    parts = [f"{who} has {numbers[0]} {what}."]
    for op, n in zip(ops, numbers[1:]):
        parts.append(f"{who} gets {n} more." if op == "+" else f"{who} gives away {n}.")
    return " ".join(parts) + f" How many {what} does {who} have now?"


@register
class WordMath:
    name, kind, knobs = "word_math", "text", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        ops = [rng.choice(k["ops"]) for _ in range(k["terms"] - 1)]
        if ops.count("*") > 0 and k["terms"] > 2:
            return None
        numbers = [rng.randint(1 if "*" in ops else 0, k["max"]) for _ in range(k["terms"])]
        answer = evaluate(numbers, ops)
        if answer < 0 or answer in numbers:
            return None  # non-negative (counts in the word problems) and never one of the operands (0 + 5, 1 × 4)
        expr = expression(numbers, ops)
        question = sentence(numbers, ops, rng) if k["words"] else f"What is {expr}?"
        return Puzzle(state={"numbers": numbers, "ops": ops, "words": question if k["words"] else None},
                      question=question, answer=str(answer), answer_type="integer", verifier="integer",
                      reasoning=f"{expr} = {answer}.",
                      distractors=[str(answer + d) for d in (-2, -1, 1, 2) if answer + d >= 0],
                      meta={"operations": "".join(ops), "terms": k["terms"]})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        return Rendered(None)  # text only: no image
