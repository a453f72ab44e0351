"""`balance`: a beam on a pivot with labelled weights hanging at marks — which side goes down (`left`, `right` or
`neither`), or what mass at the first mark of the lighter side would level it.

Turning effect = mass × distance (marks from the pivot). The side answer is drawn first (a third of the beams
balance), the weights are redrawn until they agree. Difficulty: one weight a side at equal marks → different marks →
two weights a side → three, and from level 4 also the mass question. Legibility: label cap height, the space between
neighbouring boxes and the mark strokes, in model pixels.
"""

from __future__ import annotations

import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _kit

KNOBS = {
    1: {"per_side": [1, 1], "marks": 3, "same_mark": True, "questions": ["side"]},
    2: {"per_side": [1, 1], "marks": 3, "same_mark": False, "questions": ["side"]},
    3: {"per_side": [1, 2], "marks": 4, "same_mark": False, "questions": ["side"]},
    4: {"per_side": [2, 2], "marks": 4, "same_mark": False, "questions": ["side", "mass"]},
    5: {"per_side": [2, 3], "marks": 4, "same_mark": False, "questions": ["side", "mass"]},
}
SIDES = ["left", "right", "neither"]
BEAM_Y, HALF = 0.36, 0.44          # beam height and half length (canvas fractions)
BOX_W, BOX_H = 0.08, 0.1
BOX, BEAM, PIVOT, INK = (120, 150, 200), (150, 105, 60), (90, 90, 90), (25, 25, 25)


def torque(weights: list[list], side: str) -> int:
    return sum(mass * mark for s, mark, mass in weights if s == side)


@register
class Balance:
    name, kind, knobs = "balance", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        q = rng.choice(k["questions"])
        want = rng.choice(SIDES if q == "side" else ["left", "right"])
        for _ in range(50):
            weights = []
            shared = rng.randint(1, k["marks"])
            for side in ("left", "right"):
                marks = rng.sample(range(1, k["marks"] + 1), rng.randint(*k["per_side"]))
                weights += [[side, shared if k["same_mark"] else m, rng.randint(1, 9)] for m in marks]
            tl, tr = torque(weights, "left"), torque(weights, "right")
            if SIDES[0 if tl > tr else 1 if tr > tl else 2] == want:
                return self.puzzle(sorted(weights), q)
        return None

    def puzzle(self, weights: list[list], q: str) -> Puzzle | None:
        tl, tr = torque(weights, "left"), torque(weights, "right")
        side = "left" if tl > tr else "right" if tr > tl else "neither"
        terms = {s: " + ".join(f"{mass} × {mark}" for w_s, mark, mass in weights if w_s == s)
                 for s in ("left", "right")}
        said = f"Left: {terms['left']} = {tl}. Right: {terms['right']} = {tr}."
        if q == "side":
            cmp = f"{max(tl, tr)} > {min(tl, tr)}, so {side}." if side != "neither" else "Equal, so neither."
            question, answer, verifier = "Which side of the beam goes down? Answer with one word.", side, "exact"
            reasoning, distractors = f"{said} {cmp}", [s for s in SIDES if s != side] + ["both sides"]
        else:
            if side == "neither":
                return None
            need = abs(tl - tr)
            question = "What mass, hung at the first mark of the lighter side, would make the beam balance?"
            answer, verifier = str(need), "integer"
            reasoning = f"{said} Needed at the first mark: {max(tl, tr)} - {min(tl, tr)} = {need}."
            distractors = [str(need + d) for d in (-2, -1, 1, 2, 3) if need + d > 0]
        return Puzzle(state={"weights": weights}, question=question, answer=answer,
                      answer_type="text" if verifier == "exact" else "integer", verifier=verifier,
                      reasoning=reasoning, scene={"weights": weights, "q": q}, distractors=distractors,
                      meta={"question_type": q, "n_weights": len(weights),
                            "weights": " ".join(f"{s}:{mark}:{mass}" for s, mark, mass in weights)},
                      steps=_kit.steps(("left", tl), ("right", tr)))

    def perturb(self, pz: Puzzle, rng: random.Random, level: int) -> tuple[Puzzle, str] | None:
        """Minimal pair: one weight moves to a free neighbouring mark or changes its mass by one, so the answer
        changes."""
        weights = [list(w) for w in pz.scene["weights"]]
        i = rng.randrange(len(weights))
        s, mark, mass = weights[i]
        taken = {w[1] for w in weights if w[0] == s}
        if rng.random() < 0.5 and not KNOBS[level]["same_mark"]:
            free = [m for m in (mark - 1, mark + 1) if 1 <= m <= KNOBS[level]["marks"] and m not in taken]
            if not free:
                return None
            weights[i][1] = rng.choice(free)
            change = f"{s} {mass} kg moved from mark {mark} to mark {weights[i][1]}"
        else:
            weights[i][2] = mass + rng.choice([d for d in (-1, 1) if 1 <= mass + d <= 9])
            change = f"{s} weight at mark {mark}: {mass} -> {weights[i][2]} kg"
        new = self.puzzle(sorted(weights), pz.scene["q"])
        return None if new is None or new.answer == pz.answer else (new, change)

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        parts = []
        for side in ("left", "right"):
            ws = ", ".join(f"{mass} kg at mark {mark}" for s, mark, mass in pz.scene["weights"] if s == side)
            parts.append(f"{side.capitalize()} of the pivot: {ws}.")
        return parts

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        marks = max(KNOBS[lv]["marks"] for lv in KNOBS)
        gap = HALF / marks
        h = _kit.TEXT_H
        if not _kit.text_ok(h, view):
            return Rendered(None, "text_height")
        if (gap - BOX_W) * view.model_side < vis.MIN_GAP or 0.01 * view.model_side < vis.MIN_STROKE:
            return Rendered(None, "box_gap")
        c = Canvas(view.size)
        c.polygon([(0.5, BEAM_Y + 0.015), (0.44, BEAM_Y + 0.13), (0.56, BEAM_Y + 0.13)], fill=PIVOT)
        c.rect(0.5 - HALF - 0.02, BEAM_Y - 0.015, 0.5 + HALF + 0.02, BEAM_Y + 0.015, fill=BEAM)
        for m in range(1, marks + 1):
            for sign in (-1, 1):
                x = 0.5 + sign * m * gap
                c.line([(x, BEAM_Y - 0.05), (x, BEAM_Y - 0.018)], fill=INK, width=0.01)
        for s, mark, mass in pz.scene["weights"]:
            x = 0.5 + (-1 if s == "left" else 1) * mark * gap
            top = BEAM_Y + 0.2 + (0.06 if mark % 2 else 0.0)
            c.line([(x, BEAM_Y + 0.015), (x, top)], fill=INK, width=0.006)
            c.rect(x - BOX_W / 2, top, x + BOX_W / 2, top + BOX_H, fill=BOX)
            c.text(x, top + BOX_H / 2, str(mass), _kit.FONT, h, INK)
        return Rendered(c.image())
