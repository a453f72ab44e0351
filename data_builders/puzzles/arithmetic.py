"""`arithmetic`: numbers drawn in the image, combined by a rule the question names (sum, difference, product,
sums by colour).

Difficulty raises how many numbers and how large, unlocks product and colour-filtered questions (distractor
numbers of another colour), shrinks the font and rotates the numbers. Legibility: every number's cap height,
its contrast with the background and the gaps between numbers are checked in model pixels.
"""

from __future__ import annotations

import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import COLORS, Canvas, WHITE
from ..fonts import cap_height

KNOBS = {
    1: {"numbers": 2, "max_value": 9, "ops": ["sum"], "font": 0.22, "rotation": 0},
    2: {"numbers": 2, "max_value": 20, "ops": ["sum", "difference"], "font": 0.18, "rotation": 0},
    3: {"numbers": 3, "max_value": 20, "ops": ["sum3", "product"], "font": 0.15, "rotation": 10},
    4: {"numbers": 4, "max_value": 20, "ops": ["sum_color"], "font": 0.13, "rotation": 15},
    5: {"numbers": 5, "max_value": 30, "ops": ["sum_color", "diff_color"], "font": 0.115, "rotation": 20},
}
FONTS = ["DejaVuSans-Bold", "DejaVuSerif-Bold", "DejaVuSans", "STIXGeneralBol", "DejaVuSansMono-Bold"]
INKS = [c for c in COLORS if vis.contrast(COLORS[c], WHITE) >= 3.0]  # yellow on white is too faint for digits


@register
class Arithmetic:
    name, kind, knobs = "arithmetic", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        op = rng.choice(k["ops"])
        top = k["max_value"]
        colors = rng.sample(INKS, 2)
        if op == "sum":
            s = rng.randint(2, 2 * top)
            a = rng.randint(max(1, s - top), min(top, s - 1))
            nums = [(a, rng.choice(INKS)), (s - a, rng.choice(INKS))]
        elif op == "difference":
            d = rng.randint(1, top - 1)
            b = rng.randint(1, top - d)
            nums = [(b + d, rng.choice(INKS)), (b, rng.choice(INKS))]
        elif op == "product":
            nums = [(rng.randint(2, 9), rng.choice(INKS)), (rng.randint(2, 9), rng.choice(INKS))]
        elif op == "sum3":
            nums = [(rng.randint(1, top), rng.choice(INKS)) for _ in range(3)]
        else:  # sum_color / diff_color: two colours, the question filters by colour
            n_a = rng.randint(2, k["numbers"] - 2) if op == "diff_color" else rng.randint(2, k["numbers"] - 1)
            nums = [(rng.randint(1, top), colors[0]) for _ in range(n_a)]
            nums += [(rng.randint(1, top), colors[1]) for _ in range(k["numbers"] - n_a)]
        question, answer, reasoning = self._solve(op, nums, colors)
        rng.shuffle(nums)
        font = rng.choice(FONTS)
        angles = [rng.uniform(-k["rotation"], k["rotation"]) for _ in nums]
        state = {"numbers": sorted([v, c] for v, c in nums)}
        return Puzzle(state=state, question=question, answer=str(answer), answer_type="integer", verifier="integer",
                      reasoning=reasoning, scene=(nums, font, k["font"], angles),
                      distractors=[str(answer + d) for d in (-3, -2, -1, 1, 2, 3)],
                      meta={"question_type": op, "n_numbers": len(nums)})

    @staticmethod
    def _solve(op, nums, colors):
        vals = [v for v, _ in nums]
        if op == "sum":
            return ("What is the sum of the two numbers in the image?", sum(vals),
                    f"The numbers are {vals[0]} and {vals[1]}. {vals[0]} + {vals[1]} = {sum(vals)}.")
        if op == "difference":
            a, b = vals
            return ("What is the larger number in the image minus the smaller one?", a - b,
                    f"The numbers are {a} and {b}. {a} - {b} = {a - b}.")
        if op == "product":
            a, b = vals
            return ("What is the product of the two numbers in the image?", a * b,
                    f"The numbers are {a} and {b}. {a} × {b} = {a * b}.")
        if op == "sum3":
            return ("What is the sum of all the numbers in the image?", sum(vals),
                    f"The numbers are {', '.join(map(str, vals))}. {' + '.join(map(str, vals))} = {sum(vals)}.")
        a = [v for v, c in nums if c == colors[0]]
        b = [v for v, c in nums if c == colors[1]]
        sa = f"{' + '.join(map(str, a))} = {sum(a)}"
        if op == "sum_color":
            return (f"What is the sum of the {colors[0]} numbers in the image?", sum(a),
                    f"The {colors[0]} numbers are {', '.join(map(str, a))}; the {colors[1]} ones do not count. {sa}.")
        sb = f"{' + '.join(map(str, b))} = {sum(b)}"
        return (f"What is the sum of the {colors[0]} numbers minus the sum of the {colors[1]} numbers?",
                sum(a) - sum(b), f"{colors[0].capitalize()}: {sa}. {colors[1].capitalize()}: {sb}. "
                f"{sum(a)} - {sum(b)} = {sum(a) - sum(b)}.")

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        nums, font, height, angles = pz.scene
        if height * cap_height(font) * view.model_side < vis.MIN_TEXT_HEIGHT:
            return Rendered(None, "text_height")
        c = Canvas(view.size)
        boxes = []
        gap = vis.MIN_GAP / view.model_side + 0.02
        for (v, color), angle in zip(nums, angles):
            w, h = c.text_size(str(v), font, height, angle)
            for _ in range(50):
                x, y = rng.uniform(0.04 + w / 2, 0.96 - w / 2), rng.uniform(0.04 + h / 2, 0.96 - h / 2)
                if all(abs(x - bx) > (w + bw) / 2 + gap or abs(y - by) > (h + bh) / 2 + gap
                       for bx, by, bw, bh in boxes):
                    boxes.append((x, y, w, h))
                    break
            else:
                return Rendered(None, "placement")
        for (v, color), angle, (x, y, _, _) in zip(nums, angles, boxes):
            c.rotated_text(x, y, str(v), font, height, COLORS[color], angle)
        return Rendered(c.image())
