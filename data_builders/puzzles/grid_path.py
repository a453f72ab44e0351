"""`grid_path`: the fewest steps from the green circle to the red square on a grid with blocked (dark) cells;
from level 4 on the route must pass through the yellow star first.

Unlike `maze` (walls between cells of a spanning tree) the obstacles here are whole cells and open areas leave
many routes, so the solver has to compare them. Difficulty grows the grid, the obstacle density and the minimum
route length, then adds the waypoint (two searches whose lengths add up). The answer is a breadth-first search
over the free cells; the trace gives the route as runs of moves. Legibility: cell size and marker area in model
pixels.
"""

from __future__ import annotations

import random
from collections import deque

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import COLORS, Canvas, shape_area
from . import _cells as gc

KNOBS = {
    1: {"grid": 4, "blocked": [2, 3], "min_steps": 2, "waypoint": False},
    2: {"grid": 5, "blocked": [4, 6], "min_steps": 3, "waypoint": False},
    3: {"grid": 6, "blocked": [7, 10], "min_steps": 4, "waypoint": False},
    4: {"grid": 6, "blocked": [7, 10], "min_steps": 4, "waypoint": True},
    5: {"grid": 7, "blocked": [10, 14], "min_steps": 6, "waypoint": True},
}
BLOCK = (70, 70, 70)
MARKERS = {"start": ("circle", "green", 0.3), "goal": ("square", "red", 0.3), "star": ("star", "yellow", 0.42)}


def bfs(g: int, blocked: set, start, goal) -> list | None:
    """A shortest route of cells from start to goal (ties in up, down, left, right order); None if cut off."""
    prev = {start: None}
    queue = deque([start])
    while queue:
        cur = queue.popleft()
        if cur == goal:
            path = []
            while cur is not None:
                path.append(cur)
                cur = prev[cur]
            return path[::-1]
        for dr, dc in gc.NEIGHBOURS:
            n = (cur[0] + dr, cur[1] + dc)
            if 0 <= n[0] < g and 0 <= n[1] < g and n not in blocked and n not in prev:
                prev[n] = cur
                queue.append(n)
    return None


@register
class GridPath:
    name, kind, knobs = "grid_path", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        g = k["grid"]
        cells = [(r, c) for r in range(g) for c in range(g)]
        n_block = rng.randint(*k["blocked"])
        picks = rng.sample(cells, n_block + (3 if k["waypoint"] else 2))
        blocked = set(picks[:n_block])
        start, goal = picks[n_block], picks[n_block + 1]
        star = picks[n_block + 2] if k["waypoint"] else None
        legs = [bfs(g, blocked, start, star or goal)] + ([bfs(g, blocked, star, goal)] if star else [])
        if any(leg is None for leg in legs):
            return None
        steps = sum(len(leg) - 1 for leg in legs)
        direct = bfs(g, blocked, start, goal)
        if steps < k["min_steps"] or (star and direct is not None and len(direct) - 1 == steps):
            return None  # with a waypoint, skipping it must be shorter (else the star changes nothing)
        if star is None:
            question = ("What is the fewest number of steps from the green circle to the red square? A step "
                        "moves to a neighbouring free cell (up, down, left or right); dark cells are blocked.")
            added = gc.run_sum(legs[0])
            reasoning = f"Route: {gc.runs(legs[0])}. {added + ' = ' if '+' in added else ''}{steps} steps."
        else:
            question = ("What is the fewest number of steps from the green circle to the red square if the route "
                        "must visit the yellow star first? A step moves to a neighbouring free cell (up, down, "
                        "left or right); dark cells are blocked.")
            a, b = len(legs[0]) - 1, len(legs[1]) - 1
            reasoning = (f"To the star: {gc.runs(legs[0])} ({a}). Then to the goal: {gc.runs(legs[1])} ({b}). "
                         f"{a} + {b} = {steps} steps.")
        state = {"grid": g, "blocked": sorted(list(b) for b in blocked), "start": list(start), "goal": list(goal),
                 "star": list(star) if star else None}
        return Puzzle(state=state, question=question, answer=str(steps), answer_type="integer", verifier="integer",
                      reasoning=reasoning, scene=(g, blocked, start, goal, star),
                      distractors=[str(steps + d) for d in (-2, -1, 1, 2, 3) if steps + d > 0],
                      meta={"question_type": "via_star" if star else "shortest_path", "grid": g,
                            "state_json": gc.state_json(state)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        g, blocked, start, goal, star = pz.scene
        x0, y0, cell = gc.grid_box(g)
        reason = gc.grid_legible(cell, view, 9.0)
        if reason:
            return Rendered(None, reason)
        if min(shape_area(s, f * cell * view.model_side) for s, _, f in MARKERS.values()) < vis.MIN_OBJECT_AREA:
            return Rendered(None, "marker_area")
        c = Canvas(view.size)
        for r, col in blocked:
            c.rect(x0 + col * cell, y0 + r * cell, x0 + (col + 1) * cell, y0 + (r + 1) * cell, fill=BLOCK)
        gc.draw_grid(c, x0, y0, cell, g, g)
        for key, rc in (("start", start), ("goal", goal), ("star", star)):
            if rc is not None:
                shape, color, f = MARKERS[key]
                cx, cy = gc.cell_centre(x0, y0, cell, rc)
                c.shape(shape, cx, cy, f * cell, COLORS[color])
        return Rendered(c.image())
