"""`attribute`: the colour or shape of the object singled out by size (largest/smallest) or by grid position.

Difficulty adds objects, shrinks the area ratio that separates the queried object from the runner-up, and
unlocks position questions on a 3×3 then 4×4 grid. The answer (a colour or shape word) is drawn first.
"""

from __future__ import annotations

import math
import random

from ..core import Puzzle, Rendered, register
from ..draw import AREA_FACTOR, COLOR_NAMES, COLORS, SHAPES, Canvas
from . import _scene as sc

KNOBS = {
    1: {"objects": [2, 3], "area_ratio": 2.5, "questions": ["largest"], "grid": 0},
    2: {"objects": [3, 4], "area_ratio": 2.0, "questions": ["largest", "smallest"], "grid": 0},
    3: {"objects": [4, 6], "area_ratio": 1.7, "questions": ["largest", "smallest", "cell"], "grid": 3},
    4: {"objects": [5, 8], "area_ratio": 1.5, "questions": ["largest", "smallest", "cell"], "grid": 3},
    5: {"objects": [7, 10], "area_ratio": 1.4, "questions": ["largest", "smallest", "cell"], "grid": 4},
}
RHO = (0.045, 0.15)  # equivalent-circle radius range (canvas fraction)
MIN_AREA_DIFF = 15.0  # model px² between the queried object and the runner-up
ORD = ["first", "second", "third", "fourth"]


def _r(shape: str, rho: float) -> float:
    return rho * math.sqrt(math.pi / AREA_FACTOR[shape])


@register
class Attribute:
    name, kind, knobs = "attribute", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        qtype = rng.choice(k["questions"])
        attr = rng.choice(["color", "shape"])
        answer = rng.choice(COLOR_NAMES if attr == "color" else SHAPES)
        n = rng.randint(*k["objects"])
        specs = [(rng.choice(SHAPES), rng.choice(COLOR_NAMES)) for _ in range(n)]
        specs[0] = (answer, specs[0][1]) if attr == "shape" else (specs[0][0], answer)
        if qtype == "cell":
            objs, where = self._grid(rng, specs, k["grid"])
        else:
            objs, where = self._sized(rng, specs, qtype, k["area_ratio"])
        if objs is None:
            return None
        target = objs[0]
        if qtype == "cell":
            r, c = where
            question = (f"The image is a {k['grid']} by {k['grid']} grid. What {attr} is the object in the "
                        f"{ORD[r]} row and {ORD[c]} column, counting from the top left?")
            reasoning = f"Row {r + 1}, column {c + 1} holds a {target.name}. Its {attr} is {answer}."
            cells = sorted([o.shape, o.color, int(o.y * k["grid"]), int(o.x * k["grid"])] for o in objs)
            state = {"layout": "grid", "cells": cells}
        else:
            other = sorted(objs[1:], key=lambda o: -self.area(o))[0 if qtype == "largest" else -1]
            question = f"What {attr} is the {qtype} object in the image?"
            reasoning = (f"The {qtype} object is the {target.name}; the next in size, the {other.name}, is clearly "
                         f"{'smaller' if qtype == 'largest' else 'larger'}. Its {attr} is {answer}.")
            state = {"layout": "free", "objects": sc.obj_state(objs, 0.03, 0.2)}
        rng.shuffle(objs)
        vocab = COLOR_NAMES if attr == "color" else SHAPES
        return Puzzle(state=state, question=question, answer=answer, answer_type="text", verifier="exact",
                      reasoning=reasoning, scene=(objs, target, qtype, k["grid"]),
                      distractors=[v for v in vocab if v != answer],
                      meta={"question_type": f"{qtype}_{attr}", "n_objects": n})

    @staticmethod
    def area(o: sc.Obj) -> float:
        return AREA_FACTOR[o.shape] * o.r * o.r

    def _sized(self, rng, specs, qtype, ratio):
        """Target = specs[0] is the largest (smallest) by area, by at least `ratio` over every other object."""
        lo, hi = RHO
        if qtype == "largest":
            rho_t = rng.uniform(lo * math.sqrt(ratio), hi)
            rhos = [rng.uniform(lo, rho_t / math.sqrt(ratio)) for _ in specs[1:]]
        else:
            rho_t = rng.uniform(lo, hi / math.sqrt(ratio))
            rhos = [rng.uniform(rho_t * math.sqrt(ratio), hi) for _ in specs[1:]]
        radii = [_r(s, rho) for (s, _), rho in zip(specs, [rho_t] + rhos)]
        pos = sc.place(rng, radii, gap=0.03)
        if pos is None:
            return None, None
        return [sc.Obj(s, c, x, y, r) for (s, c), (x, y), r in zip(specs, pos, radii)], None

    def _grid(self, rng, specs, g):
        cells = rng.sample(range(g * g), len(specs))
        cw = 1.0 / g
        objs = []
        for (s, c), cell in zip(specs, cells):
            r = _r(s, rng.uniform(0.2, 0.26) * cw)
            objs.append(sc.Obj(s, c, (cell % g + 0.5) * cw, (cell // g + 0.5) * cw, r))
        return objs, (cells[0] // g, cells[0] % g)

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        objs, target, qtype, g = pz.scene
        reason = sc.check_objects(objs, view)
        if reason:
            return Rendered(None, reason)
        side2 = view.model_side ** 2
        if qtype != "cell":
            others = sorted(self.area(o) for o in objs if o is not target)
            near = others[-1] if qtype == "largest" else others[0]
            if abs(self.area(target) - near) * side2 < MIN_AREA_DIFF:
                return Rendered(None, "size_difference")
        c = Canvas(view.size)
        if qtype == "cell":
            for i in range(1, g):
                c.line([(i / g, 0), (i / g, 1)], fill=(170, 170, 170), width=max(0.006, 1.2 / view.model_side))
                c.line([(0, i / g), (1, i / g)], fill=(170, 170, 170), width=max(0.006, 1.2 / view.model_side))
        for o in objs:
            c.shape(o.shape, o.x, o.y, o.r, COLORS[o.color])
        return Rendered(c.image())
