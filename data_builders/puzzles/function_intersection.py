"""`function_intersection`: where two plotted graphs cross — the x (or y) value of the crossing of the blue and red
lines, or at level 5 of the crossing of a parabola and a line that lies farther left or right.

Crossings are drawn first as grid points; each line passes through them with a slope from the level's list (two
lines at least 20° apart, so the crossing is sharp). Difficulty widens the axes, adds fractional and negative
slopes, asks for y as well as x, adds a green distractor line (whose own crossings keep away from the asked one)
and finally a parabola that meets a line twice. The trace names the crossing point. Legibility: tick labels,
gridline spacing and the crossing visible in both colours after the resize.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _axes as ax
from ._cells import state_json

KNOBS = {
    1: {"range": [0, 6], "slopes": ["0", "1", "-1", "2"], "ask": ["x"], "distractor": False, "parabola": False},
    2: {"range": [-5, 5], "slopes": ["0", "1", "-1", "2", "-2"], "ask": ["x", "y"], "distractor": False,
        "parabola": False},
    3: {"range": [-5, 5], "slopes": ["0", "1/2", "-1/2", "1", "-1", "2", "-2", "3"], "ask": ["x", "y"],
        "distractor": False, "parabola": False},
    4: {"range": [-6, 6], "slopes": ["0", "1/2", "-1/2", "1/3", "1", "-1", "2", "-3"], "ask": ["x", "y"],
        "distractor": True, "parabola": False},
    5: {"range": [-6, 6], "slopes": [], "ask": ["left", "right"], "distractor": False, "parabola": True},
}


def line_through(p, m: Fraction) -> tuple:
    return ("line", m, p[1] - m * p[0])


def y_at(curve: tuple, x) -> Fraction:
    if curve[0] == "line":
        return curve[1] * x + curve[2]
    return curve[1] * (x - curve[2]) ** 2 + curve[3]


def crossing(l1: tuple, l2: tuple) -> tuple[Fraction, Fraction] | None:
    if l1[1] == l2[1]:
        return None
    x = (l2[2] - l1[2]) / (l1[1] - l2[1])
    return x, l1[1] * x + l1[2]


def fmt_pt(p) -> str:
    return f"({p[0]}, {p[1]})"


@register
class FunctionIntersection:
    name, kind, knobs = "function_intersection", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        lo, hi = k["range"]
        if k["parabola"]:
            return self._parabola(rng, k, lo, hi)
        p = (rng.randint(lo + 1, hi - 1), rng.randint(lo + 1, hi - 1))
        m1, m2 = (Fraction(s) for s in rng.sample(k["slopes"], 2))
        if abs(math.degrees(math.atan(m1) - math.atan(m2))) < 20:
            return None
        curves = [line_through(p, m1), line_through(p, m2)]
        if k["distractor"]:
            q = (rng.randint(lo + 1, hi - 1), rng.randint(lo + 1, hi - 1))
            third = line_through(q, Fraction(rng.choice(k["slopes"])))
            for other in curves:
                x = crossing(third, other)
                if x is not None and math.dist((float(x[0]), float(x[1])), p) < 2:
                    return None
            curves.append(third)
        ask = rng.choice(k["ask"])
        answer = p[0] if ask == "x" else p[1]
        names = "the blue and red lines"
        question = (f"At what {ask}-value do {names} cross?" if ask == "x" else
                    f"What is the y-value of the point where {names} cross?")
        if k["distractor"]:
            question += " Ignore the green line."
        reasoning = f"The blue and red lines meet at the grid point {fmt_pt(p)}. So {ask} = {answer}."
        return self._puzzle(curves, lo, hi, [p], question, answer, reasoning, ask)

    def _parabola(self, rng: random.Random, k: dict, lo: int, hi: int) -> Puzzle | None:
        a = Fraction(rng.choice(["1", "-1", "1/2", "-1/2"]))
        par = ("parabola", a, rng.randint(lo + 2, hi - 2), rng.randint(lo + 1, hi - 1))
        xs = [x for x in range(lo + 1, hi) if y_at(par, x).denominator == 1 and lo < y_at(par, x) < hi]
        if len(xs) < 2:
            return None
        x1, x2 = sorted(rng.sample(xs, 2))
        p1, p2 = (x1, int(y_at(par, x1))), (x2, int(y_at(par, x2)))
        m = Fraction(p2[1] - p1[1], p2[0] - p1[0])
        line = line_through(p1, m)
        ask = rng.choice(k["ask"])
        pt = p1 if ask == "left" else p2
        answer = pt[0]
        question = (f"The blue line crosses the red parabola twice. What is the x-value of the crossing point "
                    f"farther to the {ask}?")
        reasoning = (f"They meet at {fmt_pt(p1)} and {fmt_pt(p2)}. The {ask} one is {fmt_pt(pt)}. So x = {answer}.")
        return self._puzzle([line, par], lo, hi, [p1, p2], question, answer, reasoning, ask)

    @staticmethod
    def _puzzle(curves, lo, hi, points, question, answer, reasoning, ask) -> Puzzle | None:
        if ax.says_answer(question, str(answer)):
            return None
        state = {"range": [lo, hi], "curves": [[c[0]] + [str(v) for v in c[1:]] for c in curves]}
        return Puzzle(state=state, question=question, answer=str(answer), answer_type="integer", verifier="integer",
                      reasoning=reasoning, scene=(curves, points, lo, hi),
                      distractors=[str(answer + d) for d in (-2, -1, 1, 2, 3)],
                      meta={"question_type": ask, "n_curves": len(curves), "state_json": state_json(state)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        curves, points, lo, hi = pz.scene
        c = Canvas(view.size)
        axes = ax.Axes(lo, hi, lo, hi).fit_labels(c)
        reason = axes.check(view, c)
        if reason:
            return Rendered(None, reason)
        axes.draw(c)
        for curve, color in zip(curves, ("blue", "red", "green")):
            fc = [float(v) for v in curve[1:]]
            axes.plot(c, (lambda x, m=fc[0], b=fc[1]: m * x + b) if curve[0] == "line" else
                      (lambda x, a=fc[0], h=fc[1], v=fc[2]: a * (x - h) ** 2 + v), ax.CURVES[color])
        image = c.image()
        small = view.to_model(image)
        for x, y in points:  # the crossing must show the first curve's colour next to the (top) second's
            if not (ax.shows_color(small, view, axes.cx(x), axes.cy(y), ax.CURVES["red"]) and
                    ax.shows_color(small, view, axes.cx(x), axes.cy(y), ax.CURVES["blue"], radius=2)):
                return Rendered(None, "crossing_hidden")
        return Rendered(image)
