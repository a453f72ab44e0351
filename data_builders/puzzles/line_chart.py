"""`line_chart`: read a line chart over consecutive months — the value in a month, the month of the highest or
lowest value, the change between two months, the month after the biggest rise, the range.

Points are marked with dots over labelled months (three-letter names, staggered onto two rows when they would
crowd); the y axis has gridlines with labelled ticks. Values are integers; from level 3 they fall between
gridlines and must be interpolated. Month answers use `exact` (the label as shown), numbers `integer`. Difficulty
adds months, raises the value range and the gridline step, and moves from reading one point to comparing several.
Legibility: label cap height and spacing, pixels per value unit and the margins that make extremes unique, in model
pixels.
"""

from __future__ import annotations

import random

from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _axes as ax
from ._cells import state_json

KNOBS = {
    1: {"months": [4, 4], "top": 6, "grid": 1, "on_grid": True, "questions": ["value"]},
    2: {"months": [4, 5], "top": 10, "grid": 2, "on_grid": True, "questions": ["value", "highest", "lowest"]},
    3: {"months": [5, 6], "top": 10, "grid": 2, "on_grid": False, "questions": ["value", "highest", "change"]},
    4: {"months": [6, 6], "top": 20, "grid": 5, "on_grid": False, "questions": ["change", "biggest_rise", "lowest"]},
    5: {"months": [6, 7], "top": 20, "grid": 5, "on_grid": False, "questions": ["change", "biggest_rise", "range"]},
}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
BOX = (0.15, 0.04, 0.96, 0.77)
DOT_R = 0.018


def margin_ok(values: list[int], best: int, gap: int) -> bool:
    """The extreme value `best` is unique and every other value is at least `gap` away from it."""
    return sum(v == best for v in values) == 1 and all(v == best or abs(v - best) >= gap for v in values)


@register
class LineChart:
    name, kind, knobs = "line_chart", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n = rng.randint(*k["months"])
        first = rng.randrange(12)
        months = [MONTHS[(first + i) % 12] for i in range(n)]
        top, g = k["top"], k["grid"]
        values = [rng.randrange(g, top + 1, g) if k["on_grid"] else rng.randint(1, top - 1) for _ in range(n)]
        gap = max(1, top // 10)
        qtype = rng.choice(k["questions"])
        i, j = sorted(rng.sample(range(n), 2))
        listing = ", ".join(f"{m} {v}" for m, v in zip(months, values))
        numeric = True
        if qtype == "value":
            answer = values[i]
            question = f"What is the value in {months[i]}?"
            reasoning = f"The {months[i]} point is at {answer}. So {answer}."
        elif qtype in ("highest", "lowest"):
            best = max(values) if qtype == "highest" else min(values)
            if not margin_ok(values, best, gap):
                return None
            answer, numeric = months[values.index(best)], False
            question = f"In which month is the value {qtype}? Answer with the month's label as shown."
            reasoning = f"Values: {listing}. The {qtype} is {best}, in {answer}."
        elif qtype == "change":
            answer = abs(values[j] - values[i])
            word = "rise" if values[j] > values[i] else "fall"
            if answer == 0:
                return None
            question = f"By how much did the value {word} from {months[i]} to {months[j]}?"
            reasoning = f"{months[i]} is {values[i]} and {months[j]} is {values[j]}. The {word} is {answer}."
        elif qtype == "biggest_rise":
            rises = [values[t + 1] - values[t] for t in range(n - 1)]
            best = max(rises)
            if best <= 0 or not margin_ok(rises, best, gap):
                return None
            answer, numeric = months[rises.index(best) + 1], False
            question = ("Between which two neighbouring months did the value rise the most? Answer with the later "
                        "month's label as shown.")
            reasoning = f"Values: {listing}. The biggest rise is {best}, into {answer}."
        else:
            answer = max(values) - min(values)
            question = "What is the difference between the highest and the lowest value?"
            reasoning = f"Values: {listing}. {max(values)} - {min(values)} = {answer}."
        answer = str(answer)
        if ax.says_answer(question, answer):
            return None
        state = {"months": months, "values": values, "top": top, "grid": g}
        distractors = ([m for m in MONTHS if m != answer] if not numeric else
                       [str(int(answer) + d) for d in (-2, -1, 1, 2, 3) if int(answer) + d >= 0])
        return Puzzle(state=state, question=question, answer=answer, answer_type="integer" if numeric else "text",
                      verifier="integer" if numeric else "exact", reasoning=reasoning,
                      scene=(months, values, top, g), distractors=distractors,
                      meta={"question_type": qtype, "n_points": n, "state_json": state_json(state)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        months, values, top, g = pz.scene
        n = len(months)
        c = Canvas(view.size)
        axes = ax.Axes(0, n + 1, 0, top + g, ygrid=g, box=BOX).fit_labels(c)  # a gridline of headroom
        reason = axes.check(view, c) if axes.ylabel == g else "label_spacing"
        if reason:
            return Rendered(None, reason)
        if (axes.cy(0) - axes.cy(1)) * view.model_side < 2.0:
            return Rendered(None, "value_resolution")
        widest = max(c.text_size(m, ax.FONT, ax.LABEL_H)[0] for m in months)
        pitch = axes.cx(1) - axes.cx(0)
        stagger = widest + 0.015 > pitch
        if stagger and widest + 0.015 > 2 * pitch:
            return Rendered(None, "label_spacing")
        axes.draw(c, zero_lines=False, x_labels=False)   # months are written instead
        pts = [(axes.cx(i + 1), axes.cy(v)) for i, v in enumerate(values)]
        c.line(pts, fill=ax.CURVES["blue"], width=ax.CURVE_W)
        for (x, y), m, i in zip(pts, months, range(n)):
            c.ellipse(x - DOT_R, y - DOT_R, x + DOT_R, y + DOT_R, fill=ax.CURVES["blue"])
            row = 1 if stagger and i % 2 else 0
            c.text(x, BOX[3] + 0.06 + row * 0.085, m, ax.FONT, ax.LABEL_H, ax.TEXT)
            c.line([(x, BOX[3]), (x, BOX[3] + 0.015 + row * 0.085)], fill=ax.FRAME, width=0.005)
        return Rendered(c.image())
