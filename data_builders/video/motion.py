"""`motion` (video): which way does the ball move? (left, right, up or down, in one word)

A circle travels in a straight line at constant speed over the clip; the answer is its direction, drawn first
(uniform over the four), so answers are balanced. At level 1 the ball goes from the centre of one cell of a 4 × 4
grid to the centre of another two or three cells away (cells line up with the vision tower's merged patches at
112 px, and with single patches at 56 px; two consecutive frames make one temporal patch, so with one cell of
travel the two patches of a 4-frame clip differ by two thirds of a cell and the tiny model stays at chance, while
two or three cells it reads — measured, README: Video); from level 2 it starts anywhere and travels a random
distance.
Difficulty adds frames, static shapes that do not move (other shapes than circles, any colour), other moving
shapes that go other ways (level 4 up), smaller shapes; from level 2 the question names the circle by its colour
(the only circle of that colour). The travel is at least a quarter of the frame and more than a ball's width, so
the ball's grid column (row) always changes and its first and last positions never overlap. The trace reads the
ball's grid cell (4 × 4, row 1 at the top) in the first and the last frame: `First: row 2, column 1. Last: row 2,
column 3. So right.`
"""

from __future__ import annotations

import random

from ..core import Puzzle, Rendered, register
from ..draw import COLOR_NAMES
from ..puzzles import _scene as sc
from . import _clip

KNOBS = {
    1: {"frames": 4, "static": 0, "other_movers": 0, "radius": [0.085, 0.1], "travel_cells": [2, 3]},
    2: {"frames": 4, "static": 1, "other_movers": 0, "radius": [0.08, 0.1], "travel": [0.32, 0.46]},
    3: {"frames": 6, "static": 2, "other_movers": 0, "radius": [0.07, 0.09], "travel": [0.3, 0.42]},
    4: {"frames": 8, "static": 1, "other_movers": 1, "radius": [0.06, 0.08], "travel": [0.3, 0.38]},
    5: {"frames": 8, "static": 2, "other_movers": 2, "radius": [0.05, 0.07], "travel": [0.3, 0.36]},
}
DIRECTIONS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
STATIC_SHAPES = ["square", "triangle", "star"]
MARGIN = 0.03


def path_start(rng: random.Random, direction: str, r: float, travel: float) -> tuple[float, float]:
    """A start point from which `travel` in `direction` keeps the whole shape inside the frame."""
    dx, dy = DIRECTIONS[direction]
    e = sc.EXTENT * r
    lo, hi = MARGIN + e, 1 - MARGIN - e

    def axis(d: int) -> float:
        if d > 0:
            return rng.uniform(lo, hi - travel)
        if d < 0:
            return rng.uniform(lo + travel, hi)
        return rng.uniform(lo, hi)
    return axis(dx), axis(dy)


def cell_start(rng: random.Random, direction: str, cells: int) -> tuple[float, float]:
    """The centre of a grid cell from which `cells` cells in `direction` stay on the grid."""
    dx, dy = DIRECTIONS[direction]
    g = _clip.GRID

    def axis(d: int) -> float:
        lo, hi = (0, g - 1 - cells) if d > 0 else ((cells, g - 1) if d < 0 else (0, g - 1))
        return (rng.randint(lo, hi) + 0.5) / g
    return axis(dx), axis(dy)


def positions(start: tuple[float, float], direction: str, travel: float, frames: int) -> list[tuple[float, float]]:
    dx, dy = DIRECTIONS[direction]
    return [(start[0] + dx * travel * t / (frames - 1), start[1] + dy * travel * t / (frames - 1))
            for t in range(frames)]


@register
class Motion:
    name, kind, knobs = "motion", "video", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n = k["frames"]
        answer = rng.choice(list(DIRECTIONS))
        r = rng.uniform(*k["radius"])
        color = rng.choice(COLOR_NAMES)
        if "travel_cells" in k:  # level 1: from the centre of a grid cell to the centre of another, 2-3 cells away
            cells = rng.randint(*k["travel_cells"])
            travel = cells / _clip.GRID
            start = cell_start(rng, answer, cells)
        else:
            travel = rng.uniform(*k["travel"])
            start = path_start(rng, answer, r, travel)
        ball = positions(start, answer, travel, n)
        tracks = [("circle", color, r, ball)]
        for _ in range(k["other_movers"]):
            way = rng.choice([d for d in DIRECTIONS if d != answer])
            ro, t_o = rng.uniform(*k["radius"]), rng.uniform(*k["travel"])
            shape = rng.choice(["circle"] + STATIC_SHAPES)
            other = rng.choice([c for c in COLOR_NAMES if c != color] if shape == "circle" else COLOR_NAMES)
            tracks.append((shape, other, ro, positions(path_start(rng, way, ro, t_o), way, t_o, n)))
        for _ in range(k["static"]):
            rs = rng.uniform(*k["radius"])
            spot = _clip.free_spot(rng, rs, [sc.Obj("circle", "red", x, y, rr) for _, _, rr, p in tracks
                                             for x, y in p])
            if spot is None:
                return None
            tracks.append((rng.choice(STATIC_SHAPES), rng.choice(COLOR_NAMES), rs, [spot] * n))
        frames = [[sc.Obj(s, c, p[t][0], p[t][1], rr) for s, c, rr, p in tracks] for t in range(n)]
        if min(sc.min_gap(objs) for objs in frames) < 0.03:
            return None
        lo, hi = k["radius"]
        return Puzzle(state={"frames": _clip.clip_state(frames, lo, hi)},
                      question=self._question(level, color), answer=answer, answer_type="text", verifier="exact",
                      reasoning=self._trace(level, color, ball, answer), scene=frames,
                      distractors=[d for d in DIRECTIONS if d != answer],
                      meta={"question_type": "direction", "n_frames": n, "n_objects": len(tracks)})

    @staticmethod
    def _question(level: int, color: str) -> str:
        what = "the ball" if level == 1 else f"the {color} circle"
        return f"Which way does {what} move? Answer with one word."

    @staticmethod
    def _trace(level: int, color: str, ball: list[tuple[float, float]], answer: str) -> str:
        """The ball's grid cell (4 × 4, row 1 at the top) in the first and in the last frame, then the answer."""
        (x0, y0), (x1, y1) = ball[0], ball[-1]
        cell = lambda v: min(_clip.GRID, int(v * _clip.GRID) + 1)  # noqa: E731
        head = "" if level == 1 else f"The {color} circle. "
        return (f"{head}First: row {cell(y0)}, column {cell(x0)}. Last: row {cell(y1)}, column {cell(x1)}. "
                f"So {answer}.")

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        frames = pz.scene
        reason = _clip.check_frames(frames, view)
        if reason:
            return Rendered(None, reason)
        images, reason = _clip.draw_frames(frames, view)
        return Rendered(images, reason)
