"""`sequence`: a row of numbered boxes with one question mark — which number belongs there?

Rule vocabulary: arithmetic (constant difference), geometric (constant whole ratio), alternating differences,
differences that grow by a constant (quadratic), and "sum of the two before" (Fibonacci-like). The generator fills
the gap under every rule of the vocabulary and keeps a draw only when all the rules that fit the visible terms agree
on one value (so the question has a single answer within the stated vocabulary). Difficulty: arithmetic with a small
step → any step, descending → geometric → alternating/quadratic with the gap anywhere → Fibonacci-like and longer
rows. Legibility: number cap height in model pixels and every number inside its box.
"""

from __future__ import annotations

import math
import random

from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _kit

KNOBS = {
    1: {"rules": ["arithmetic"], "terms": 5, "gap": "last", "step": [1, 5]},
    2: {"rules": ["arithmetic"], "terms": 5, "gap": "last", "step": [-12, 12]},
    3: {"rules": ["arithmetic", "geometric"], "terms": 6, "gap": "last", "step": [-15, 15]},
    4: {"rules": ["alternating", "quadratic", "geometric"], "terms": 6, "gap": "any", "step": [-15, 15]},
    5: {"rules": ["quadratic", "fibonacci", "alternating"], "terms": 7, "gap": "any", "step": [-15, 15]},
}
RECURRENCES = {"arithmetic": (1, -2, 1), "alternating": (1, -1, -1, 1), "quadratic": (-1, 3, -3, 1),
               "fibonacci": (1, 1, -1)}   # sum of c_j * x_(i+j) == 0 over every window
BOX_W, BOX_H, PER_ROW = 0.21, 0.17, 4


def plus(a: int, d: int) -> str:
    """'a + d' or 'a - |d|'."""
    return f"{a} + {d}" if d >= 0 else f"{a} - {-d}"


def fits(rule: str, xs: list[int]) -> bool:
    """Does the complete sequence follow `rule` (the vocabulary's definitions, degenerate cases excluded)?"""
    d = [b - a for a, b in zip(xs, xs[1:])]
    if rule == "geometric":
        return all(x != 0 for x in xs) and all(b % a == 0 and b // a == xs[1] // xs[0] for a, b in zip(xs, xs[1:])) \
            and abs(xs[1] // xs[0]) >= 2
    c = RECURRENCES[rule]
    ok = all(sum(cj * xs[i + j] for j, cj in enumerate(c)) == 0 for i in range(len(xs) - len(c) + 1))
    if rule == "arithmetic":
        return ok and d[0] != 0
    if rule == "alternating":
        return ok and d[0] != d[1]
    if rule == "quadratic":
        return ok and d[1] - d[0] != 0
    return ok


def candidates(rule: str, xs: list[int | None]) -> set[int]:
    """Values for the single gap (None) that the rule's local relation allows (to be checked with `fits`)."""
    m = xs.index(None)
    out: set[int] = set()
    if rule == "geometric":
        for i in range(len(xs) - 2):
            a, b, c = xs[i:i + 3]
            if b is None and a and c and a * c > 0 and math.isqrt(a * c) ** 2 == a * c:
                out |= {math.isqrt(a * c), -math.isqrt(a * c)}
            elif c is None and a and b * b % a == 0:
                out.add(b * b // a)
            elif a is None and c and b * b % c == 0:
                out.add(b * b // c)
        return out
    c = RECURRENCES[rule]
    for i in range(max(0, m - len(c) + 1), min(m, len(xs) - len(c)) + 1):
        rest = sum(cj * xs[i + j] for j, cj in enumerate(c) if i + j != m)
        if rest % c[m - i] == 0:
            out.add(-rest // c[m - i])
    return out


def solutions(xs: list[int | None], rules) -> dict[str, set[int]]:
    """Rule → the gap values under which the whole sequence follows that rule."""
    m = xs.index(None)
    return {r: {v for v in candidates(r, xs) if fits(r, xs[:m] + [v] + xs[m + 1:])} for r in rules}


@register
class Sequence:
    name, kind, knobs = "sequence", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        rule = rng.choice(k["rules"])
        xs = self._draw(rng, rule, k)
        if xs is None or not all(-99 <= x <= 999 for x in xs):
            return None
        m = len(xs) - 1 if k["gap"] == "last" else rng.randrange(1, len(xs))
        shown = xs[:m] + [None] + xs[m + 1:]
        sols = solutions(shown, RECURRENCES.keys() | {"geometric"})
        values = set().union(*sols.values())
        if values != {xs[m]}:
            return None  # another rule of the vocabulary fills the gap differently: ambiguous
        reasoning, steps = self._trace(rule, xs, m)
        text = ", ".join("?" if x is None else str(x) for x in shown)
        return Puzzle(state={"shown": [-1000 if x is None else x for x in shown]},
                      question="Which number should replace the question mark in the sequence?", answer=str(xs[m]),
                      answer_type="integer", verifier="integer", reasoning=reasoning,
                      scene={"shown": shown}, distractors=[str(xs[m] + d) for d in (-3, -2, -1, 1, 2, 3)],
                      meta={"question_type": rule, "n_terms": len(xs), "gap": m + 1, "terms": text}, steps=steps)

    @staticmethod
    def _draw(rng: random.Random, rule: str, k: dict) -> list[int] | None:
        n, (lo, hi) = k["terms"], k["step"]
        if rule == "arithmetic":
            d = rng.choice([v for v in range(lo, hi + 1) if v])
            start = rng.randint(1, 20) if d > 0 else rng.randint(-d * n, -d * n + 30)
            return [start + i * d for i in range(n)]
        if rule == "geometric":
            r, a = rng.choice([2, 3]), rng.randint(1, 12)
            return [a * r ** i for i in range(n)]
        if rule == "alternating":
            d1, d2 = rng.sample([v for v in range(lo, hi + 1) if v], 2)
            start = rng.randint(1, 30)
            xs = [start]
            for i in range(n - 1):
                xs.append(xs[-1] + (d1 if i % 2 == 0 else d2))
            return xs
        if rule == "quadratic":
            d, e = rng.randint(lo, hi), rng.choice([v for v in range(-3, 4) if v])
            xs = [rng.randint(1, 30)]
            for i in range(n - 1):
                xs.append(xs[-1] + d + i * e)
            return xs
        a, b = rng.randint(1, 6), rng.randint(1, 9)
        xs = [a, b]
        while len(xs) < n:
            xs.append(xs[-1] + xs[-2])
        return xs

    @staticmethod
    def _trace(rule: str, xs: list[int], m: int) -> tuple[str, list[dict]]:
        d = [b - a for a, b in zip(xs, xs[1:])]
        v = xs[m]
        if rule == "arithmetic":
            return (f"Differences: {', '.join(map(str, d[:m]))}. {plus(xs[m - 1], d[0])} = {v}.",
                    _kit.steps(*((f"difference {i + 1}", x) for i, x in enumerate(d[:m]))))
        if rule == "geometric":
            r = xs[1] // xs[0]
            how = f"{xs[m - 1]} × {r} = {v}" if m > 0 else f"{xs[1]} / {r} = {v}"
            return f"Each term is {r} times the one before. {how}.", _kit.steps(("times", r))
        if rule == "alternating":
            how = f"{plus(xs[m - 1], d[m - 1])} = {v}"
            return (f"First difference: {d[0]}, second difference: {d[1]}; they alternate. {how}.",
                    _kit.steps(("first difference", d[0]), ("second difference", d[1])))
        if rule == "quadratic":
            e = d[1] - d[0]
            return (f"Differences grow by {e}: {', '.join(map(str, d))}. {plus(xs[m - 1], d[m - 1])} = {v}.",
                    _kit.steps(("differences grow by", e)))
        how = f"{xs[m - 2]} + {xs[m - 1]} = {v}" if m >= 2 else f"{xs[m + 2]} - {xs[m + 1]} = {v}"
        return f"Each term is the sum of the two before. {how}.", []

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        return [f"Numbers in order: {pz.meta['terms']}."]

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        shown = pz.scene["shown"]
        h = _kit.TEXT_H
        if not _kit.text_ok(h, view):
            return Rendered(None, "text_height")
        labels = ["?" if x is None else str(x) for x in shown]
        if max(_kit.text_width(s, h) for s in labels) > BOX_W - 0.03:
            return Rendered(None, "box_fit")
        rows = [labels[i:i + PER_ROW] for i in range(0, len(labels), PER_ROW)]
        c = Canvas(view.size)
        gap_x = (1 - PER_ROW * BOX_W) / (PER_ROW + 1)
        top = 0.5 - (len(rows) * BOX_H + (len(rows) - 1) * 0.08) / 2
        for r, row in enumerate(rows):
            y = top + r * (BOX_H + 0.08)
            for i, s in enumerate(row):
                x = gap_x + i * (BOX_W + gap_x)
                fill = (255, 240, 200) if s == "?" else (235, 242, 252)
                c.rect(x, y, x + BOX_W, y + BOX_H, fill=fill, outline=(60, 70, 90), width=0.008)
                c.text(x + BOX_W / 2, y + BOX_H / 2, s, _kit.FONT, h, (20, 20, 20))
        return Rendered(c.image())
