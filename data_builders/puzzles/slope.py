"""`slope`: the slope of a plotted line, as an integer or a fraction in lowest terms (`math` verifier).

The line passes through grid points; at levels 1–3 two of them are marked with dots. Difficulty moves from
positive whole slopes to negative and zero ones, then fractions (rise over run), removes the dots (the reader must
find grid points the line passes exactly) and at level 5 gives the y axis a different scale (one gridline = 2),
so counting squares alone gives the wrong slope. The trace names two points and divides. Legibility: tick labels,
gridline spacing and line width in model pixels.
"""

from __future__ import annotations

import random
from fractions import Fraction

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _axes as ax
from ._cells import state_json

KNOBS = {
    1: {"x_range": [0, 6], "y_range": [0, 6], "y_grid": 1, "slopes": ["1", "2", "3"], "dots": True},
    2: {"x_range": [-5, 5], "y_range": [-5, 5], "y_grid": 1, "slopes": ["1", "2", "3", "-1", "-2", "-3", "0"],
        "dots": True},
    3: {"x_range": [-5, 5], "y_range": [-5, 5], "y_grid": 1,
        "slopes": ["1/2", "-1/2", "3/2", "-3/2", "2/3", "-2/3", "2", "-1"], "dots": True},
    4: {"x_range": [-6, 6], "y_range": [-6, 6], "y_grid": 1,
        "slopes": ["1/2", "-1/2", "3/2", "-3/2", "1/3", "-2/3", "3/4", "-1/4", "2", "-3"], "dots": False},
    5: {"x_range": [-6, 6], "y_range": [-10, 10], "y_grid": 2,
        "slopes": ["1/2", "-1/2", "3/2", "-3/2", "4", "-4", "2", "-2", "3", "-1"], "dots": False},
}
DOT_R = 0.022


def fmt(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


@register
class Slope:
    name, kind, knobs = "slope", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        (xlo, xhi), (ylo, yhi), g = k["x_range"], k["y_range"], k["y_grid"]
        m = Fraction(rng.choice(k["slopes"]))
        run = m.denominator * rng.choice([1, 1, 2]) if m else rng.randint(2, 4)
        rise = m * run
        x1 = rng.randint(xlo + 1, xhi - 1 - run)
        y1 = g * rng.randint(ylo // g + 1, yhi // g - 1)
        p1, p2 = (x1, y1), (x1 + run, y1 + int(rise))
        if not (xlo < p2[0] < xhi and ylo < p2[1] < yhi) or p2[1] % g:
            return None
        answer = fmt(m)
        value = f"{int(rise)}/{run}" + (f" = {answer}" if fmt(Fraction(int(rise), run)) != f"{int(rise)}/{run}" else "")
        scale = " (y gridlines are 2 apart)" if g != 1 else ""
        reasoning = f"From {p1} to {p2}{scale}: rise {int(rise)}, run {run}. Slope {value}."
        question = ("What is the slope of the line? Answer with an integer or a fraction in lowest terms.")
        state = {"x_range": [xlo, xhi], "y_range": [ylo, yhi], "y_grid": g, "slope": answer,
                 "intercept": fmt(y1 - m * x1), "dots": [list(p1), list(p2)] if k["dots"] else None}
        wrong = {-m, m + 1, m - 1, 2 * m, m / 2} | ({1 / m} if m else set()) | ({m * g, m / g} if g != 1 else set())
        wrong = {w for w in wrong if (w.denominator == 1) == (m.denominator == 1)}  # options keep the answer's form
        return Puzzle(state=state, question=question, answer=answer, answer_type="number", verifier="math",
                      reasoning=reasoning, scene=(m, p1, p2, k),
                      distractors=sorted({fmt(w) for w in wrong if w != m}),
                      meta={"question_type": "scaled_axis" if g != 1 else ("marked" if k["dots"] else "unmarked"),
                            "state_json": state_json(state)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        m, p1, p2, k = pz.scene
        (xlo, xhi), (ylo, yhi) = k["x_range"], k["y_range"]
        c = Canvas(view.size)
        axes = ax.Axes(xlo, xhi, ylo, yhi, ygrid=k["y_grid"]).fit_labels(c)
        reason = axes.check(view, c)
        if reason:
            return Rendered(None, reason)
        axes.draw(c)
        b = p1[1] - m * p1[0]
        if m == 0:
            c.line([(axes.cx(xlo), axes.cy(b)), (axes.cx(xhi), axes.cy(b))], fill=ax.CURVES["blue"], width=ax.CURVE_W)
        else:
            axes.plot(c, lambda x, mf=float(m), bf=float(b): mf * x + bf, ax.CURVES["blue"], steps=2 * (xhi - xlo))
        if k["dots"]:
            if 3.14 * (DOT_R * view.model_side) ** 2 < vis.MIN_OBJECT_AREA / 2:
                return Rendered(None, "dot_area")
            for x, y in (p1, p2):
                c.ellipse(axes.cx(x) - DOT_R, axes.cy(y) - DOT_R, axes.cx(x) + DOT_R, axes.cy(y) + DOT_R,
                          fill=ax.CURVES["red"])
        return Rendered(c.image())
