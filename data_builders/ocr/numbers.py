"""`numbers` (OCR): read a rendered number exactly — integers, thousands separators, decimals, signs, currency
and percentages; at level 5 the number of a named colour among distractor numbers.

Difficulty: more digits and richer formats, smaller font, rotation, background clutter and noise, then colour
distractors. Exact transcription (`ocr_exact`): "12,345" is not "12345".
"""

from __future__ import annotations

import random

from .. import fonts
from ..core import Puzzle, Rendered, register
from ..draw import COLORS
from . import _text as tx

KNOBS = {
    1: {"digits": [1, 3], "formats": ["plain"], "distractor_numbers": 0},
    2: {"digits": [4, 6], "formats": ["plain", "thousands"], "distractor_numbers": 0},
    3: {"digits": [3, 6], "formats": ["decimal", "negative", "currency", "percent"], "distractor_numbers": 0},
    4: {"digits": [6, 9], "formats": ["thousands", "decimal", "currency", "negative"], "distractor_numbers": 0},
    5: {"digits": [3, 6], "formats": ["thousands", "decimal", "currency", "percent"], "distractor_numbers": 2},
}
FONTS = fonts.SANS + fonts.SERIF + fonts.MONO
NAMED_INKS = {name: COLORS[name] for name in ("red", "blue", "green", "black", "purple")}


def make_number(rng: random.Random, digits: int, fmt: str) -> str:
    """A number string of `digits` significant digits in format `fmt` (no leading zeros)."""
    n = rng.randint(10 ** (digits - 1), 10 ** digits - 1)
    if fmt == "plain":
        return str(n)
    if fmt == "thousands":
        return f"{n:,}"
    if fmt in ("decimal", "currency", "percent"):
        places = 2 if fmt == "currency" else rng.randint(1, min(2, digits - 1))
        s = f"{n / 10 ** places:,.{places}f}" if fmt == "currency" else f"{n / 10 ** places:.{places}f}"
        return "$" + s if fmt == "currency" else s + ("%" if fmt == "percent" else "")
    if fmt == "negative":
        return f"-{n:,}" if digits > 4 else f"-{n}"
    raise ValueError(fmt)


@register
class Numbers:
    name, kind, knobs = "numbers", "ocr", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        fmt = rng.choice(k["formats"])
        text = make_number(rng, rng.randint(*k["digits"]), fmt)
        others = [make_number(rng, rng.randint(*k["digits"]), fmt) for _ in range(k["distractor_numbers"])]
        if text in others:
            return None
        color = None
        if others:
            color, *other_colors = rng.sample(list(NAMED_INKS), 1 + len(others))
            style = tx.pick_style(rng, level, text + "".join(others), FONTS, ink=NAMED_INKS[color], align="center")
        else:
            style = tx.pick_style(rng, level, text, FONTS, align="center")
            other_colors = []
        if style is None:
            return None
        question = (f"What is the {color} number in the image? Copy it exactly." if color else
                    "What number is shown in the image? Copy it exactly as written.")
        reasoning = (f"There are {1 + len(others)} numbers; the {color} one reads {' '.join(text)}. So {text}."
                     if color else f"The characters are {' '.join(text)}. So the number is {text}.")
        distractors = sorted(set(others) | {make_number(rng, rng.randint(*k["digits"]), fmt) for _ in range(5)}
                             - {text})
        return Puzzle(state={"numbers": sorted([[t, c] for t, c in [(text, color), *zip(others, other_colors)]], key=str)},
                      question=question, answer=text, answer_type="text", verifier="ocr_exact",
                      reasoning=reasoning, scene=(text, style, list(zip(others, other_colors))),
                      distractors=distractors, meta={"question_type": "read_color" if color else "read",
                                                     "font": style.font, "format": fmt})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        text, style, others = pz.scene
        if not tx.fits([text], style, view.size, 0.8):
            return Rendered(None, "fit")

        def add_others(im, rng_, box):
            taken = [box]
            for other, color in others:
                mask, _ = tx.text_mask([other], style, view.size)
                if not tx.paste_apart(im, rng_, mask, NAMED_INKS[color], taken):
                    return "placement"
            return None
        return tx.render_block(rng, [text], style, view, extra=add_others if others else None)
