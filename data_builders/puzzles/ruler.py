"""`ruler`: measure a coloured bar against a ruler drawn under it (or the difference of two bars), in centimetres.

The ruler runs from 0 to N with a tick per centimetre (and per half centimetre from level 3); bar ends sit on
ticks. Difficulty: the bar leaves 0 (subtraction), half-centimetre ends, labels only every 2 cm, then two bars and
their difference. Answers are integers or halves (`numeric` verifier; canonical `2.5`, `3`). Legibility: tick
spacing, tick stroke and label height in model pixels, and labels that do not collide.
"""

from __future__ import annotations

import random
from fractions import Fraction

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _kit

KNOBS = {
    1: {"length": 6, "step": 1, "label_every": 1, "from_zero": True, "bars": 1},
    2: {"length": 8, "step": 1, "label_every": 1, "from_zero": False, "bars": 1},
    3: {"length": 8, "step": 0.5, "label_every": 1, "from_zero": False, "bars": 1},
    4: {"length": 10, "step": 0.5, "label_every": 2, "from_zero": False, "bars": 1},
    5: {"length": 10, "step": 0.5, "label_every": 2, "from_zero": False, "bars": 2},
}
X0, X1 = 0.07, 0.93                # ruler ends (0 and N)
RULER_Y0, RULER_Y1 = 0.56, 0.9     # ruler strip
MAJOR, MINOR = 0.075, 0.04         # tick lengths
TICK_W = 0.011
LABEL_Y = 0.77
BARS = {"red": ((215, 45, 45), 0.3, 0.4), "blue": ((40, 95, 225), 0.44, 0.54)}
RULER_FILLS = [(246, 228, 160), (236, 236, 236), (226, 240, 250), (250, 226, 200)]   # nuisance: ruler colour
BAR_H = [0.06, 0.08, 0.1]                                                            # nuisance: bar thickness
INK = (30, 30, 30)


def num(v: Fraction) -> str:
    """Canonical number: 3 → '3', 5/2 → '2.5'."""
    return str(v.numerator) if v.denominator == 1 else f"{float(v):g}"


def x_of(v: Fraction, n: int) -> float:
    return X0 + float(v) / n * (X1 - X0)


@register
class Ruler:
    name, kind, knobs = "ruler", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        step = Fraction(k["step"]).limit_denominator(2)
        slots = int(k["length"] / step)
        bars = {}
        for color in (["blue"] if k["bars"] == 1 else ["red", "blue"]):
            a = 0 if k["from_zero"] else rng.randint(0, slots - 1)
            b = rng.randint(a + 1, slots)
            bars[color] = (a * step, b * step)
        if k["bars"] == 2:
            diff = (bars["red"][1] - bars["red"][0]) - (bars["blue"][1] - bars["blue"][0])
            if diff <= 0:
                return None
        return self.puzzle(bars, level, [rng.randrange(len(RULER_FILLS)), rng.randrange(len(BAR_H))])

    def puzzle(self, bars: dict, level: int, look: list[int]) -> Puzzle:
        length = {c: b - a for c, (a, b) in bars.items()}
        if len(bars) == 1:
            (a, b), = bars.values()
            value = length["blue"]
            question = "How long is the blue bar, in centimetres, measured with the ruler?"
            reasoning = f"Left end: {num(a)}, right end: {num(b)}. {num(b)} - {num(a)} = {num(value)}."
            steps = _kit.steps(("left end", num(a)), ("right end", num(b)))
        else:
            value = length["red"] - length["blue"]
            question = "How many centimetres longer is the red bar than the blue bar?"
            parts = [f"{c.capitalize()} length: {num(bars[c][1])} - {num(bars[c][0])} = {num(length[c])}."
                     for c in ("red", "blue")]
            reasoning = f"{' '.join(parts)} {num(length['red'])} - {num(length['blue'])} = {num(value)}."
            steps = _kit.steps(("red length", num(length["red"])), ("blue length", num(length["blue"])))
        answer = num(value)
        half = Fraction(1, 2)
        return Puzzle(state={"n": KNOBS[level]["length"], "labels": KNOBS[level]["label_every"],
                             "halves": KNOBS[level]["step"] < 1,
                             "bars": sorted([c, num(a), num(b)] for c, (a, b) in bars.items()), "look": look},
                      question=question, answer=answer, answer_type="number", verifier="numeric",
                      reasoning=reasoning, scene={"bars": bars, "level": level, "look": look},
                      distractors=[num(value + d) for d in (-2, -1, -half, half, 1, 2) if value + d > 0],
                      options_from_distractors=True,
                      meta={"question_type": "length" if len(bars) == 1 else "difference", "n_bars": len(bars),
                            "ruler_cm": KNOBS[level]["length"],
                            "bars": " ".join(f"{c}:{num(a)}-{num(b)}" for c, (a, b) in sorted(bars.items()))},
                      steps=steps)

    def perturb(self, pz: Puzzle, rng: random.Random, level: int) -> tuple[Puzzle, str] | None:
        """Minimal pair: the right end of one bar moves by one or two ticks (the answer changes)."""
        k = KNOBS[level]
        step = Fraction(k["step"]).limit_denominator(2)
        bars = dict(pz.scene["bars"])
        color = rng.choice(sorted(bars))
        a, b = bars[color]
        nb = b + rng.choice([-2, -1, 1, 2]) * step
        if not a < nb <= k["length"]:
            return None
        bars[color] = (a, nb)
        new = self.puzzle(bars, level, pz.scene["look"])
        if Fraction(new.answer) <= 0:
            return None
        return new, f"{color} bar right end: {num(b)} -> {num(nb)}"

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        bars = pz.scene["bars"]
        spans = "; ".join(f"the {c} bar spans {num(a)} to {num(b)}" for c, (a, b) in sorted(bars.items()))
        return [f"A ruler marked 0 to {KNOBS[pz.scene['level']]['length']} cm; {spans}."]

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        k = KNOBS[pz.scene["level"]]
        n = k["length"]
        unit = (X1 - X0) / n
        side = view.model_side
        if unit * k["step"] * side < 3 * vis.MIN_STROKE or TICK_W * side < vis.MIN_STROKE:
            return Rendered(None, "tick_spacing")
        h = _kit.TEXT_H
        if not _kit.text_ok(h, view):
            return Rendered(None, "text_height")
        if _kit.text_width(str(n), h) + 0.02 > unit * k["label_every"]:
            return Rendered(None, "label_overlap")
        c = Canvas(view.size)
        fill, bar_h = pz.scene["look"]
        c.rect(X0 - 0.06, RULER_Y0, X1 + 0.06, RULER_Y1, fill=RULER_FILLS[fill], outline=INK, width=0.006)
        for i in range(int(n / k["step"]) + 1):
            v = Fraction(i) * Fraction(k["step"]).limit_denominator(2)
            x = x_of(v, n)
            major = v.denominator == 1
            c.line([(x, RULER_Y0), (x, RULER_Y0 + (MAJOR if major else MINOR))], fill=INK, width=TICK_W)
            if major and v.numerator % k["label_every"] == 0:
                c.text(x, LABEL_Y, str(v.numerator), _kit.FONT, h, INK)
        for color, (a, b) in pz.scene["bars"].items():
            rgb, y0, y1 = BARS[color]
            c.rect(x_of(a, n), y1 - BAR_H[bar_h], x_of(b, n), y1, fill=rgb)
        return Rendered(c.image())
