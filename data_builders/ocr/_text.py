"""Rendering text as an image for the OCR families: fonts (glyph coverage checked), size, rotation, backgrounds,
clutter and noise, with the legibility checks done in model pixels.

`TextStyle` holds everything random about the look (never part of an item's state: the state of an OCR item is
its content, so heldout texts are texts the training split never shows, in any font); `render_block` lays out lines, rotates them, pastes them onto
a background and rejects the draw when the cap height after the processor's resize is under MIN_TEXT_HEIGHT, when
the block does not fit, or when the text's contrast with the background under it is under MIN_CONTRAST.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageStat

from .. import fonts
from .. import visibility as vis
from ..core import Rendered

INKS = [(20, 20, 20), (25, 40, 120), (110, 20, 20), (20, 80, 40), (70, 20, 90)]
PAPERS = [(255, 255, 255), (250, 246, 232), (236, 243, 250), (244, 240, 246), (238, 246, 236)]
SANS_LIKE = {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "cmss10"}

# per level: font size range (canvas fraction of the em), rotation (deg), background kind, noise sigma
LOOK = {
    1: {"size": (0.15, 0.19), "rotation": 0, "background": "plain", "noise": 0},
    2: {"size": (0.12, 0.15), "rotation": 5, "background": "paper", "noise": 0},
    3: {"size": (0.105, 0.13), "rotation": 10, "background": "gradient", "noise": 4},
    4: {"size": (0.095, 0.115), "rotation": 12, "background": "clutter", "noise": 6},
    5: {"size": (0.088, 0.1), "rotation": 15, "background": "busy", "noise": 8},
}


@dataclass
class TextStyle:
    font: str
    size: float          # em size as a fraction of the canvas side
    ink: tuple
    paper: tuple
    angle: float
    background: str
    noise: float
    align: str = "left"
    line_gap: float = 1.25


def ambiguous(text: str, font: str) -> bool:
    """Glyph pairs a reader cannot tell apart in this font: capital I vs lowercase l in sans fonts."""
    return font in SANS_LIKE and "I" in text and not text.replace("I", "").isupper() and any(
        c.islower() for c in text)


def pick_style(rng: random.Random, level: int, text: str, candidates: list[str], size_scale: float = 1.0,
               ink=None, align: str = "left") -> TextStyle | None:
    """A random look for `text` at `level` from fonts that cover every glyph; None when no font qualifies."""
    usable = [f for f in fonts.fonts_for(text, candidates) if not ambiguous(text, f)]
    if not usable:
        return None
    look = LOOK[level]
    return TextStyle(font=rng.choice(usable), size=rng.uniform(*look["size"]) * size_scale,
                     ink=ink or rng.choice(INKS), paper=PAPERS[0] if level == 1 else rng.choice(PAPERS),
                     angle=rng.uniform(-look["rotation"], look["rotation"]), background=look["background"],
                     noise=look["noise"], align=align)


def background(rng: random.Random, size: int, style: TextStyle) -> Image.Image:
    """Plain paper, a soft gradient, or paper with light clutter (lines, blobs) that never hides the text."""
    im = Image.new("RGB", (size, size), style.paper)
    if style.background in ("plain", "paper"):
        return im
    d = ImageDraw.Draw(im)
    if style.background == "gradient":
        tint = tuple(max(0, c - rng.randint(10, 30)) for c in style.paper)
        for y in range(size):
            t = y / size
            d.line([(0, y), (size, y)], fill=tuple(round(a * (1 - t) + b * t) for a, b in zip(style.paper, tint)))
        return im
    n = 8 if style.background == "clutter" else 18
    for _ in range(n):
        col = tuple(max(0, c - rng.randint(20, 45)) for c in style.paper)
        x0, y0 = rng.uniform(0, size), rng.uniform(0, size)
        if rng.random() < 0.5:
            d.line([(x0, y0), (rng.uniform(0, size), rng.uniform(0, size))], fill=col, width=max(1, size // 120))
        else:
            r = rng.uniform(size * 0.03, size * 0.12)
            d.ellipse((x0 - r, y0 - r, x0 + r, y0 + r), fill=col)
    return im


def layout(lines: list[str], style: TextStyle, size: int) -> tuple[Image.Image, float]:
    """The lines drawn white-on-black into a mask (unrotated), and the font's cap height in image pixels."""
    f = fonts.font(style.font, round(style.size * size))
    asc, desc = f.getmetrics()
    step = round((asc + desc) * style.line_gap * 0.85)
    widths = [f.getlength(line) for line in lines]
    w = int(max(widths)) + 8
    h = step * (len(lines) - 1) + asc + desc + 8
    mask = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(mask)
    for i, (line, lw) in enumerate(zip(lines, widths)):
        x = 4 + ((w - 8 - lw) / 2 if style.align == "center" else 0)
        d.text((x, 4 + i * step), line, font=f, fill=255)
    return mask, fonts.cap_height(style.font) * round(style.size * size)


def fits(lines: list[str], style: TextStyle, size: int, max_width: float = 0.92) -> bool:
    f = fonts.font(style.font, round(style.size * size))
    return max(f.getlength(line) for line in lines) <= max_width * size


def text_mask(lines: list[str], style: TextStyle, size: int) -> tuple[Image.Image, float]:
    """`layout`, rotated by the style's angle."""
    mask, cap_px = layout(lines, style, size)
    if style.angle:
        mask = mask.rotate(style.angle, resample=Image.BICUBIC, expand=True)
    return mask, cap_px


def paste_apart(im: Image.Image, rng: random.Random, mask: Image.Image, ink, taken: list[tuple], gap: int = 6) -> bool:
    """Paste `ink` through `mask` at a random spot that keeps `gap` pixels from every box in `taken`."""
    size = im.width
    for _ in range(40):
        x = rng.randint(4, max(4, size - 4 - mask.width))
        y = rng.randint(4, max(4, size - 4 - mask.height))
        b = (x, y, x + mask.width, y + mask.height)
        if all(b[2] + gap < p[0] or p[2] + gap < b[0] or b[3] + gap < p[1] or p[3] + gap < b[1] for p in taken):
            im.paste(Image.new("RGB", mask.size, ink), (x, y), mask)
            taken.append(b)
            return True
    return False


def render_block(rng: random.Random, lines: list[str], style: TextStyle, view, extra=None) -> Rendered:
    """Draw `lines` in `style` somewhere on the canvas; `extra(image, rng, occupied_box)` may add distractors."""
    size = view.size
    mask, cap_px = text_mask(lines, style, size)
    if cap_px * view.scale < vis.MIN_TEXT_HEIGHT:
        return Rendered(None, "text_height")
    margin = max(2, size // 40)
    if mask.width > size - 2 * margin or mask.height > size - 2 * margin:
        return Rendered(None, "fit")
    x = rng.randint(margin, size - margin - mask.width)
    y = rng.randint(margin, size - margin - mask.height)
    im = background(rng, size, style)
    if region_contrast(im, (x, y, x + mask.width, y + mask.height), style.ink) < vis.MIN_CONTRAST:
        return Rendered(None, "contrast")
    im.paste(Image.new("RGB", mask.size, style.ink), (x, y), mask)
    if extra is not None:
        reason = extra(im, rng, (x, y, x + mask.width, y + mask.height))
        if reason:
            return Rendered(None, reason)
    if style.noise:
        im = add_noise(im, rng, style.noise)
    return Rendered(im)


def region_contrast(im: Image.Image, box, ink) -> float:
    """Worse of the ink's contrast with the region's mean colour and with its darkest value per channel."""
    region = im.crop(box)
    mean = ImageStat.Stat(region).mean
    darkest = [lo for lo, _ in region.getextrema()]
    return min(vis.contrast(ink, mean), vis.contrast(ink, darkest))


@lru_cache(maxsize=1)
def _noise_field() -> np.ndarray:
    """A fixed field of standard-normal noise (seeded by a constant); items take random windows of it."""
    return np.random.default_rng(20261129).standard_normal((1024, 1024)).astype(np.float32)


def add_noise(im: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    """Grey Gaussian pixel noise: a window of the fixed noise field at an offset drawn from the item's RNG."""
    field = _noise_field()
    h, w = im.height, im.width
    if h > field.shape[0] or w > field.shape[1]:
        field = np.random.default_rng(rng.getrandbits(64)).standard_normal((h, w)).astype(np.float32)
    y, x = rng.randrange(field.shape[0] - h + 1), rng.randrange(field.shape[1] - w + 1)
    noise = (field[y:y + h, x:x + w] * sigma).astype(np.int16)[:, :, None]
    arr = np.asarray(im, dtype=np.int16) + noise
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def wrap(words: list[str], style: TextStyle, size: int, max_lines: int, max_width: float = 0.9) -> list[str] | None:
    """Greedy line wrapping at `max_width` of the canvas; None when the words need more than `max_lines`."""
    f = fonts.font(style.font, round(style.size * size))
    lines: list[str] = []
    for w in words:
        if lines and f.getlength(lines[-1] + " " + w) <= max_width * size:
            lines[-1] += " " + w
        else:
            lines.append(w)
    if len(lines) > max_lines or max(f.getlength(line) for line in lines) > max_width * size:
        return None
    return lines
