"""Shared pieces of the cell-grid families (grid_path, symmetry, rotation, tiling_area): grids of square cells,
polyomino growth, the four reflections of a square grid, and short helpers for traces and state.
"""

from __future__ import annotations

import random
from typing import Callable

from .. import visibility as vis
from ..core import canonical_json
from ..draw import Canvas

Cell = tuple[int, int]  # (row, column)
NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1))
GRID_LINE = (170, 170, 170)
FRAME = (40, 40, 40)


def grid_box(g: int, margin: float = 0.06) -> tuple[float, float, float]:
    """(x0, y0, cell) of a g×g grid centred on the canvas."""
    cell = (1 - 2 * margin) / g
    return margin, margin, cell


def cell_centre(x0: float, y0: float, cell: float, rc: Cell) -> tuple[float, float]:
    return x0 + (rc[1] + 0.5) * cell, y0 + (rc[0] + 0.5) * cell


def draw_grid(c: Canvas, x0: float, y0: float, cell: float, rows: int, cols: int, width: float = 0.005,
              color=GRID_LINE, frame=FRAME) -> None:
    """Thin cell lines and a darker frame."""
    for i in range(1, rows):
        c.line([(x0, y0 + i * cell), (x0 + cols * cell, y0 + i * cell)], fill=color, width=width)
    for j in range(1, cols):
        c.line([(x0 + j * cell, y0), (x0 + j * cell, y0 + rows * cell)], fill=color, width=width)
    c.rect(x0, y0, x0 + cols * cell, y0 + rows * cell, outline=frame, width=2 * width)


def grid_legible(cell: float, view: vis.View, min_cell_px: float = 7.0) -> str | None:
    """A cell must span `min_cell_px` model pixels so that its fill and the lines around it stay apart."""
    return None if cell * view.model_side >= min_cell_px else "cell_size"


def grow(rng: random.Random, n: int, rows: int, cols: int, blocked: set[Cell] | frozenset = frozenset(),
         start: Cell | None = None) -> set[Cell] | None:
    """A random edge-connected set of `n` cells inside rows×cols avoiding `blocked`; None when it gets stuck."""
    free = [(r, c) for r in range(rows) for c in range(cols) if (r, c) not in blocked]
    if not free:
        return None
    shape = {start if start is not None else rng.choice(free)}
    while len(shape) < n:
        frontier = sorted({(r + dr, c + dc) for r, c in shape for dr, dc in NEIGHBOURS
                           if 0 <= r + dr < rows and 0 <= c + dc < cols and (r + dr, c + dc) not in shape
                           and (r + dr, c + dc) not in blocked})
        if not frontier:
            return None
        shape.add(rng.choice(frontier))
    return shape


def normalise(cells) -> tuple[Cell, ...]:
    """Cells shifted so the smallest row and column are 0, sorted (a translation-free key)."""
    r0 = min(r for r, _ in cells)
    c0 = min(c for _, c in cells)
    return tuple(sorted((r - r0, c - c0) for r, c in cells))


def turn(cells) -> tuple[Cell, ...]:
    """The cells turned a quarter clockwise (normalised)."""
    return normalise([(c, -r) for r, c in cells])


# The four mirror lines of an n×n square grid, as maps of a cell.
def reflections(n: int) -> dict[str, Callable[[int, int], Cell]]:
    return {"vertical": lambda r, c: (r, n - 1 - c), "horizontal": lambda r, c: (n - 1 - r, c),
            "diagonal \\": lambda r, c: (c, r), "diagonal /": lambda r, c: (n - 1 - c, n - 1 - r)}


def runs(path: list[Cell]) -> str:
    """'right 2, down 1' for consecutive cells of a path."""
    names = {(-1, 0): "up", (1, 0): "down", (0, -1): "left", (0, 1): "right"}
    out: list[list] = []
    for a, b in zip(path, path[1:]):
        m = names[(b[0] - a[0], b[1] - a[1])]
        if out and out[-1][0] == m:
            out[-1][1] += 1
        else:
            out.append([m, 1])
    return ", ".join(f"{m} {k}" for m, k in out)


def run_sum(path: list[Cell]) -> str:
    """'2 + 1' (the run lengths of `runs`, to add up) or '3' for a single run."""
    return " + ".join(part.rsplit(" ", 1)[1] for part in runs(path).split(", "))


def state_json(state) -> str:
    """The canonical state as a string for `meta` (meta values must be scalars): tests re-solve from it."""
    return canonical_json(state)

