"""`maze`: the length of the shortest path between two marked cells of a grid maze.

The maze is a random spanning tree of the grid (randomised depth-first search); from level 3 on, extra walls are
knocked out so several routes exist and the solver must find the shortest. Difficulty grows the grid and the
number of loops. The answer comes from breadth-first search over the walls (the generator's own solver); the
reasoning trace is the path as runs of moves. Legibility: cell size, wall width and marker area in model pixels.
"""

from __future__ import annotations

import random
from collections import deque

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import COLORS, Canvas, shape_area

KNOBS = {
    1: {"grid": 3, "extra_openings": 0, "min_path": 1},
    2: {"grid": 4, "extra_openings": 0, "min_path": 2},
    3: {"grid": 5, "extra_openings": 2, "min_path": 3},
    4: {"grid": 6, "extra_openings": 4, "min_path": 4},
    5: {"grid": 7, "extra_openings": 6, "min_path": 5},
}
MOVES = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
MARGIN = 0.06
WALL = 0.018  # wall width as a fraction of the canvas


def carve(rng: random.Random, g: int) -> set[tuple[tuple[int, int], tuple[int, int]]]:
    """Open passages (cell pairs, sorted) of a random spanning tree of the g×g grid."""
    seen, stack, open_ = {(0, 0)}, [(0, 0)], set()
    while stack:
        r, c = stack[-1]
        nxt = [(r + dr, c + dc) for dr, dc in MOVES.values()
               if 0 <= r + dr < g and 0 <= c + dc < g and (r + dr, c + dc) not in seen]
        if not nxt:
            stack.pop()
            continue
        cell = rng.choice(nxt)
        seen.add(cell)
        open_.add(tuple(sorted([(r, c), cell])))
        stack.append(cell)
    return open_


def shortest_path(g: int, open_: set, start, goal) -> list[tuple[int, int]]:
    """Cells of a shortest path from start to goal (BFS; ties broken in MOVES order)."""
    prev = {start: None}
    queue = deque([start])
    while queue:
        cur = queue.popleft()
        if cur == goal:
            break
        for dr, dc in MOVES.values():
            n = (cur[0] + dr, cur[1] + dc)
            if n not in prev and tuple(sorted([cur, n])) in open_:
                prev[n] = cur
                queue.append(n)
    path, cur = [], goal
    while cur is not None:
        path.append(cur)
        cur = prev[cur]
    return path[::-1]


def describe(path) -> str:
    """'down 2, right 1, ...' for a path of cells."""
    names = {v: k for k, v in MOVES.items()}
    runs: list[list] = []
    for a, b in zip(path, path[1:]):
        m = names[(b[0] - a[0], b[1] - a[1])]
        if runs and runs[-1][0] == m:
            runs[-1][1] += 1
        else:
            runs.append([m, 1])
    return ", ".join(f"{m} {k}" for m, k in runs)


@register
class Maze:
    name, kind, knobs = "maze", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        g = k["grid"]
        open_ = carve(rng, g)
        closed = [tuple(sorted([(r, c), (r + dr, c + dc)])) for r in range(g) for c in range(g)
                  for dr, dc in ((0, 1), (1, 0)) if r + dr < g and c + dc < g]
        closed = sorted(set(closed) - open_)
        open_ |= set(rng.sample(closed, min(k["extra_openings"], len(closed))))
        start, goal = rng.sample([(r, c) for r in range(g) for c in range(g)], 2)
        path = shortest_path(g, open_, start, goal)
        steps = len(path) - 1
        if steps < k["min_path"]:
            return None
        question = ("How many steps long is the shortest path from the green circle to the red square? "
                    "Each step moves to a neighbouring cell without crossing a wall.")
        reasoning = (f"Start at row {start[0] + 1}, column {start[1] + 1}; the goal is at row {goal[0] + 1}, "
                     f"column {goal[1] + 1}. Shortest path: {describe(path)}. That is {steps} steps.")
        state = {"grid": g, "open": sorted([list(a), list(b)] for a, b in open_), "start": list(start),
                 "goal": list(goal)}
        return Puzzle(state=state, question=question, answer=str(steps), answer_type="integer", verifier="integer",
                      reasoning=reasoning, scene=(g, open_, start, goal),
                      distractors=[str(steps + d) for d in (-2, -1, 1, 2, 3) if steps + d > 0],
                      meta={"question_type": "shortest_path", "grid": g})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        g, open_, start, goal = pz.scene
        cell = (1 - 2 * MARGIN) / g
        marker = 0.3 * cell
        if WALL * view.model_side < vis.MIN_STROKE * 1.5:
            return Rendered(None, "wall_width")
        if (cell - WALL) * view.model_side < 6:
            return Rendered(None, "cell_size")
        if shape_area("square", marker * view.model_side) < vis.MIN_OBJECT_AREA:
            return Rendered(None, "marker_area")
        c = Canvas(view.size)
        wall = (40, 40, 40)
        xy = lambda r, col: (MARGIN + col * cell, MARGIN + r * cell)  # noqa: E731
        c.rect(MARGIN, MARGIN, 1 - MARGIN, 1 - MARGIN, outline=wall, width=WALL)
        for r in range(g):
            for col in range(g):
                x, y = xy(r, col)
                if col + 1 < g and ((r, col), (r, col + 1)) not in open_:
                    c.line([(x + cell, y), (x + cell, y + cell)], fill=wall, width=WALL)
                if r + 1 < g and ((r, col), (r + 1, col)) not in open_:
                    c.line([(x, y + cell), (x + cell, y + cell)], fill=wall, width=WALL)
        for (r, col), shape, color in ((start, "circle", "green"), (goal, "square", "red")):
            x, y = xy(r, col)
            c.shape(shape, x + cell / 2, y + cell / 2, marker, COLORS[color])
        return Rendered(c.image())
