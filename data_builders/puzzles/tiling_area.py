"""`tiling_area`: the area of a shaded shape on a square grid, in unit squares (one cell = 1).

The shape is a random edge-connected set of whole cells; from level 4 on it also has half cells (right triangles
cut along a cell's diagonal, each worth 1/2, attached along one of their legs), so answers may end in .5 (`numeric`).
From level 3 a second shape in another colour shares the grid and the question names the colour. The area is drawn
first. The trace counts whole cells row by row, then the halves. Legibility: cell size in model pixels.
"""

from __future__ import annotations

import random

from ..core import Puzzle, Rendered, register
from ..draw import COLORS, Canvas
from . import _cells as gc

KNOBS = {
    1: {"grid": 4, "whole": [3, 7], "halves": [0, 0], "shapes": 1},
    2: {"grid": 5, "whole": [4, 10], "halves": [0, 0], "shapes": 1},
    3: {"grid": 6, "whole": [5, 12], "halves": [0, 0], "shapes": 2},
    4: {"grid": 6, "whole": [5, 12], "halves": [1, 3], "shapes": 2},
    5: {"grid": 7, "whole": [6, 13], "halves": [2, 4], "shapes": 2},
}
FILLS = ["blue", "green", "red", "purple"]
CORNERS = ((0, 0), (0, 1), (1, 1), (1, 0))  # (dx, dy) of a cell's corners, clockwise from top-left
SIDE_CORNERS = {(-1, 0): (0, 1), (0, 1): (1, 2), (1, 0): (2, 3), (0, -1): (3, 0)}  # neighbour dir → shared edge


def fmt(v: float) -> str:
    return str(int(v)) if v == int(v) else f"{v:.1f}"


def add_halves(rng: random.Random, shape: set, n: int, g: int, taken: set) -> list | None:
    """`n` half cells [row, col, missing corner] next to `shape`, each keeping the edge it shares with it."""
    out = []
    used = set(taken) | set(shape)
    for _ in range(n):
        spots = sorted({((r + dr, c + dc), (-dr, -dc)) for r, c in shape for dr, dc in gc.NEIGHBOURS
                        if 0 <= r + dr < g and 0 <= c + dc < g and (r + dr, c + dc) not in used})
        if not spots:
            return None
        (r, c), towards = rng.choice(spots)
        keep = SIDE_CORNERS[towards]
        missing = rng.choice([i for i in range(4) if i not in keep])
        out.append([r, c, missing])
        used.add((r, c))
    return out


@register
class TilingArea:
    name, kind, knobs = "tiling_area", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        g = k["grid"]
        whole, n_half = rng.randint(*k["whole"]), rng.randint(*k["halves"])
        shape = gc.grow(rng, whole, g, g)
        halves = add_halves(rng, shape, n_half, g, set()) if shape else None
        if halves is None:
            return None
        colors = rng.sample(FILLS, k["shapes"])
        shapes = [(sorted(shape), halves)]
        if k["shapes"] == 2:
            near = {(r + dr, c + dc) for r, c in shape | {(h[0], h[1]) for h in halves}
                    for dr, dc in gc.NEIGHBOURS + ((0, 0),)}
            other = gc.grow(rng, rng.randint(*k["whole"]), g, g, blocked=near)
            other_h = add_halves(rng, other, rng.randint(*k["halves"]), g, near) if other else None
            if other_h is None:
                return None
            shapes.append((sorted(other), other_h))
        area = whole + n_half / 2
        rows = [sum(r == i for r, _ in shape) for i in range(g)]
        counted = " + ".join(str(v) for v in rows if v)
        wholes = f"{counted} = {whole}" if sum(v > 0 for v in rows) > 1 else str(whole)
        if n_half:
            reasoning = (f"Whole squares by row: {wholes}. Half squares: {n_half}, worth {fmt(n_half / 2)}. "
                         f"{whole} + {fmt(n_half / 2)} = {fmt(area)}.")
        else:
            reasoning = f"Whole squares by row: {wholes}. Area {whole}."
        which = f"the {colors[0]} shape" if k["shapes"] == 2 else "the shaded shape"
        question = f"What is the area of {which}, in unit squares (one grid cell has area 1)?"
        numeric = k["halves"][1] > 0
        state = {"grid": g, "shapes": sorted(({"cells": [list(c) for c in s], "halves": sorted(h), "color": col}
                                              for (s, h), col in zip(shapes, colors)), key=lambda d: d["color"])}
        return Puzzle(state=state, question=question, answer=fmt(area),
                      answer_type="number" if numeric else "integer", verifier="numeric" if numeric else "integer",
                      reasoning=reasoning, scene=(g, shapes, colors),
                      distractors=[fmt(area + d) for d in (-2, -1, -0.5, 0.5, 1, 2) if area + d > 0
                                   and (numeric or d == int(d))],
                      meta={"question_type": "named_color" if k["shapes"] == 2 else "single", "grid": g,
                            "n_halves": n_half, "state_json": gc.state_json(state)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        g, shapes, colors = pz.scene
        x0, y0, cell = gc.grid_box(g)
        reason = gc.grid_legible(cell, view, 9.0)
        if reason:
            return Rendered(None, reason)
        c = Canvas(view.size)
        for (cells, halves), col in zip(shapes, colors):
            fill = COLORS[col]
            for r, cc in cells:
                c.rect(x0 + cc * cell, y0 + r * cell, x0 + (cc + 1) * cell, y0 + (r + 1) * cell, fill=fill)
            for r, cc, missing in halves:
                pts = [(x0 + (cc + dx) * cell, y0 + (r + dy) * cell) for i, (dx, dy) in enumerate(CORNERS)
                       if i != missing]
                c.polygon(pts, fill=fill)
        gc.draw_grid(c, x0, y0, cell, g, g, color=(150, 150, 150))
        return Rendered(c.image())
