"""`spatial`: relations between objects — where X is relative to Y, which object is extreme, which is nearest.

Every object has a unique colour+shape name. Difficulty adds objects, unlocks extreme (leftmost/topmost/...) and
nearest-object questions, and shrinks the margins that make the answer unambiguous (dominant-axis ratio of a
relation, gap between the extreme object and the runner-up, distance ratio of nearest vs second nearest).
"""

from __future__ import annotations

import math
import random

from ..core import Puzzle, Rendered, register
from ..draw import COLOR_NAMES, SHAPES
from . import _scene as sc

KNOBS = {
    1: {"objects": [2, 2], "questions": ["relation"], "axis_ratio": 3.0, "extreme_gap": 0.15, "near_ratio": 2.0},
    2: {"objects": [3, 3], "questions": ["relation", "extreme"], "axis_ratio": 2.5, "extreme_gap": 0.12,
        "near_ratio": 1.8},
    3: {"objects": [3, 4], "questions": ["relation", "extreme", "nearest"], "axis_ratio": 2.0, "extreme_gap": 0.09,
        "near_ratio": 1.6},
    4: {"objects": [4, 6], "questions": ["relation", "extreme", "nearest"], "axis_ratio": 1.7, "extreme_gap": 0.07,
        "near_ratio": 1.4},
    5: {"objects": [6, 8], "questions": ["relation", "extreme", "nearest"], "axis_ratio": 1.5, "extreme_gap": 0.05,
        "near_ratio": 1.3},
}
DIRECTIONS = {"left": (-1, 0), "right": (1, 0), "above": (0, -1), "below": (0, 1)}
EXTREMES = {"leftmost": (0, 1), "rightmost": (0, -1), "topmost": (1, 1), "bottommost": (1, -1)}  # (axis, sign)
MIN_SEPARATION_PX = 4.0  # model px that the deciding coordinate/distance difference must reach


@register
class Spatial:
    name, kind, knobs = "spatial", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n = rng.randint(*k["objects"])
        names = rng.sample([(s, c) for s in SHAPES for c in COLOR_NAMES], n)
        radii = [rng.uniform(0.05, 0.075) for _ in names]
        pos = sc.place(rng, radii, gap=0.03)
        if pos is None:
            return None
        objs = [sc.Obj(s, c, x, y, r) for (s, c), (x, y), r in zip(names, pos, radii)]
        qtype = rng.choice(k["questions"])
        made = getattr(self, f"_{qtype}")(rng, objs, k)
        if made is None:
            return None
        question, answer, reasoning, key, margin, vocab = made
        if qtype != "relation":
            vocab = self._name_distractors(rng, objs, answer)
        return Puzzle(state={"objects": sc.obj_state(objs, 0.05, 0.075)}, question=question,
                      answer=answer, answer_type="text", verifier="exact", reasoning=reasoning,
                      scene=(objs, margin), distractors=[v for v in vocab if v != answer],
                      meta={"question_type": qtype, "n_objects": n})

    @staticmethod
    def _name_distractors(rng, objs, answer: str) -> list[str]:
        """A 2×2 (colour × shape) design around the answer, preferring attributes present in the scene, so each
        colour and each shape occurs in exactly two of the four options."""
        color, shape = answer.split(" ")
        colors = [o.color for o in objs if o.color != color] or [c for c in COLOR_NAMES if c != color]
        shapes = [o.shape for o in objs if o.shape != shape] or [s for s in SHAPES if s != shape]
        c2, s2 = rng.choice(colors), rng.choice(shapes)
        return [f"{c2} {shape}", f"{color} {s2}", f"{c2} {s2}"]

    @staticmethod
    def _relation(rng, objs, k):
        a, b = rng.sample(objs, 2)
        dx, dy = a.x - b.x, a.y - b.y
        if max(abs(dx), abs(dy)) < k["axis_ratio"] * min(abs(dx), abs(dy)):
            return None  # no dominant axis: ambiguous
        answer = ("right" if dx > 0 else "left") if abs(dx) > abs(dy) else ("below" if dy > 0 else "above")
        where = "farther right" if answer == "right" else "farther left" if answer == "left" else (
            "lower" if answer == "below" else "higher")
        reasoning = (f"The {a.name} is {where} than the {b.name}, and the offset is mostly "
                     f"{'horizontal' if answer in ('left', 'right') else 'vertical'}. So it is {answer}.")
        return (f"Where is the {a.name} relative to the {b.name}?", answer, reasoning,
                ["relation", a.name, b.name], max(abs(dx), abs(dy)), list(DIRECTIONS))

    @staticmethod
    def _extreme(rng, objs, k):
        word = rng.choice(list(EXTREMES))
        axis, sign = EXTREMES[word]
        ranked = sorted(objs, key=lambda o: sign * (o.x if axis == 0 else o.y))
        gap = abs((ranked[1].x - ranked[0].x) if axis == 0 else (ranked[1].y - ranked[0].y))
        if gap < k["extreme_gap"]:
            return None
        best, second = ranked[0], ranked[1]
        reasoning = f"Comparing positions, the {best.name} is {word}; the {second.name} comes next. So {best.name}."
        return (f"Which object is the {word} one in the image? Name its color and shape.", best.name, reasoning,
                ["extreme", word], gap, [o.name for o in objs])

    @staticmethod
    def _nearest(rng, objs, k):
        a = rng.choice(objs)
        ranked = sorted((o for o in objs if o is not a), key=lambda o: math.hypot(o.x - a.x, o.y - a.y))
        if len(ranked) < 2:
            return None
        d1, d2 = (math.hypot(o.x - a.x, o.y - a.y) for o in ranked[:2])
        if d2 < k["near_ratio"] * d1:
            return None
        best = ranked[0]
        reasoning = f"The {best.name} is next to the {a.name}; the {ranked[1].name} is farther away. So {best.name}."
        return (f"Which object is closest to the {a.name}? Name its color and shape.", best.name, reasoning,
                ["nearest", a.name], d2 - d1, [o.name for o in objs if o is not a])

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        objs, margin = pz.scene
        reason = sc.check_objects(objs, view)
        if reason:
            return Rendered(None, reason)
        if margin * view.model_side < MIN_SEPARATION_PX:
            return Rendered(None, "separation")
        return Rendered(sc.draw_objects(objs, view.size).image())
