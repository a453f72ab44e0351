"""`gauge`: read the value a dial gauge's red needle points to.

The scale sweeps 270° clockwise from the lower left; major ticks carry labels, minor ticks do not, and the needle
always rests on a tick. Difficulty: needle on a label (level 1) → on a minor tick → other scale ranges → several
minor ticks per label → scales that start below or above zero plus a grey distractor needle. Legibility: minor
tick spacing along the arc, needle and tick strokes, label cap height (all in model pixels) and labels that do not
collide along the arc.
"""

from __future__ import annotations

import math
import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _kit

KNOBS = {
    1: {"scales": [[0, 100, 20, 20]], "distractor": False},
    2: {"scales": [[0, 100, 20, 10], [0, 50, 10, 5]], "distractor": False},
    3: {"scales": [[0, 50, 10, 5], [0, 200, 40, 20], [0, 500, 100, 50]], "distractor": False},
    4: {"scales": [[0, 50, 10, 2], [0, 100, 20, 5], [0, 200, 40, 10], [0, 500, 100, 25]], "distractor": False},
    5: {"scales": [[-20, 80, 20, 5], [20, 120, 20, 5], [-40, 60, 20, 4], [40, 140, 20, 4]], "distractor": True},
}  # each scale: [low, high, label step, tick step]
CX, CY, R = 0.5, 0.54, 0.31
START, SWEEP = -135.0, 270.0
LABEL_R = R + 0.1   # labels outside the face: the needle never hides one
RED, GREY, INK = (215, 35, 35), (150, 150, 150), (30, 30, 30)
FACES = [(245, 245, 240), (232, 240, 250), (250, 240, 222), (236, 248, 236)]   # nuisance: face and bezel colours
BEZELS = [(30, 30, 30), (40, 60, 110), (90, 60, 40)]


def point(angle: float, r: float) -> tuple[float, float]:
    a = math.radians(angle)
    return CX + r * math.sin(a), CY - r * math.cos(a)


def angle_of(v: float, lo: int, hi: int) -> float:
    return START + SWEEP * (v - lo) / (hi - lo)


@register
class Gauge:
    name, kind, knobs = "gauge", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        lo, hi, major, minor = rng.choice(KNOBS[level]["scales"])
        value = rng.randrange(lo, hi + 1, minor)
        other = None
        if KNOBS[level]["distractor"]:
            other = rng.choice([v for v in range(lo, hi + 1, minor) if abs(v - value) >= 2 * minor])
        look = [rng.randrange(len(FACES)), rng.randrange(len(BEZELS))]
        return self.puzzle((lo, hi, major, minor), value, other, look)

    def puzzle(self, scale: tuple, value: int, other: int | None, look: list[int]) -> Puzzle:
        lo, hi, major, minor = scale
        base = lo + (value - lo) // major * major
        ticks = (value - base) // minor
        if major == minor:
            reasoning = f"The needle is on a label: {value}."
            steps = _kit.steps(("label", value))
        else:
            extra = " The grey needle is not the red one." if other is not None else ""
            reasoning = (f"Last label passed: {base}. Ticks past it: {ticks}, each tick {minor}.{extra} "
                         f"{base} + {ticks} × {minor} = {value}.")
            steps = _kit.steps(("last label passed", base), ("ticks past it", ticks), ("each tick", minor))
        return Puzzle(state={"scale": [lo, hi, major, minor], "value": value, "other": other, "look": look},
                      question="What value does the red needle of the gauge point to?", answer=str(value),
                      answer_type="integer", verifier="integer", reasoning=reasoning,
                      scene={"scale": scale, "value": value, "other": other, "look": look},
                      distractors=[str(value + d * minor) for d in (-2, -1, 1, 2) if lo <= value + d * minor <= hi],
                      meta={"question_type": "read_gauge", "scale": f"{lo}..{hi}/{major}/{minor}",
                            "n_ticks": (hi - lo) // minor + 1},
                      steps=steps)

    def perturb(self, pz: Puzzle, rng: random.Random, level: int) -> tuple[Puzzle, str] | None:
        """Minimal pair: the red needle moves by one or two ticks."""
        lo, hi, major, minor = pz.scene["scale"]
        v = pz.scene["value"]
        if level == 1:  # level 1 needles rest on labels only
            nv = v + rng.choice([-1, 1]) * major
        else:
            nv = v + rng.choice([-2, -1, 1, 2]) * minor
        if not lo <= nv <= hi or nv == pz.scene["other"]:
            return None
        return self.puzzle(pz.scene["scale"], nv, pz.scene["other"], pz.scene["look"]), f"needle: {v} -> {nv}"

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        lo, hi, major, minor = pz.scene["scale"]
        a = angle_of(pz.scene["value"], lo, hi) - START
        text = (f"A dial with a scale from {lo} to {hi} over 270 degrees, labels every {major}, ticks every {minor}; "
                f"the red needle is {a:g} degrees past the {lo} mark.")
        if pz.scene["other"] is not None:
            text += f" A grey needle is {angle_of(pz.scene['other'], lo, hi) - START:g} degrees past it."
        return [text]

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        lo, hi, major, minor = pz.scene["scale"]
        side = view.model_side
        gap = math.radians(SWEEP * minor / (hi - lo)) * R * side
        if gap < 3 * vis.MIN_STROKE:
            return Rendered(None, "tick_spacing")
        h = _kit.TEXT_H
        if not _kit.text_ok(h, view):
            return Rendered(None, "text_height")
        label_gap = math.radians(SWEEP * major / (hi - lo)) * LABEL_R
        if max(_kit.text_width(str(v), h) for v in (lo, hi)) + 0.01 > label_gap:
            return Rendered(None, "label_overlap")
        c = Canvas(view.size)
        face, bezel = pz.scene["look"]
        c.ellipse(CX - R - 0.02, CY - R - 0.02, CX + R + 0.02, CY + R + 0.02, fill=FACES[face],
                  outline=BEZELS[bezel], width=0.012)
        for v in range(lo, hi + 1, minor):
            a = angle_of(v, lo, hi)
            is_major = (v - lo) % major == 0
            c.line([point(a, R - (0.06 if is_major else 0.035)), point(a, R)], fill=INK,
                   width=0.012 if is_major else 0.009)
            if is_major:
                x, y = point(a, LABEL_R)
                c.text(x, y, str(v), _kit.FONT, h, INK)
        if pz.scene["other"] is not None:
            c.line([(CX, CY), point(angle_of(pz.scene["other"], lo, hi), R * 0.8)], fill=GREY, width=0.014)
        c.line([(CX, CY), point(angle_of(pz.scene["value"], lo, hi), R * 0.88)], fill=RED, width=0.02)
        c.ellipse(CX - 0.03, CY - 0.03, CX + 0.03, CY + 0.03, fill=INK)
        return Rendered(c.image())
