"""`bar_chart`: read a bar chart — a bar's value, the tallest/shortest bar, the difference or sum of two bars.

Bars are labelled P, Q, R, … under the axis; the y axis has labelled ticks and light gridlines. Difficulty adds
bars, raises the value range (values between gridlines must be interpolated), and moves from reading one value to
comparing and combining two. Legibility: label height, pixels per value unit (adjacent integers must differ by
≥ 2 model pixels) and the margin between the tallest and runner-up bars.
"""

from __future__ import annotations

import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from ..fonts import cap_height

KNOBS = {
    1: {"bars": [3, 4], "max_value": 5, "tick_step": 1, "questions": ["value"]},
    2: {"bars": [3, 5], "max_value": 10, "tick_step": 2, "questions": ["value", "extreme"]},
    3: {"bars": [4, 5], "max_value": 10, "tick_step": 2, "questions": ["value", "extreme", "difference"]},
    4: {"bars": [5, 6], "max_value": 15, "tick_step": 5, "questions": ["value", "difference", "sum"]},
    5: {"bars": [6, 7], "max_value": 20, "tick_step": 5, "questions": ["value", "difference", "sum"]},
}
BAR_COLORS = [(70, 110, 200), (220, 120, 40), (60, 150, 90), (150, 80, 170), (200, 70, 70)]
LABEL_FONT = "DejaVuSans"
LABELS = "PQRSTUVW"  # not A–D: as multiple-choice options those would read as answer letters
X0, X1, Y0, Y1 = 0.16, 0.97, 0.05, 0.84   # plot area (canvas fractions); y grows downwards
LABEL_H = 0.085                            # label font size (canvas fraction)


@register
class BarChart:
    name, kind, knobs = "bar_chart", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n = rng.randint(*k["bars"])
        labels = list(LABELS[:n])
        top = k["max_value"]
        step = k["tick_step"]
        values = [rng.randint(1, top) if step == 1 or level >= 2 else rng.randrange(step, top + 1, step)
                  for _ in range(n)]
        qtype = rng.choice(k["questions"])
        i, j = rng.sample(range(n), 2)
        if qtype == "value":
            answer, atype = values[i], "integer"
            question = f"What is the value of bar {labels[i]}?"
            reasoning = f"Bar {labels[i]} ends at {values[i]} on the y axis. So its value is {values[i]}."
        elif qtype == "extreme":
            word = rng.choice(["tallest", "shortest"])
            ranked = sorted(range(n), key=lambda b: -values[b] if word == "tallest" else values[b])
            if values[ranked[0]] == values[ranked[1]]:
                return None
            i, j = ranked[0], ranked[1]
            answer, atype = labels[i], "text"
            question = f"Which bar is the {word}? Answer with its letter."
            reasoning = (f"Bar {labels[i]} reaches {values[i]}; the next one, bar {labels[j]}, reaches {values[j]}. "
                         f"So the {word} is {labels[i]}.")
        elif qtype == "difference":
            if values[i] < values[j]:
                i, j = j, i
            answer, atype = values[i] - values[j], "integer"
            question = f"How much larger is bar {labels[i]} than bar {labels[j]}?"
            reasoning = (f"Bar {labels[i]} is {values[i]} and bar {labels[j]} is {values[j]}. "
                         f"{values[i]} - {values[j]} = {answer}.")
        else:
            answer, atype = values[i] + values[j], "integer"
            question = f"What is the sum of bars {labels[i]} and {labels[j]}?"
            reasoning = (f"Bar {labels[i]} is {values[i]} and bar {labels[j]} is {values[j]}. "
                         f"{values[i]} + {values[j]} = {answer}.")
        answer = str(answer)
        distractors = ([lb for lb in LABELS[:max(n, 4)] if lb != answer] if atype == "text"
                       else [str(int(answer) + d) for d in (-2, -1, 1, 2, 3) if int(answer) + d >= 0])
        color = rng.randrange(len(BAR_COLORS))
        return Puzzle(state={"values": values, "color": color}, question=question,
                      answer=answer, answer_type=atype, verifier="integer" if atype == "integer" else "exact",
                      reasoning=reasoning, scene=(values, labels, top, step, color, qtype, i, j),
                      distractors=distractors, meta={"question_type": qtype, "n_bars": n})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        values, labels, top, step, color, qtype, i, j = pz.scene
        side = view.model_side
        unit = (Y1 - Y0) / top
        if LABEL_H * cap_height(LABEL_FONT) * side < vis.MIN_TEXT_HEIGHT:
            return Rendered(None, "text_height")
        if unit * side < 2.0:
            return Rendered(None, "value_resolution")
        n = len(values)
        slot = (X1 - X0) / n
        if 0.3 * slot * side < vis.MIN_GAP:
            return Rendered(None, "bar_gap")
        c = Canvas(view.size)
        grid, axis = (215, 215, 215), (40, 40, 40)
        for t in range(0, top + 1, step):
            y = Y1 - t * unit
            if t:
                c.line([(X0, y), (X1, y)], fill=grid, width=0.004)
            c.text(X0 - 0.02, y, str(t), LABEL_FONT, LABEL_H, axis, anchor="rm")
        for b, (v, lb) in enumerate(zip(values, labels)):
            x = X0 + b * slot + 0.15 * slot
            c.rect(x, Y1 - v * unit, x + 0.7 * slot, Y1, fill=BAR_COLORS[color])
            c.text(x + 0.35 * slot, Y1 + 0.075, lb, LABEL_FONT, LABEL_H, axis)
        c.line([(X0, Y0 - 0.01), (X0, Y1), (X1, Y1)], fill=axis, width=0.008)
        return Rendered(c.image())
