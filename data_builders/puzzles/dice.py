"""`dice`: add up the pips on drawn dice (all of them, or only the dice of one colour).

Dice sit one per cell of a small grid (reading order = cell order, so "die 2" is well defined) and are drawn from
the scene alone (no randomness at render time, so a minimal pair differs only in the changed die). Difficulty adds
dice, rotates them and, from level 4, colours them and asks for the pips on one colour only. Legibility: pip
diameter in model pixels, and an independent pixel count — the dark blobs of the processor-resized image must be
exactly the drawn pips — rejects any draw whose pips merge or vanish.
"""

from __future__ import annotations

import math
import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _kit

KNOBS = {
    1: {"dice": [2, 2], "grid": [2, 1], "side": 0.3, "rotation": 0, "colors": 1, "question": "sum"},
    2: {"dice": [2, 3], "grid": [2, 2], "side": 0.28, "rotation": 0, "colors": 1, "question": "sum"},
    3: {"dice": [3, 4], "grid": [2, 2], "side": 0.27, "rotation": 10, "colors": 1, "question": "sum"},
    4: {"dice": [4, 5], "grid": [3, 2], "side": 0.24, "rotation": 15, "colors": 2, "question": "color_sum"},
    5: {"dice": [5, 6], "grid": [3, 2], "side": 0.24, "rotation": 20, "colors": 3, "question": "color_sum"},
}
BODY = {"white": (250, 250, 248), "red": (242, 150, 150), "blue": (150, 182, 242)}
TABLE = (214, 204, 182)
EDGE = (150, 150, 150)
PIP = (20, 20, 20)
A = 0.28          # pip offset from the die centre (fraction of the side)
PIP_R = 0.085     # pip radius (fraction of the side)
LAYOUT = {1: [(0, 0)], 2: [(-1, -1), (1, 1)], 3: [(-1, -1), (0, 0), (1, 1)],
          4: [(-1, -1), (1, -1), (-1, 1), (1, 1)], 5: [(-1, -1), (1, -1), (0, 0), (-1, 1), (1, 1)],
          6: [(-1, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (1, 1)]}


def cell_centre(cell: int, grid: tuple[int, int]) -> tuple[float, float]:
    cols, rows = grid
    return (cell % cols + 0.5) / cols, (cell // cols + 0.5) / rows


@register
class Dice:
    name, kind, knobs = "dice", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        cols, rows = k["grid"]
        n = rng.randint(*k["dice"])
        cells = sorted(rng.sample(range(cols * rows), n))
        colors = list(BODY)[: k["colors"]]
        dice = []
        for cell in cells:
            cx, cy = cell_centre(cell, (cols, rows))
            rot = rng.choice(range(-k["rotation"], k["rotation"] + 1, 5)) if k["rotation"] else 0
            ext = k["side"] / 2 * (abs(math.cos(math.radians(rot))) + abs(math.sin(math.radians(rot))))
            room = max(0.0, min(0.5 / cols, 0.5 / rows) - ext - 0.015)
            dice.append({"cell": cell, "face": rng.randint(1, 6), "color": rng.choice(colors), "rot": rot,
                         "x": round(cx + rng.uniform(-room, room), 4), "y": round(cy + rng.uniform(-room, room), 4)})
        target = rng.choice(sorted({d["color"] for d in dice})) if k["question"] == "color_sum" else None
        return self.puzzle(dice, target, level)

    def puzzle(self, dice: list[dict], target: str | None, level: int) -> Puzzle:
        """The puzzle of a given scene (also used to build a minimal pair's variant)."""
        counted = [(i + 1, d["face"]) for i, d in enumerate(dice) if target is None or d["color"] == target]
        total = sum(f for _, f in counted)
        said = ", ".join(f"die {i}: {f}" for i, f in counted)
        said = said[0].upper() + said[1:]
        arith = f"{' + '.join(str(f) for _, f in counted)} = {total}" if len(counted) > 1 else f"Total {total}"
        if target is None:
            question = "How many pips are there on all the dice together?"
            reasoning = f"{said}. {arith}."
        else:
            question = f"How many pips are there on the {target} dice together?"
            reasoning = f"{target.capitalize()} dice: {said[0].lower() + said[1:]}. {arith}."
        state = {"grid": KNOBS[level]["grid"], "dice": sorted([d["cell"], d["face"], d["color"], d["rot"]]
                                                              for d in dice)}
        return Puzzle(state=state, question=question, answer=str(total), answer_type="integer", verifier="integer",
                      reasoning=reasoning, scene={"dice": dice, "target": target, "level": level},
                      distractors=[str(total + d) for d in (-2, -1, 1, 2, 3) if total + d > 0],
                      meta={"question_type": "sum" if target is None else "color_sum", "n_dice": len(dice),
                            "faces": " ".join(f"{d['color']}:{d['face']}" for d in dice)},
                      steps=_kit.steps(*((f"die {i}", f) for i, f in counted)))

    sealed_rule = ("two_sixes", "at least two dice show six pips")

    @staticmethod
    def sealed(state) -> bool:
        return sum(d[1] == 6 for d in state["dice"]) >= 2

    def perturb(self, pz: Puzzle, rng: random.Random, level: int) -> tuple[Puzzle, str] | None:
        """Minimal pair: one counted die shows another face (the answer changes by the difference)."""
        sc = pz.scene
        dice = [dict(d) for d in sc["dice"]]
        idx = [i for i, d in enumerate(dice) if sc["target"] is None or d["color"] == sc["target"]]
        i = rng.choice(idx)
        old = dice[i]["face"]
        dice[i]["face"] = rng.choice([f for f in range(1, 7) if f != old])
        return self.puzzle(dice, sc["target"], level), f"die {i + 1}: {old} -> {dice[i]['face']} pips"

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        faces = ", ".join(f"{d['color']} {d['face']}" for d in pz.scene["dice"])
        return [f"Dice in reading order: {faces}."]

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        level = pz.scene["level"]
        side = KNOBS[level]["side"]
        if 2 * PIP_R * side * view.model_side < 4.0:
            return Rendered(None, "pip_size")
        c = Canvas(view.size, background=TABLE)
        for d in pz.scene["dice"]:
            self._draw_die(c, d, side)
        image = c.image()
        if _kit.dark_blobs(image, view) != sum(d["face"] for d in pz.scene["dice"]):
            return Rendered(None, "pixel_count")
        return Rendered(image)

    @staticmethod
    def _draw_die(c: Canvas, d: dict, side: float) -> None:
        a = math.radians(d["rot"])
        ca, sa = math.cos(a), math.sin(a)

        def at(u: float, v: float) -> tuple[float, float]:
            return d["x"] + (u * ca - v * sa) * side, d["y"] + (u * sa + v * ca) * side
        corners = [at(u, v) for u, v in ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5))]
        c.polygon(corners, fill=BODY[d["color"]], outline=EDGE, width=max(vis.MIN_STROKE / 112, 0.006))
        for u, v in LAYOUT[d["face"]]:
            x, y = at(u * A, v * A)
            r = PIP_R * side
            c.ellipse(x - r, y - r, x + r, y + r, fill=PIP)
