"""`spot_difference` (two images per item): how many differences are there between two pictures of shapes?

The second picture is the first with k changes, each on its own object: a colour changed, an object missing, an
object added, or a shape changed (only between shapes that differ a lot: never circle ↔ square). k is drawn first
(uniform), so answers are balanced. Difficulty: more objects, more kinds of change, smaller shapes, up to five
differences. Rows carry two images (`images: [first, second]`). Legibility: object area and gaps in model pixels in
both pictures, and each difference must change ≥ MIN_OBJECT_AREA / 2 model pixels of the processor-resized images
while every unchanged object stays the same there.
"""

from __future__ import annotations

import random

import numpy as np

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import COLOR_NAMES
from . import _kit
from . import _scene as sc

KNOBS = {
    1: {"objects": [4, 5], "differences": [1, 3], "kinds": ["color", "missing"], "radius": [0.075, 0.095]},
    2: {"objects": [5, 6], "differences": [1, 3], "kinds": ["color", "missing", "added"], "radius": [0.065, 0.085]},
    3: {"objects": [6, 7], "differences": [1, 4], "kinds": ["color", "missing", "added", "shape"],
        "radius": [0.06, 0.08]},
    4: {"objects": [7, 9], "differences": [1, 4], "kinds": ["color", "missing", "added", "shape"],
        "radius": [0.055, 0.07]},
    5: {"objects": [9, 11], "differences": [1, 5], "kinds": ["color", "missing", "added", "shape"],
        "radius": [0.05, 0.06]},
}
SHAPES = ["circle", "square", "triangle", "star"]
FAR_SHAPES = {"circle": ["triangle", "star"], "square": ["triangle", "star"], "triangle": ["circle", "square", "star"],
              "star": ["circle", "square", "triangle"]}
KIND_WORDS = {"color": "colour changed", "missing": "missing", "added": "added", "shape": "shape changed"}


@register
class SpotDifference:
    name, kind, knobs = "spot_difference", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n, diffs = rng.randint(*k["objects"]), rng.randint(*k["differences"])
        kinds = [rng.choice(k["kinds"]) for _ in range(diffs)]
        n_added = kinds.count("added")
        if diffs - n_added > n:
            return None
        radii = [rng.uniform(*k["radius"]) for _ in range(n + n_added)]
        pos = sc.place(rng, radii, gap=0.05)
        if pos is None:
            return None
        objs = [sc.Obj(rng.choice(SHAPES), rng.choice(COLOR_NAMES), x, y, r) for (x, y), r in zip(pos, radii)]
        first, extra = objs[:n], objs[n:]
        changes = []  # (kind, index into `first` or None for added, salt choosing the new colour/shape)
        touched = rng.sample(range(n), diffs - n_added)
        for kind in kinds:
            changes.append((kind, None if kind == "added" else touched.pop(), rng.randrange(60)))
        return self.puzzle(first, extra, changes, level)

    def puzzle(self, first: list[sc.Obj], extra: list[sc.Obj], changes: list[tuple], level: int) -> Puzzle:
        second = [sc.Obj(o.shape, o.color, o.x, o.y, o.r) for o in first]
        drop = set()
        for kind, i, salt in changes:
            if kind == "color":
                second[i].color = COLOR_NAMES[(COLOR_NAMES.index(first[i].color) + 1 + salt % 5) % 6]
            elif kind == "shape":
                far = FAR_SHAPES[first[i].shape]
                second[i].shape = far[salt % len(far)]
            elif kind == "missing":
                drop.add(i)
        second = [o for j, o in enumerate(second) if j not in drop] + list(extra)
        kinds = [c[0] for c in changes]
        shown = [x for x in KNOBS[level]["kinds"]]
        counts = {x: kinds.count(x) for x in shown}
        total = len(changes)
        said = " ".join(f"{KIND_WORDS[x].capitalize()}: {counts[x]}." for x in shown)
        reasoning = f"{said} {' + '.join(str(counts[x]) for x in shown)} = {total}."
        lo, hi = KNOBS[level]["radius"]
        return Puzzle(state={"first": sc.obj_state(first, lo, hi), "second": sc.obj_state(second, lo, hi)},
                      question="How many differences are there between the first picture and the second picture?",
                      answer=str(total), answer_type="integer", verifier="integer", reasoning=reasoning,
                      scene={"first": first, "second": second, "extra": extra, "changes": changes, "level": level},
                      distractors=[str(v) for v in range(0, KNOBS[level]["differences"][1] + 3) if v != total],
                      meta={"question_type": "count_differences", "n_objects": len(first),
                            "kinds": " ".join(sorted(kinds))},
                      steps=_kit.steps(*((KIND_WORDS[x], counts[x]) for x in shown)))

    def perturb(self, pz: Puzzle, rng: random.Random, level: int) -> tuple[Puzzle, str] | None:
        """Minimal pair: the same first picture; the second one undoes one of the changes (one difference fewer)."""
        changes = list(pz.scene["changes"])
        if len(changes) < 2:
            return None
        j = rng.randrange(len(changes))
        kind, _, _ = changes.pop(j)
        extra = list(pz.scene["extra"])
        if kind == "added":
            extra.pop(sum(c[0] == "added" for c in pz.scene["changes"][:j]))
        new = self.puzzle(pz.scene["first"], extra, changes, level)
        return new, f"second picture: one '{KIND_WORDS[kind]}' difference undone"

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        def listing(objs):
            return ", ".join(f"{o.color} {o.shape} {_kit.region(o.x, o.y)}" for o in sorted(objs, key=lambda o: (
                round(o.y, 1), o.x)))
        return [f"First picture: {listing(pz.scene['first'])}.", f"Second picture: {listing(pz.scene['second'])}."]

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        first, second = pz.scene["first"], pz.scene["second"]
        for objs in (first, second):
            reason = sc.check_objects(objs, view)
            if reason:
                return Rendered(None, reason)
        images = [sc.draw_objects(objs, view.size).image() for objs in (first, second)]
        small = [np.asarray(view.to_model(im).convert("RGB"), dtype=np.int16) for im in images]
        diff = np.abs(small[0] - small[1]).max(axis=2) > 40
        changed = {i for _, i, _ in pz.scene["changes"] if i is not None}
        side = view.model_side
        for idx, o in enumerate(first + pz.scene["extra"]):
            e = sc.EXTENT * o.r + 0.01
            box = diff[max(0, int((o.y - e) * side)):int((o.y + e) * side) + 1,
                       max(0, int((o.x - e) * side)):int((o.x + e) * side) + 1]
            must = idx >= len(first) or idx in changed
            if must and box.sum() < vis.MIN_OBJECT_AREA / 2:
                return Rendered(None, "difference_area")
            if not must and box.sum() > 0:
                return Rendered(None, "unchanged_object_differs")
        return Rendered(images)
