"""Shared pieces of the object-scene families (count, attribute, spatial): objects, placement, checks, state."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .. import visibility as vis
from ..draw import COLORS, Canvas, shape_area

EXTENT = 1.2   # half-extent of any shape as a multiple of r (square's half-diagonal ≈ 1.2 r)
QUANT = 8      # positions are quantised to an 8×8 grid in the canonical state


@dataclass
class Obj:
    shape: str
    color: str
    x: float
    y: float
    r: float

    @property
    def name(self) -> str:
        return f"{self.color} {self.shape}"


def place(rng: random.Random, radii: list[float], gap: float = 0.03, margin: float = 0.03,
          tries: int = 60) -> list[tuple[float, float]] | None:
    """Random non-overlapping centres for shapes of the given radii (largest first); None if they do not fit."""
    order = sorted(range(len(radii)), key=lambda i: -radii[i])
    pos: dict[int, tuple[float, float]] = {}
    for i in order:
        e = EXTENT * radii[i]
        for _ in range(tries):
            x = rng.uniform(margin + e, 1 - margin - e)
            y = rng.uniform(margin + e, 1 - margin - e)
            if all(math.hypot(x - px, y - py) >= e + EXTENT * radii[j] + gap for j, (px, py) in pos.items()):
                pos[i] = (x, y)
                break
        else:
            return None
    return [pos[i] for i in range(len(radii))]


def place_grid(rng: random.Random, radii: list[float], cells: int = 4, gap: float = 0.0
               ) -> list[tuple[float, float]] | None:
    """Centres in distinct cells of a cells×cells grid, jittered inside the cell (an uncluttered layout whose
    cells line up with the vision tower's merged patches at the model's input size)."""
    if len(radii) > cells * cells:
        return None
    chosen = rng.sample(range(cells * cells), len(radii))
    half = 0.5 / cells
    out = []
    for c, r in zip(chosen, radii):
        room = max(0.0, half - EXTENT * r - gap / 2)
        out.append(((c % cells + 0.5) / cells + rng.uniform(-room, room),
                    (c // cells + 0.5) / cells + rng.uniform(-room, room)))
    return out


def min_gap(objs: list[Obj]) -> float:
    """Smallest free distance between two objects' extents (canvas fraction); inf for < 2 objects."""
    best = math.inf
    for i, a in enumerate(objs):
        for b in objs[i + 1:]:
            best = min(best, math.hypot(a.x - b.x, a.y - b.y) - EXTENT * (a.r + b.r))
    return best


def check_objects(objs: list[Obj], view: vis.View) -> str | None:
    """Each object's area and the gaps between objects, in model pixels."""
    side = view.model_side
    if min(shape_area(o.shape, o.r * side) for o in objs) < vis.MIN_OBJECT_AREA:
        return "object_area"
    if min_gap(objs) * side < vis.MIN_GAP:
        return "object_gap"
    return None


def draw_objects(objs: list[Obj], size: int, ss: int = 2) -> Canvas:
    c = Canvas(size, ss=ss)
    for o in objs:
        c.shape(o.shape, o.x, o.y, o.r, COLORS[o.color])
    return c


def pixel_count_ok(image, view: vis.View, expected: int) -> bool:
    """Independent check: the resized image shows exactly `expected` separate blobs of ink."""
    return vis.count_components(vis.ink_mask(view.to_model(image))) == expected


def q(v: float) -> int:
    return min(QUANT - 1, max(0, int(v * QUANT)))


def size_bucket(r: float, lo: float, hi: float, buckets: int = 3) -> int:
    return min(buckets - 1, max(0, int((r - lo) / max(hi - lo, 1e-9) * buckets)))


def obj_state(objs: list[Obj], lo: float, hi: float) -> list[list]:
    """Canonical, order-free objects: sorted (shape, color, size bucket, qx, qy)."""
    return sorted([o.shape, o.color, size_bucket(o.r, lo, hi), q(o.x), q(o.y)] for o in objs)


def join_words(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
