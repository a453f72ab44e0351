"""`grid_pattern`: complete the missing cell of a 3×3 grid whose rows follow rules (RAVEN-style, simplified).

Each cell shows `count` copies of a shape in a colour. Rules: count changes along a row by a per-grid step from a
per-row start (growing, later also shrinking); shape and colour are constant or a Latin square (each row a permutation of three values).
Difficulty adds varying attributes (count only → count+colour → count+shape+colour), moves the missing cell from
the fixed bottom-right to anywhere and widens the count range. The answer (a count, colour or shape) is read from
the completed grid; the reasoning names the rule and applies it to the missing cell's row.
"""

from __future__ import annotations

import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import COLOR_NAMES, COLORS, Canvas, shape_area

KNOBS = {
    1: {"vary": ["count"], "ask": ["count"], "missing": "last", "steps": [1]},
    2: {"vary": ["count"], "ask": ["count"], "missing": "any", "steps": [1, 2]},
    3: {"vary": ["count", "color"], "ask": ["count", "color"], "missing": "any", "steps": [1, 2]},
    4: {"vary": ["count", "color", "shape"], "ask": ["color", "shape"], "missing": "any", "steps": [1, 2, -1]},
    5: {"vary": ["count", "color", "shape"], "ask": ["count", "color", "shape"], "missing": "any",
        "steps": [1, 2, -1, -2]},
}
MAX_COUNT = 5
SHAPES4 = ["circle", "square", "triangle", "star"]
GRID_MARGIN = 0.04


def _latin(rng: random.Random, values: list[str]) -> list[list[str]]:
    """A random 3×3 Latin square over three values (rows are cyclic shifts, rows and symbols shuffled)."""
    vals = rng.sample(values, 3)
    rows = [[vals[(r + c) % 3] for c in range(3)] for r in range(3)]
    rng.shuffle(rows)
    return rows


@register
class GridPattern:
    name, kind, knobs = "grid_pattern", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        step = rng.choice(k["steps"])
        lo, hi = (1, MAX_COUNT - 2 * step) if step > 0 else (1 - 2 * step, MAX_COUNT)
        starts = [rng.randint(lo, hi) for _ in range(3)]
        counts = [[s + c * step for c in range(3)] for s in starts]
        fixed_color, fixed_shape = rng.choice(COLOR_NAMES), rng.choice(SHAPES4)
        colors = (_latin(rng, COLOR_NAMES) if "color" in k["vary"] and rng.random() < 0.5 else
                  [[c] * 3 for c in rng.sample(COLOR_NAMES, 3)]) if "color" in k["vary"] else [[fixed_color] * 3] * 3
        shapes = (_latin(rng, SHAPES4) if rng.random() < 0.5 else [[s] * 3 for s in rng.sample(SHAPES4, 3)]) \
            if "shape" in k["vary"] else [[fixed_shape] * 3] * 3
        mr, mc = (2, 2) if k["missing"] == "last" else (rng.randrange(3), rng.randrange(3))
        ask = rng.choice(k["ask"])
        answer = str(counts[mr][mc]) if ask == "count" else (colors if ask == "color" else shapes)[mr][mc]
        question = {"count": "How many shapes belong in the cell marked with a question mark?",
                    "color": "What color should the shapes in the cell marked with a question mark be?",
                    "shape": "What shape should the cell marked with a question mark contain?"}[ask]
        reasoning = self._reason(ask, counts, colors, shapes, mr, mc, step, answer)
        cells = [[counts[r][c], colors[r][c], shapes[r][c]] if (r, c) != (mr, mc) else "?"
                 for r in range(3) for c in range(3)]
        vocab = {"count": [str(v) for v in range(1, MAX_COUNT + 1)], "color": COLOR_NAMES, "shape": SHAPES4}[ask]
        return Puzzle(state={"cells": cells}, question=question, answer=answer,
                      answer_type="integer" if ask == "count" else "text",
                      verifier="integer" if ask == "count" else "exact", reasoning=reasoning,
                      scene=(counts, colors, shapes, (mr, mc)), distractors=[v for v in vocab if v != answer],
                      meta={"question_type": ask, "missing_cell": mr * 3 + mc})

    @staticmethod
    def _reason(ask, counts, colors, shapes, mr, mc, step, answer) -> str:
        row = mr + 1
        if ask == "count":
            known = [str(counts[mr][c]) if c != mc else "?" for c in range(3)]
            trend = f"grows by {step}" if step > 0 else f"drops by {-step}"
            return (f"In each row the count {trend} from left to right. Row {row} reads "
                    f"{', '.join(known)}. So the missing cell has {answer}.")
        table = colors if ask == "color" else shapes
        known = [table[mr][c] for c in range(3) if c != mc]
        if len(set(table[mr])) == 1:
            return f"Each row keeps one {ask}. Row {row} shows {known[0]}, so the missing {ask} is {answer}."
        return (f"Each row uses three different {ask}s once. Row {row} already has {known[0]} and {known[1]}, "
                f"so the missing {ask} is {answer}.")

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        counts, colors, shapes, (mr, mc) = pz.scene
        cell = (1 - 2 * GRID_MARGIN) / 3
        r = 0.14 * cell
        side = view.model_side
        if min(shape_area(s, r * side) for s in SHAPES4) < vis.MIN_OBJECT_AREA:
            return Rendered(None, "object_area")
        if 0.5 * cell * 0.8 * side < vis.MIN_TEXT_HEIGHT:
            return Rendered(None, "text_height")
        c = Canvas(view.size)
        line = (90, 90, 90)
        for i in range(4):
            v = GRID_MARGIN + i * cell
            c.line([(v, GRID_MARGIN), (v, 1 - GRID_MARGIN)], fill=line, width=0.008)
            c.line([(GRID_MARGIN, v), (1 - GRID_MARGIN, v)], fill=line, width=0.008)
        for row in range(3):
            for col in range(3):
                x0, y0 = GRID_MARGIN + col * cell, GRID_MARGIN + row * cell
                if (row, col) == (mr, mc):
                    c.text(x0 + cell / 2, y0 + cell / 2, "?", "DejaVuSans-Bold", 0.5 * cell, (40, 40, 40))
                    continue
                for x, y in self._layout(counts[row][col]):
                    c.shape(shapes[row][col], x0 + x * cell, y0 + y * cell, r, COLORS[colors[row][col]])
        return Rendered(c.image())

    @staticmethod
    def _layout(n: int) -> list[tuple[float, float]]:
        """Fixed dice-like positions (cell fractions) for 1–5 shapes, so counts read at a glance."""
        return {1: [(0.5, 0.5)], 2: [(0.3, 0.3), (0.7, 0.7)], 3: [(0.22, 0.22), (0.5, 0.5), (0.78, 0.78)],
                4: [(0.28, 0.28), (0.72, 0.28), (0.28, 0.72), (0.72, 0.72)],
                5: [(0.22, 0.22), (0.78, 0.22), (0.5, 0.5), (0.22, 0.78), (0.78, 0.78)]}[n]
