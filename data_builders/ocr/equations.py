"""`equations` (OCR + reasoning): read a rendered expression or equation and compute its value / solve for x.

Difficulty: one operation (+) → one of + − × → a linear equation `ax + b = c` → two operations with brackets →
`ax + b = cx + d` whose solution may be a fraction (scored by `math`). Integer answers use `integer`. The answer
is computed with exact fractions from the generator's own parameters; tests also re-evaluate the rendered text.
"""

from __future__ import annotations

import random
from fractions import Fraction

from .. import fonts
from ..core import Puzzle, Rendered, register
from . import _text as tx

KNOBS = {
    1: {"form": "a+b", "max": 20},
    2: {"form": "a op b", "max": 20},
    3: {"form": "ax+b=c", "max": 12},
    4: {"form": "(a op b) op c", "max": 15},
    5: {"form": "ax+b=cx+d", "max": 12},
}
FONTS = [f for f in fonts.SANS + fonts.SERIF if f not in ("cmr10", "cmss10")]
MINUS, TIMES = "\u2212", "\u00d7"


def _fmt(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def _signed(v: int) -> str:
    """' + 3' or ' − 3' (typographic minus)."""
    return f" + {v}" if v >= 0 else f" {MINUS} {-v}"


def _coef(a: int) -> str:
    return "x" if a == 1 else (f"{MINUS}x" if a == -1 else f"{a}x".replace("-", MINUS))


@register
class Equations:
    name, kind, knobs = "equations", "ocr", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        made = getattr(self, f"_level{level}")(rng, k["max"])
        if made is None:
            return None
        text, value, reasoning, solve = made
        style = tx.pick_style(rng, level, text, FONTS, align="center")
        if style is None:
            return None
        ans = _fmt(value)
        question = ("Solve the equation in the image for x." if solve else
                    "What is the value of the expression in the image?")
        verifier = "integer" if value.denominator == 1 and level <= 2 else "math"
        return Puzzle(state={"text": text}, question=question, answer=ans,
                      answer_type="integer" if value.denominator == 1 else "number", verifier=verifier,
                      reasoning=reasoning, scene=(text, style),
                      distractors=[_fmt(value + d) for d in (-2, -1, 1, 2, 3)],
                      meta={"question_type": "solve" if solve else "evaluate", "font": style.font,
                            "expression": text})

    @staticmethod
    def _level1(rng, top):
        a, b = rng.randint(1, top), rng.randint(1, top)
        return f"{a} + {b}", Fraction(a + b), f"The image shows {a} + {b}. {a} + {b} = {a + b}.", False

    @staticmethod
    def _level2(rng, top):
        op = rng.choice(["+", "-", "*"])
        a, b = rng.randint(2, top), rng.randint(2, top if op != "*" else 12)
        if op == "-" and a < b:
            a, b = b, a
        v = a + b if op == "+" else a - b if op == "-" else a * b
        sym = {"+": "+", "-": MINUS, "*": TIMES}[op]
        return f"{a} {sym} {b}", Fraction(v), f"The image shows {a} {sym} {b}. {a} {sym} {b} = {v}.", False

    @staticmethod
    def _level3(rng, top):
        a, x, b = rng.randint(2, 9), rng.randint(-top, top), rng.choice([v for v in range(-top, top + 1) if v])
        c = a * x + b
        text = f"{_coef(a)}{_signed(b)} = {c}".replace("-", MINUS)
        r = (f"The equation is {text}. {a}x = {c} - ({b}) = {c - b}, so x = {c - b} / {a} = {x}.")
        return text, Fraction(x), r, True

    @staticmethod
    def _level4(rng, top):
        a, b, c = rng.randint(2, top), rng.randint(2, top), rng.randint(2, 9)
        op1, op2 = rng.choice(["+", "-"]), rng.choice(["*", "+", "-"])
        inner = a + b if op1 == "+" else a - b
        v = inner * c if op2 == "*" else inner + c if op2 == "+" else inner - c
        s1 = "+" if op1 == "+" else MINUS
        s2 = {"*": TIMES, "+": "+", "-": MINUS}[op2]
        text = f"({a} {s1} {b}) {s2} {c}"
        return text, Fraction(v), f"First the bracket: {a} {s1} {b} = {inner}. Then {inner} {s2} {c} = {v}.", False

    @staticmethod
    def _level5(rng, top):
        a, c = rng.sample([v for v in range(-9, 10) if v not in (0,)], 2)
        b, d = (rng.choice([v for v in range(-top, top + 1) if v]) for _ in range(2))
        x = Fraction(d - b, a - c)
        text = f"{_coef(a)}{_signed(b)} = {_coef(c)}{_signed(d)}".replace("-", MINUS)
        r = (f"The equation is {text}. Move x terms left and numbers right: ({a} - ({c}))x = {d} - ({b}), "
             f"so {a - c}x = {d - b} and x = {_fmt(x)}.")
        return text, x, r, True

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        text, style = pz.scene
        if not tx.fits([text], style, view.size, 0.9):
            return Rendered(None, "fit")
        return tx.render_block(rng, [text], style, view)
