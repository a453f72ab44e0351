"""Small shared pieces of the reading/counting families (dice, cards, money, ruler, gauge, calendar, ...): text
sizes checked at the model's input size, step records for checkable traces, region names, money strings."""

from __future__ import annotations

import numpy as np

from .. import fonts
from .. import visibility as vis

FONT = "DejaVuSans"
TEXT_H = 0.085   # default label font size (canvas fraction): cap height 0.085 × 0.76 × 112 ≈ 7.2 model px (tiny model)
REGIONS = [["top left", "top", "top right"], ["left", "centre", "right"], ["bottom left", "bottom", "bottom right"]]


def text_ok(height: float, view, font: str = FONT) -> bool:
    """True when text of font size `height` (canvas fraction) keeps a cap height ≥ MIN_TEXT_HEIGHT model pixels."""
    return fonts.cap_height(font) * height * view.model_side >= vis.MIN_TEXT_HEIGHT


def text_width(s: str, height: float, font: str = FONT) -> float:
    """Advance width of `s` at font size `height`, as a canvas fraction."""
    return fonts.font(font, 100).getlength(s) / 100 * height


def steps(*pairs) -> list[dict[str, str]]:
    """Step records [{"name": ..., "value": ...}] of a trace, values as strings."""
    return [{"name": str(n), "value": str(v)} for n, v in pairs]


def region(x: float, y: float) -> str:
    """Name of the 3×3 region of the canvas that holds (x, y)."""
    return REGIONS[min(2, max(0, int(y * 3)))][min(2, max(0, int(x * 3)))]


def dollars(cents: int) -> str:
    """Canonical money string with two decimals: 135 → '1.35', -20 → '-0.20'."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def dark_blobs(image, view, threshold: int = 90) -> int:
    """Separate dark blobs (all channels under `threshold`) in the image as the processor resizes it."""
    arr = np.asarray(view.to_model(image).convert("RGB"))
    return vis.count_components((arr < threshold).all(axis=2))


def color_blobs(image, view, rgb, tol: int = 60) -> int:
    """Separate blobs of (about) colour `rgb` in the image as the processor resizes it."""
    arr = np.asarray(view.to_model(image).convert("RGB"), dtype=np.int16)
    return vis.count_components(np.abs(arr - np.asarray(rgb, dtype=np.int16)).max(axis=2) < tol)
