"""Matched versions of one state: the puzzle as its image, as text only, and as that text rendered into an image.

All three rows share the question stem, the answer, the verifier and the state; only the modality differs. The text
is the family's `describe(pz)` (what the picture shows, in words — never the reasoning). The text image is drawn
plainly (level-1 look: plain paper, no rotation, no noise) at the smallest legible size, word-wrapped; when the
description does not fit the canvas at the model's input size, the draw is rejected (counted as
`visibility:text_image_fit`; a larger --max-pixels fits longer descriptions).
"""

from __future__ import annotations

import random

from ..core import Rendered
from ..ocr import _text as tx

MODALITIES = ("image", "text", "text_image")
TEXT_FONT = "DejaVuSans"


def text_question(stem: str, description: list[str]) -> str:
    return "A picture, described in words:\n" + "\n".join(description) + "\n" + stem


def text_image_question(stem: str) -> str:
    return "The image describes a picture in words. " + stem


def render_text_image(description: list[str], rng: random.Random, view) -> Rendered:
    """The description drawn as plain text, wrapped to the canvas; rejected when it does not fit legibly."""
    style = tx.pick_style(rng, 1, " ".join(description), [TEXT_FONT])
    if style is None:
        return Rendered(None, "text_image_font")
    style.size, style.angle, style.paper, style.ink = 0.086, 0.0, (255, 255, 255), (20, 20, 20)
    lines: list[str] = []
    for paragraph in description:
        wrapped = tx.wrap(paragraph.split(), style, view.size, max_lines=40, max_width=0.94)
        if wrapped is None:
            return Rendered(None, "text_image_fit")
        lines += wrapped
    rendered = tx.render_block(rng, lines, style, view)
    return Rendered(None, "text_image_fit") if rendered.reject == "fit" else rendered
