"""`shaded_fraction`: what fraction of a figure is shaded, as a fraction in lowest terms (`math` verifier, so any
equal value such as 0.5 also scores).

Figures: a bar cut into equal strips, a rectangle cut into an r×c grid, a circle cut into equal sectors and (level
5) a grid whose cells are halved by diagonals, where whole cells and half cells are shaded (two half cells make a
cell, so count and fraction differ). Difficulty grows the number of parts and makes the count reduce (6/12 →
1/2). The trace counts equal parts, shaded parts, and reduces. Legibility: part size and the lines between parts
in model pixels.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import COLORS, Canvas
from . import _cells as gc

KNOBS = {
    1: {"figures": ["strips"], "parts": [2, 4]},
    2: {"figures": ["strips", "grid"], "parts": [3, 6]},
    3: {"figures": ["grid", "circle"], "parts": [4, 8]},
    4: {"figures": ["grid", "circle"], "parts": [6, 12]},
    5: {"figures": ["halves"], "parts": [8, 18]},
}
GRIDS = [(1, 2), (1, 3), (2, 2), (1, 4), (1, 5), (2, 3), (2, 4), (3, 3), (2, 5), (3, 4), (4, 4)]
FILLS = ["blue", "green", "red", "purple"]
LINE = (40, 40, 40)
BOX = (0.1, 0.22, 0.9, 0.78)  # where rectangles go; circles use its centre and radius 0.38


def shape_grid(n: int, figure: str, rng: random.Random) -> tuple[int, int] | None:
    """(rows, cols) for a figure of n equal parts (strips: one row; halves: n/2 cells); None if impossible."""
    if figure == "strips":
        return (1, n) if n <= 6 else None
    if figure == "halves" and n % 2:
        return None
    cells = n // 2 if figure == "halves" else n
    fits = [(r, c) for r, c in GRIDS if r * c == cells and r > 1]
    if not fits:
        return None
    r, c = rng.choice(fits)
    return (c, r) if figure == "grid" and c <= 4 and rng.random() < 0.3 else (r, c)


@register
class ShadedFraction:
    name, kind, knobs = "shaded_fraction", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        figure = rng.choice(k["figures"])
        n = rng.randint(*k["parts"])
        dims = None if figure == "circle" else shape_grid(n, figure, rng)
        if figure != "circle" and dims is None:
            return None
        shaded = rng.randint(1, n - 1)
        if figure == "halves":
            cells = dims[0] * dims[1]
            pieces = self._halves(rng, cells, shaded)
            if pieces is None:
                return None
        else:
            pieces = sorted(rng.sample(range(n), shaded))
        frac = Fraction(shaded, n)
        answer = f"{frac.numerator}/{frac.denominator}"
        reduce = f"{shaded}/{n}" + (f" = {answer}" if frac.denominator != n else "")
        if figure == "halves":
            whole = sum(1 for p in pieces if p[1] == "cell")
            parts = f"{whole} whole {'square' if whole == 1 else 'squares'} = {2 * whole} triangles, plus " \
                    f"{shaded - 2 * whole}: {shaded}" if whole else f"{shaded} triangles"
            reasoning = f"{n} equal triangles ({n // 2} squares, each halved). Shaded: {parts}. {reduce}."
        else:
            word = {"strips": "strips", "grid": "cells", "circle": "sectors"}[figure]
            reasoning = f"{n} equal {word}, {shaded} shaded: {reduce}."
        question = "What fraction of the figure is shaded? Answer with a fraction in lowest terms."
        fill = rng.choice(FILLS)
        state = {"figure": figure, "parts": n, "dims": list(dims) if dims else None, "shaded": pieces, "fill": fill}
        wrong = {Fraction(shaded + d, n) for d in (-1, 1) if 0 < shaded + d < n} | {Fraction(n - shaded, n),
                                                                                     Fraction(shaded, n + 1)}
        return Puzzle(state=state, question=question, answer=answer, answer_type="number", verifier="math",
                      reasoning=reasoning, scene=state,
                      distractors=sorted({f"{w.numerator}/{w.denominator}" for w in wrong if w != frac}),
                      meta={"question_type": figure, "n_parts": n, "n_shaded": shaded,
                            "state_json": gc.state_json(state)})

    @staticmethod
    def _halves(rng: random.Random, cells: int, shaded: int) -> list | None:
        """Shaded pieces of a diagonal-halved grid: ['cell', i] (2 triangles) or ['tri', i, which] (1)."""
        whole = rng.randint(1, max(1, shaded // 2 - 1)) if shaded >= 3 else 0
        single = shaded - 2 * whole
        if whole + single > cells or single < 1:
            return None
        ids = rng.sample(range(cells), whole + single)
        return sorted([[i, "cell"] for i in ids[:whole]] + [[i, "tri", rng.randrange(2)] for i in ids[whole:]],
                      key=lambda p: (p[0], p[1]))

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        st = pz.scene
        side = view.model_side
        c = Canvas(view.size)
        fill = COLORS[st["fill"]]
        if st["figure"] == "circle":
            r = 0.38
            if 2 * math.pi * r / st["parts"] * side < 8:
                return Rendered(None, "part_size")
            for i in st["shaded"]:
                a0, a1 = -90 + 360 * i / st["parts"], -90 + 360 * (i + 1) / st["parts"]
                pts = [(0.5, 0.5)] + [(0.5 + r * math.cos(math.radians(a0 + (a1 - a0) * t / 16)),
                                       0.5 + r * math.sin(math.radians(a0 + (a1 - a0) * t / 16))) for t in range(17)]
                c.polygon(pts, fill=fill)
            for i in range(st["parts"]):
                a = math.radians(-90 + 360 * i / st["parts"])
                c.line([(0.5, 0.5), (0.5 + r * math.cos(a), 0.5 + r * math.sin(a))], fill=LINE, width=0.01)
            c.ellipse(0.5 - r, 0.5 - r, 0.5 + r, 0.5 + r, outline=LINE, width=0.01)
            return Rendered(c.image())
        rows, cols = st["dims"]
        x0, y0, x1, y1 = BOX
        w, h = (x1 - x0) / cols, (y1 - y0) / rows
        if min(w, h) * side < 9 or 0.01 * side < vis.MIN_STROKE:
            return Rendered(None, "part_size")
        for piece in st["shaded"]:
            i = piece[0] if isinstance(piece, list) else piece
            cx, cy = x0 + (i % cols) * w, y0 + (i // cols) * h
            corners = [(cx, cy), (cx + w, cy), (cx + w, cy + h), (cx, cy + h)]
            if not isinstance(piece, list) or piece[1] == "cell":
                c.polygon(corners, fill=fill)
            else:  # the diagonal from top-left to bottom-right; which=0 → upper-right half, 1 → lower-left
                c.polygon([corners[0], corners[2], corners[1] if piece[2] == 0 else corners[3]], fill=fill)
        for i in range(1, cols):
            c.line([(x0 + i * w, y0), (x0 + i * w, y1)], fill=LINE, width=0.01)
        for j in range(1, rows):
            c.line([(x0, y0 + j * h), (x1, y0 + j * h)], fill=LINE, width=0.01)
        if st["figure"] == "halves":
            for i in range(rows * cols):
                cx, cy = x0 + (i % cols) * w, y0 + (i // cols) * h
                c.line([(cx, cy), (cx + w, cy + h)], fill=LINE, width=0.01)
        c.rect(x0, y0, x1, y1, outline=LINE, width=0.01)
        return Rendered(c.image())

