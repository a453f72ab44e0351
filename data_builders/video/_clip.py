"""Shared pieces of the video families: a clip is a list of frames, each a list of objects drawn on white.

A frame's objects are `_scene.Obj`s; the clip's canonical state is the per-frame object states (quantised,
order-free within a frame, in time order), so two clips share a state — and a split — exactly when they show the
same thing frame by frame. Legibility is checked frame by frame at the model's input size: object areas and gaps
(`_scene.check_objects`) and an independent blob count of every resized frame.
"""

from __future__ import annotations

import random

from .. import visibility as vis
from ..puzzles import _scene as sc

GRID = 4  # level-1 layouts use a GRID × GRID grid of cells (the merged patches of a 112 px frame)


def clip_state(frames: list[list[sc.Obj]], lo: float, hi: float) -> list:
    return [sc.obj_state(objs, lo, hi) for objs in frames]


def check_frames(frames: list[list[sc.Obj]], view: vis.View) -> str | None:
    """The first legibility problem of any frame (object area, gap), or None."""
    for objs in frames:
        if objs:
            reason = sc.check_objects(objs, view)
            if reason:
                return reason
    return None


def draw_frames(frames: list[list[sc.Obj]], view: vis.View):
    """(the frames as images, None) or (None, reason) when a resized frame does not show its objects as separate
    blobs."""
    images = [sc.draw_objects(objs, view.size).image() for objs in frames]
    for objs, image in zip(frames, images):
        if not sc.pixel_count_ok(image, view, len(objs)):
            return None, "pixel_count"
    return images, None


def free_spot(rng: random.Random, r: float, taken: list[sc.Obj], gap: float = 0.04,
              tries: int = 60) -> tuple[float, float] | None:
    """A centre for a shape of radius r that keeps `gap` clear of every shape in `taken`."""
    e = sc.EXTENT * r
    for _ in range(tries):
        x, y = rng.uniform(0.03 + e, 0.97 - e), rng.uniform(0.03 + e, 0.97 - e)
        if all(((x - o.x) ** 2 + (y - o.y) ** 2) ** 0.5 >= e + sc.EXTENT * o.r + gap for o in taken):
            return x, y
    return None


def grid_spots(rng: random.Random, n: int, r: float) -> list[tuple[float, float]]:
    """n centres in distinct cells of the GRID × GRID grid (cell centres, lightly jittered)."""
    cells = rng.sample(range(GRID * GRID), n)
    room = max(0.0, 0.5 / GRID - sc.EXTENT * r - 0.02)
    return [((c % GRID + 0.5) / GRID + rng.uniform(-room, room), (c // GRID + 0.5) / GRID + rng.uniform(-room, room))
            for c in cells]
