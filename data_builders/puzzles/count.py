"""`count`: how many shapes (of a kind, of a colour) are in the picture.

Difficulty lays shapes out freely instead of one per cell of a 4×4 grid (level 1), raises the target's count range, adds distractor shapes that share one attribute with the target
(shape, then shape+colour conjunctions), adds the star shape and shrinks sizes. Level 1 is the CPU demo task:
1–6 circles/squares/triangles on white, "How many shapes are in the image?". The answer is drawn first (uniform
over its range) and the scene built around it; an independent pixel count at the model's input size (connected
blobs after the processor's resize) must agree with the scene.
"""

from __future__ import annotations

import random

from ..core import Puzzle, Rendered, register
from ..draw import COLOR_NAMES, plural
from . import _scene as sc

KNOBS = {
    1: {"question": "all shapes", "target": [1, 6], "distractors": [0, 0], "shapes": 1, "radius": [0.085, 0.1],
        "layout": "grid"},
    2: {"question": "one shape type", "target": [1, 6], "distractors": [1, 4], "shapes": 3, "radius": [0.06, 0.10]},
    3: {"question": "colour + shape", "target": [1, 7], "distractors": [2, 6], "shapes": 4, "radius": [0.055, 0.085]},
    4: {"question": "colour + shape", "target": [1, 8], "distractors": [4, 7], "shapes": 4, "radius": [0.05, 0.07]},
    5: {"question": "colour + shape", "target": [1, 9], "distractors": [5, 7], "shapes": 4, "radius": [0.045, 0.06]},
}
# the partial reading a policy can answer from without telling the shapes apart (levels 2–5, which have distractors)
SHORTCUT = "how many shapes the image holds, whatever their kind or colour"
SHAPE_ORDER = ["circle", "square", "triangle", "star"]


@register
class Count:
    name, kind, knobs = "count", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        shapes = SHAPE_ORDER[: k["shapes"]]
        target = rng.randint(*k["target"])
        lo, hi = k["radius"]
        if level == 1:
            specs = [(rng.choice(shapes), rng.choice(COLOR_NAMES)) for _ in range(target)]
            ask = None
        else:
            ts = rng.choice(shapes)
            tc = rng.choice(COLOR_NAMES) if level >= 3 else None
            specs = [(ts, tc or rng.choice(COLOR_NAMES)) for _ in range(target)]
            for _ in range(rng.randint(*k["distractors"])):
                specs.append(self._distractor(rng, ts, tc, shapes))
            ask = (ts, tc)
        radii = [rng.uniform(lo, hi) for _ in specs]
        pos = sc.place_grid(rng, radii) if k.get("layout") == "grid" else sc.place(rng, radii, gap=0.025)
        if pos is None:
            return None
        objs = [sc.Obj(s, c, x, y, r) for (s, c), (x, y), r in zip(specs, pos, radii)]
        rng.shuffle(objs)
        question, reasoning = self._text(objs, ask, target)
        if k.get("layout") == "grid":  # count row by row, then add: a chain a sampler can get wrong step by step
            rows = [sum(int(o.y * 4) == r for o in objs) for r in range(4)]
            reasoning = f"Rows: {', '.join(map(str, rows))}. {' + '.join(map(str, rows))} = {target}."
        lo_ans, hi_ans = k["target"]
        return Puzzle(state={"objects": sc.obj_state(objs, lo, hi)},
                      question=question, answer=str(target), answer_type="integer", verifier="integer",
                      reasoning=reasoning, scene=objs,
                      distractors=[str(v) for v in range(max(0, lo_ans - 1), hi_ans + 2) if v != target],
                      meta={"question_type": "all" if ask is None else ("shape" if ask[1] is None else "color_shape"),
                            "n_objects": len(objs),
                            **({} if ask is None else {"shortcut": str(len(objs)), "shortcut_what": SHORTCUT})})

    @staticmethod
    def _distractor(rng: random.Random, ts: str, tc: str | None, shapes: list[str]) -> tuple[str, str]:
        """A shape that is not a target: shares the colour or the shape with it when possible."""
        others = [s for s in shapes if s != ts]
        if tc is None:
            return rng.choice(others), rng.choice(COLOR_NAMES)
        if rng.random() < 0.5:
            return ts, rng.choice([c for c in COLOR_NAMES if c != tc])
        return rng.choice(others), rng.choice(COLOR_NAMES)

    @staticmethod
    def _text(objs: list[sc.Obj], ask, target: int) -> tuple[str, str]:
        by_shape = {s: sum(o.shape == s for o in objs) for s in SHAPE_ORDER}
        seen = [f"{n} {plural(s, n)}" for s, n in by_shape.items() if n]
        if ask is None:
            nums = [str(n) for n in by_shape.values() if n]
            total = " + ".join(nums) + f" = {target}" if len(nums) > 1 else f"Total: {target}"
            return "How many shapes are in the image?", f"I see {sc.join_words(seen)}. {total}."
        ts, tc = ask
        if tc is None:
            return (f"How many {plural(ts, 2)} are in the image?",
                    f"I see {sc.join_words(seen)}. Only {plural(ts, 2)} count: {target}.")
        rest = len(objs) - target
        are = f"is a {tc} {ts}" if target == 1 else f"are {tc} {plural(ts, target)}"
        return (f"How many {tc} {plural(ts, 2)} are in the image?",
                f"I see {len(objs)} shapes. {target} of them {are}; the other {rest} differ in color or "
                f"shape. So {target}.")

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        objs = pz.scene
        reason = sc.check_objects(objs, view)
        if reason:
            return Rendered(None, reason)
        image = sc.draw_objects(objs, view.size).image()
        if not sc.pixel_count_ok(image, view, len(objs)):
            return Rendered(None, "pixel_count")
        return Rendered(image)
