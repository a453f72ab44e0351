"""TrueType fonts shipped inside matplotlib, with a per-glyph coverage check and a cache of loaded faces.

A font "covers" a character only when its cmap maps the code point to the glyph of that name (matplotlib's
Computer Modern fonts map '<' to '¡' and '{' to an em dash: trdg-style empty boxes or wrong glyphs would make
wrong labels) and the glyph draws some ink. Loaded faces are cached per (font, pixel size).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"


SANS = ["DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "cmss10"]
SERIF = ["DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "STIXGeneral", "STIXGeneralBol", "cmr10"]
MONO = ["DejaVuSansMono", "DejaVuSansMono-Bold", "cmtt10"]
ALL = SANS + SERIF + MONO


@lru_cache(maxsize=None)
def font_path(name: str) -> str:
    path = font_dir() / f"{name}.ttf"
    if not path.exists():
        raise FileNotFoundError(f"font {name} not found in {font_dir()}")
    return str(path)


@lru_cache(maxsize=1024)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(name), max(4, int(size)))


@lru_cache(maxsize=None)
def _cmap(name: str) -> dict[int, str]:
    from fontTools.ttLib import TTFont

    with TTFont(font_path(name), lazy=True) as tt:
        return dict(tt.getBestCmap())


@lru_cache(maxsize=None)
def covers_char(name: str, ch: str) -> bool:
    """True when `name` maps `ch` to the glyph named for it and that glyph draws ink (whitespace: mapped)."""
    from fontTools import agl

    cp = ord(ch)
    glyph = _cmap(name).get(cp)
    if glyph is None:
        return False
    expected = {agl.UV2AGL.get(cp), f"uni{cp:04X}", f"u{cp:05X}", f"u{cp:04X}"}
    if glyph not in expected and not glyph.startswith(f"uni{cp:04X}."):
        return False
    if ch.isspace():
        return True
    f = font(name, 32)
    box = f.getbbox(ch)
    if box[2] <= box[0] or box[3] <= box[1]:
        return False
    im = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(im).text((8, 8), ch, font=f, fill=255)
    return im.getbbox() is not None


_GOOD: dict[str, set[str]] = {}


def covers(name: str, text: str) -> bool:
    """True when `name` covers every character of `text` (a per-font set of known-good characters is the fast path)."""
    chars = set(text)
    good = _GOOD.setdefault(name, set())
    if chars <= good:
        return True
    if all(covers_char(name, ch) for ch in chars):
        good |= chars
        return True
    return False


def fonts_for(text: str, candidates: list[str]) -> list[str]:
    """The candidate fonts that cover every character of `text`."""
    return [n for n in candidates if covers(n, text)]


@lru_cache(maxsize=None)
def cap_height(name: str) -> float:
    """Height of 'H' (or a digit) as a fraction of the font's pixel size."""
    f = font(name, 100)
    box = f.getbbox("H0")
    return (box[3] - box[1]) / 100.0
