"""`appear_count` (video): how many shapes appear after the first frame?

The first frame shows a few shapes; later frames add new ones (each stays once it is there), and from level 4
some shapes also vanish — so the answer is the number of appearances, not the change in the count. The answer is
drawn first (uniform over its range) and the clip built around it. Nothing moves. Difficulty: more frames, more
shapes, vanishing shapes (level 4 up), a free layout instead of one shape per cell of a 4 × 4 grid (level 1),
smaller shapes. At level 1 the clip shows two moments, two frames each: the new shapes all appear in frame 3, so
each moment fills one temporal patch of the model's video processor (which fuses frames two by two), and the
trace counts the first frame's shapes and the last frame's row by row of the grid (as `count` does):
`First: 1. Last by row: 1, 0, 1, 1. 1 + 0 + 1 + 1 = 3. 3 - 1 = 2.` At levels 2–3
(nothing vanishes) the trace gives the count in every frame and the last minus the first, `Counts: 1, 2, 2, 4.
4 - 1 = 3.`; at levels 4–5 the new shapes of every frame and their sum.
"""

from __future__ import annotations

import random

from ..core import Puzzle, Rendered, register
from ..draw import COLOR_NAMES
from ..puzzles import _scene as sc
from . import _clip

KNOBS = {
    1: {"frames": 4, "start": [1, 2], "appear": [0, 3], "vanish": [0, 0], "layout": "grid",
        "radius": [0.085, 0.1], "appear_at": 3},
    2: {"frames": 4, "start": [1, 3], "appear": [0, 3], "vanish": [0, 0], "layout": "free", "radius": [0.07, 0.09]},
    3: {"frames": 6, "start": [1, 3], "appear": [0, 4], "vanish": [0, 0], "layout": "free", "radius": [0.06, 0.08]},
    4: {"frames": 8, "start": [2, 4], "appear": [0, 5], "vanish": [1, 2], "layout": "free",
        "radius": [0.055, 0.075]},
    5: {"frames": 8, "start": [2, 4], "appear": [0, 6], "vanish": [1, 3], "layout": "free", "radius": [0.05, 0.065]},
}
SHAPES = ["circle", "square", "triangle"]


@register
class AppearCount:
    name, kind, knobs = "appear_count", "video", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n = k["frames"]
        answer = rng.randint(*k["appear"])
        start, vanish = rng.randint(*k["start"]), rng.randint(*k["vanish"])
        total = start + answer
        radii = [rng.uniform(*k["radius"]) for _ in range(total)]
        if k["layout"] == "grid":
            pos = _clip.grid_spots(rng, total, max(radii))
        else:
            pos = sc.place(rng, radii, gap=0.04)
            if pos is None:
                return None
        objs = [sc.Obj(rng.choice(SHAPES), rng.choice(COLOR_NAMES), x, y, r) for (x, y), r in zip(pos, radii)]
        if k.get("appear_at"):  # level 1: all new shapes appear together, in frame 3 (1-based)
            born = [0] * start + [k["appear_at"] - 1] * answer
        else:
            born = [0] * start + [rng.randint(1, n - 1) for _ in range(answer)]  # frame each shape appears in
        gone = [n] * total                                                  # frame each shape is gone from
        for i in rng.sample(range(start), min(vanish, start)):
            gone[i] = rng.randint(1, n - 1)
        frames = [[o for o, b, g in zip(objs, born, gone) if b <= t < g] for t in range(n)]
        if not frames[0] or any(not f for f in frames):
            return None
        new = [sum(b == t for b in born) for t in range(1, n)]
        lo, hi = k["radius"]
        return Puzzle(state={"frames": _clip.clip_state(frames, lo, hi)},
                      question="How many shapes appear after the first frame?", answer=str(answer),
                      answer_type="integer", verifier="integer",
                      reasoning=self._trace(frames, new, vanish > 0, frames[-1] if level == 1 else None),
                      scene=frames,
                      distractors=[str(v) for v in range(0, k["appear"][1] + 2) if v != answer],
                      meta={"question_type": "appearances", "n_frames": n, "n_objects": total})

    @staticmethod
    def _trace(frames: list[list[sc.Obj]], new: list[int], vanishing: bool, by_row: list[sc.Obj] | None) -> str:
        if by_row is not None:  # the last frame's shapes row by row of the grid (as `count` does), minus the first's
            rows = [sum(min(_clip.GRID - 1, int(o.y * _clip.GRID)) == r for o in by_row) for r in range(_clip.GRID)]
            first, last = len(frames[0]), sum(rows)
            return (f"First: {first}. Last by row: {', '.join(map(str, rows))}. {' + '.join(map(str, rows))} = "
                    f"{last}. {last} - {first} = {last - first}.")
        if not vanishing:
            counts = [len(f) for f in frames]
            return (f"Counts: {', '.join(map(str, counts))}. {counts[-1]} - {counts[0]} = "
                    f"{counts[-1] - counts[0]}.")
        return f"New per frame: {', '.join(map(str, new))}. {' + '.join(map(str, new))} = {sum(new)}."

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        frames = pz.scene
        reason = _clip.check_frames(frames, view)
        if reason:
            return Rendered(None, reason)
        images, reason = _clip.draw_frames(frames, view)
        return Rendered(images, reason)
