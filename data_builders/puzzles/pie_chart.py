"""`pie_chart`: read a pie chart without printed numbers — the percentage of a sector, the largest or smallest
sector, the sum of two sectors or the gap between two.

Sectors are lettered (P, Q, R, ...) just outside the pie, at their middle angle; shares are whole multiples of 25%,
then 10%, then 5% (18°), never below 10% so every sector keeps room for its letter. Percentages use the `numeric`
verifier (so "25%" and "25" both score); sector letters use `exact`. Difficulty adds sectors, refines the share
step and moves from reading one sector to combining two. The trace lists every sector's share. Legibility: letter
cap height, sector arc length and the gaps between neighbouring letters, in model pixels.
"""

from __future__ import annotations

import math
import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from ..fonts import cap_height
from ._cells import state_json

KNOBS = {
    1: {"sectors": [2, 3], "step": 25, "questions": ["percent", "largest"]},
    2: {"sectors": [3, 4], "step": 10, "questions": ["percent", "largest", "smallest"]},
    3: {"sectors": [4, 5], "step": 5, "questions": ["percent", "largest", "smallest"]},
    4: {"sectors": [4, 5], "step": 5, "questions": ["percent", "sum"]},
    5: {"sectors": [5, 6], "step": 5, "questions": ["percent", "sum", "difference"]},
}
LABELS = "PQRSTU"
FILLS = [(70, 110, 200), (230, 140, 50), (70, 160, 90), (200, 80, 80), (150, 100, 190), (120, 190, 200)]
R, FONT, FONT_H = 0.34, "DejaVuSans-Bold", 0.09
MIN_SHARE = 10


def shares(rng: random.Random, n: int, step: int) -> list[int] | None:
    """n multiples of `step` (each ≥ MIN_SHARE) summing to 100."""
    units, least = 100 // step, max(1, -(-MIN_SHARE // step))
    if n * least > units:
        return None
    cuts = sorted(rng.sample(range(1, units - n * (least - 1)), n - 1))
    parts = [b - a for a, b in zip([0] + cuts, cuts + [units - n * (least - 1)])]
    return [(p + least - 1) * step for p in parts]


@register
class PieChart:
    name, kind, knobs = "pie_chart", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n = rng.randint(*k["sectors"])
        pct = shares(rng, n, k["step"])
        if pct is None:
            return None
        labels = list(LABELS[:n])
        qtype = rng.choice(k["questions"])
        i, j = rng.sample(range(n), 2)
        listing = ", ".join(f"{lb} {p}%" for lb, p in zip(labels, pct))
        numeric = True
        if qtype == "percent":
            answer = pct[i]
            question = f"What percentage of the pie does sector {labels[i]} make up?"
            tail = f"So {labels[i]} is {answer}%."
        elif qtype in ("largest", "smallest"):
            order = sorted(range(n), key=lambda s: pct[s], reverse=qtype == "largest")
            if pct[order[0]] == pct[order[1]]:
                return None
            answer, numeric = labels[order[0]], False
            question = f"Which sector of the pie is the {qtype}? Answer with its letter."
            tail = f"The {qtype} is {answer}."
        elif qtype == "sum":
            answer = pct[i] + pct[j]
            question = f"What percentage of the pie do sectors {labels[i]} and {labels[j]} make up together?"
            tail = f"{pct[i]} + {pct[j]} = {answer}%."
        else:
            if pct[i] == pct[j]:
                return None
            i, j = (i, j) if pct[i] > pct[j] else (j, i)
            answer = pct[i] - pct[j]
            question = f"By how many percentage points is sector {labels[i]} larger than sector {labels[j]}?"
            tail = f"{pct[i]} - {pct[j]} = {answer}."
        reasoning = f"Shares by angle: {listing}. {tail}"
        start = rng.randrange(0, 360, 15)
        fills = rng.sample(range(len(FILLS)), n)
        state = {"shares": pct, "start": start, "fills": fills}
        answer = str(answer)
        distractors = ([lb for lb in LABELS if lb != answer] if not numeric else
                       [str(int(answer) + d) for d in (-10, -5, 5, 10, 15) if 0 < int(answer) + d < 100])
        return Puzzle(state=state, question=question, answer=answer, answer_type="number" if numeric else "text",
                      verifier="numeric" if numeric else "exact", reasoning=reasoning,
                      scene=(pct, labels, start, fills), distractors=distractors,
                      meta={"question_type": qtype, "n_sectors": n, "state_json": state_json(state)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        pct, labels, start, fills = pz.scene
        side = view.model_side
        if FONT_H * cap_height(FONT) * side < vis.MIN_TEXT_HEIGHT:
            return Rendered(None, "text_height")
        label_r = R + 0.085
        if 2 * math.pi * label_r * min(pct) / 100 < 1.5 * FONT_H:
            return Rendered(None, "label_room")
        c = Canvas(view.size)
        angle = start - 90.0   # canvas angles: 0 = right, clockwise (y down); start 0 = 12 o'clock
        for p, lb, f in zip(pct, labels, fills):
            sweep = 3.6 * p
            pts = [(0.5, 0.5)] + [(0.5 + R * math.cos(math.radians(angle + sweep * t / 24)),
                                   0.5 + R * math.sin(math.radians(angle + sweep * t / 24))) for t in range(25)]
            c.polygon(pts, fill=FILLS[f])
            mid = math.radians(angle + sweep / 2)
            c.text(0.5 + label_r * math.cos(mid), 0.5 + label_r * math.sin(mid), lb, FONT, FONT_H, (30, 30, 30))
            angle += sweep
        angle = start - 90.0
        for p in pct:   # white separators drawn last so no sector covers them
            a = math.radians(angle)
            c.line([(0.5, 0.5), (0.5 + R * math.cos(a), 0.5 + R * math.sin(a))], fill=(255, 255, 255), width=0.012)
            angle += 3.6 * p
        return Rendered(c.image())
