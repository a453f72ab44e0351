"""`function_value`: read a plotted function — f(a) from a line or parabola on a grid, and at level 5 a composition
f(g(a)) read in two steps from two curves.

Functions have rational coefficients chosen so the queried points sit on grid crossings (integer values).
Difficulty widens the axes, moves from integer to half slopes, adds parabolas, a second curve (the question names
which) and composition. The trace reads each value off the graph. Legibility: tick labels and gridline spacing in
model pixels, and the queried point of each curve visible in its own colour after the resize (not hidden under
the other curve).
"""

from __future__ import annotations

import random
from fractions import Fraction

from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _axes as ax
from ._cells import state_json

KNOBS = {
    1: {"range": [0, 6], "kinds": ["line"], "slopes": ["1", "2", "-1"], "curves": 1, "question": "value"},
    2: {"range": [-5, 5], "kinds": ["line"], "slopes": ["1/2", "-1/2", "1", "-1", "2", "-2"], "curves": 1,
        "question": "value"},
    3: {"range": [-5, 5], "kinds": ["line", "parabola"], "slopes": ["1/2", "-1/2", "2", "-2", "3"], "curves": 1,
        "question": "value"},
    4: {"range": [-5, 5], "kinds": ["line", "parabola"], "slopes": ["1/2", "-1/2", "1", "-2", "3/2"], "curves": 2,
        "question": "value"},
    5: {"range": [-5, 5], "kinds": ["line", "parabola"], "slopes": ["1/2", "-1/2", "1", "-1", "2", "-2"],
        "curves": 2, "question": "compose"},
}
NAMES, COLORS = ("f", "g"), ("blue", "red")


def make_curve(rng: random.Random, kind: str, k: dict) -> tuple:
    """('line', m, b) or ('parabola', a, h, v): y = m x + b or y = a (x - h)² + v, with Fractions."""
    lo, hi = k["range"]
    if kind == "line":
        m = Fraction(rng.choice(k["slopes"]))
        x0 = rng.randint(lo, hi)
        y0 = rng.randint(lo + 1, hi - 1)
        return ("line", m, y0 - m * x0)
    a = Fraction(rng.choice(["1", "-1", "1/2", "-1/2"]))
    return ("parabola", a, rng.randint(lo + 2, hi - 2), rng.randint(lo + 1, hi - 1))


def value(curve: tuple, x) -> Fraction:
    if curve[0] == "line":
        return curve[1] * x + curve[2]
    return curve[1] * (x - curve[2]) ** 2 + curve[3]


def lattice_xs(curve: tuple, lo: int, hi: int) -> list[int]:
    """x strictly inside (lo, hi) where the curve has an integer value strictly inside (lo, hi): a queried point
    never sits on the frame, where the frame line would hide the curve."""
    return [x for x in range(lo + 1, hi) if value(curve, x).denominator == 1 and lo < value(curve, x) < hi]


@register
class FunctionValue:
    name, kind, knobs = "function_value", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        lo, hi = k["range"]
        curves = [make_curve(rng, rng.choice(k["kinds"]), k) for _ in range(k["curves"])]
        if len(curves) == 2 and curves[0] == curves[1]:
            return None
        pick = rng.randrange(len(curves))
        if k["question"] == "compose":
            outer, inner = curves[pick], curves[1 - pick]
            xs = [x for x in lattice_xs(inner, lo, hi) if int(value(inner, x)) in lattice_xs(outer, lo, hi)]
            if not xs:
                return None
            a = rng.choice(xs)
            mid = int(value(inner, a))
            answer = int(value(outer, mid))
            fo, fi = NAMES[pick], NAMES[1 - pick]
            question = (f"The graphs show y = f(x) in blue and y = g(x) in red. What is {fo}({fi}({a}))?")
            reasoning = (f"{fi}({a}) = {mid} ({COLORS[1 - pick]} curve). {fo}({mid}) = {answer} "
                         f"({COLORS[pick]} curve). So {fo}({fi}({a})) = {answer}.")
            points = [(1 - pick, a, mid), (pick, mid, answer)]
        else:
            xs = lattice_xs(curves[pick], lo, hi)
            if len(xs) < 2:
                return None
            a = rng.choice(xs)
            answer = int(value(curves[pick], a))
            fn = NAMES[pick]
            shown = "y = f(x)" if len(curves) == 1 else "y = f(x) in blue and y = g(x) in red"
            question = f"The graph{'s show' if len(curves) == 2 else ' shows'} {shown}. What is {fn}({a})?"
            reasoning = f"At x = {a} the {COLORS[pick]} curve is at y = {answer}. So {fn}({a}) = {answer}."
            points = [(pick, a, answer)]
        if ax.says_answer(question, str(answer)):
            return None
        state = {"range": [lo, hi], "curves": [[c[0]] + [str(v) for v in c[1:]] for c in curves]}
        return Puzzle(state=state, question=question, answer=str(answer), answer_type="integer", verifier="integer",
                      reasoning=reasoning, scene=(curves, points, lo, hi),
                      distractors=[str(answer + d) for d in (-2, -1, 1, 2, 3)],
                      meta={"question_type": k["question"], "n_curves": len(curves),
                            "state_json": state_json(state)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        curves, points, lo, hi = pz.scene
        c = Canvas(view.size)
        axes = ax.Axes(lo, hi, lo, hi).fit_labels(c)
        reason = axes.check(view, c)
        if reason:
            return Rendered(None, reason)
        axes.draw(c)
        for i, curve in enumerate(curves):
            fc = [float(v) for v in curve[1:]]
            axes.plot(c, (lambda x, m=fc[0], b=fc[1]: m * x + b) if curve[0] == "line" else
                      (lambda x, a=fc[0], h=fc[1], v=fc[2]: a * (x - h) ** 2 + v), ax.CURVES[COLORS[i]])
        shown = "y = f(x)" if len(curves) == 1 else None
        if shown:
            c.text(0.555, 0.06, shown, ax.FONT, ax.LABEL_H, ax.CURVES["blue"])
        else:
            for x, name, color in ((0.3, "f", "blue"), (0.7, "g", "red")):
                c.line([(x - 0.12, 0.065), (x - 0.03, 0.065)], fill=ax.CURVES[color], width=ax.CURVE_W)
                c.text(x + 0.01, 0.06, name, "DejaVuSans-Bold", ax.LABEL_H, ax.CURVES[color])
        image = c.image()
        small = view.to_model(image)
        for i, x, y in points:
            if not ax.shows_color(small, view, axes.cx(x), axes.cy(y), ax.CURVES[COLORS[i]]):
                return Rendered(None, "point_hidden")
        return Rendered(image)
