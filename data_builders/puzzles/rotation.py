"""`rotation`: by how many degrees the left shape was turned to give the right shape.

The shape is a polyomino with no turn symmetry (so every angle gives a different picture), drawn on the left and,
turned about its centre by the answer, on the right. Difficulty moves the angle step from 90° to 45°, grows the
shape, tilts the left copy too (from level 4) and asks for counter-clockwise turns (level 5). The trace follows
the shape's tip (its unique farthest cell) from one compass direction to another. Legibility: cell size in model
pixels.
"""

from __future__ import annotations

import math
import random

from ..core import Puzzle, Rendered, register
from ..draw import COLORS, Canvas
from . import _cells as gc

KNOBS = {
    1: {"cells": [4, 5], "step": 90, "base_tilt": False, "directions": ["clockwise"]},
    2: {"cells": [5, 5], "step": 90, "base_tilt": False, "directions": ["clockwise"]},
    3: {"cells": [5, 6], "step": 45, "base_tilt": False, "directions": ["clockwise"]},
    4: {"cells": [6, 6], "step": 45, "base_tilt": True, "directions": ["clockwise"]},
    5: {"cells": [6, 7], "step": 45, "base_tilt": True, "directions": ["clockwise", "counter-clockwise"]},
}
COMPASS = ["up", "up-right", "right", "down-right", "down", "down-left", "left", "up-left"]
FILLS = ["blue", "green", "purple", "red"]
CENTRES = ((0.27, 0.5), (0.73, 0.5))   # the two shapes' centres (canvas fractions)
SPAN = 0.44                            # room for one shape (its diagonal after any turn)


def cells_centred(cells) -> list[tuple[float, float]]:
    """Cell centres (x right, y down, in cell units) relative to the shape's centroid."""
    cx = sum(c + 0.5 for _, c in cells) / len(cells)
    cy = sum(r + 0.5 for r, _ in cells) / len(cells)
    return [(c + 0.5 - cx, r + 0.5 - cy) for r, c in cells]


def turned(pt: tuple[float, float], deg: float) -> tuple[float, float]:
    """A point turned clockwise on screen (y down) by `deg` degrees."""
    a = math.radians(deg)
    x, y = pt
    return x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)


def heading(pt: tuple[float, float]) -> float:
    """Compass angle of a screen vector, clockwise from up, in [0, 360)."""
    return math.degrees(math.atan2(pt[0], -pt[1])) % 360


@register
class Rotation:
    name, kind, knobs = "rotation", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        cells = gc.grow(rng, rng.randint(*k["cells"]), 4, 4)
        if cells is None:
            return None
        shape = gc.normalise(cells)
        if shape in (gc.turn(shape), gc.turn(gc.turn(shape))):
            return None  # a turn symmetry would make two angles give the same picture
        pts = cells_centred(shape)
        dist = sorted((math.hypot(*p), i) for i, p in enumerate(pts))
        if dist[-1][0] - dist[-2][0] < 0.15:
            return None  # the tip (farthest cell) must be unique for the trace
        tip = pts[dist[-1][1]]
        step = k["step"]
        answer = rng.randrange(step, 360, step)
        direction = rng.choice(k["directions"])
        cw = answer if direction == "clockwise" else 360 - answer
        base = rng.randrange(0, 360, 45) if k["base_tilt"] else 0
        h0 = heading(turned(tip, base))
        h1 = (h0 + cw) % 360
        d0, d1 = COMPASS[round(h0 / 45) % 8], COMPASS[round(h1 / 45) % 8]
        fill = rng.choice(FILLS)
        question = (f"The right shape is the left shape turned {direction} about its centre. By how many degrees "
                    f"was it turned? Give the smallest positive angle.")
        reasoning = f"The tip points {d0}, then {d1}. Turning {direction}, that is {answer} degrees."
        drawn = shape
        for _ in range(base // 90):   # canonical: the left copy's quarter turns go into its cells (same picture)
            drawn = gc.turn(drawn)
        state = {"cells": [list(c) for c in drawn], "base": base % 90, "turn_cw": cw, "fill": fill}
        return Puzzle(state=state, question=question, answer=str(answer), answer_type="integer",
                      verifier="integer", reasoning=reasoning, scene=(pts, base, cw, fill),
                      distractors=[str(a) for a in range(45, 360, 45) if a != answer],
                      options_from_distractors=True,
                      meta={"question_type": direction, "n_cells": len(shape), "state_json": gc.state_json(state)})

    @staticmethod
    def unit(pts) -> float:
        """Cell side (canvas fraction) such that the shape fits SPAN whatever the turn."""
        reach = max(math.hypot(x, y) for x, y in pts) + 0.75
        return SPAN / (2 * reach)

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        pts, base, cw, fill = pz.scene
        u = self.unit(pts)
        reason = gc.grid_legible(u, view, 7.0)
        if reason:
            return Rendered(None, reason)
        c = Canvas(view.size)
        edge = tuple(max(0, v - 90) for v in COLORS[fill])
        for (cx, cy), angle in zip(CENTRES, (base, base + cw)):
            for px, py in pts:
                corners = [turned((px + dx, py + dy), angle) for dx, dy in
                           ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5))]
                c.polygon([(cx + x * u, cy + y * u) for x, y in corners], fill=COLORS[fill], outline=edge,
                          width=0.006)
        c.line([(0.47, 0.5), (0.53, 0.5)], fill=(120, 120, 120), width=0.008)
        c.polygon([(0.545, 0.5), (0.525, 0.485), (0.525, 0.515)], fill=(120, 120, 120))
        return Rendered(c.image())
