"""Plain 2-D drawing with PIL: a supersampled canvas in normalised coordinates, named colours and shapes.

Families describe scenes in canvas fractions ([0, 1] × [0, 1]); `Canvas` draws them at `ss`× the output size and
box-filters down once, which antialiases edges at little cost. Colours are a small palette whose members stay
distinguishable at small sizes (no orange next to yellow; tested by CIE76 ΔE).
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

from . import fonts

# Well-separated named colours (the answer vocabulary of colour questions).
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 38, 38),
    "green": (22, 150, 60),
    "blue": (30, 90, 235),
    "yellow": (232, 184, 0),
    "purple": (160, 30, 150),
    "black": (25, 25, 25),
}
COLOR_NAMES = list(COLORS)
SHAPES = ["circle", "square", "triangle", "star"]
PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles", "star": "stars"}
WHITE = (255, 255, 255)

# Area of each shape as a multiple of r² (r = half the shape's extent).
AREA_FACTOR = {"circle": math.pi, "square": 4 * 0.85 ** 2, "triangle": 3 * math.sqrt(3) / 4 * 1.1 ** 2,
               "star": 10 * 0.5 * 0.5 * math.sin(math.radians(36))}  # 10 triangles of sides r and r/2


def delta_e(a, b) -> float:
    """CIE76 colour difference of two sRGB colours (≥ ~45 reads as clearly different at a glance)."""
    def lab(rgb):
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in rgb)]
        r, g, b_ = lin
        xyz = ((0.4124 * r + 0.3576 * g + 0.1805 * b_) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b_,
               (0.0193 * r + 0.1192 * g + 0.9505 * b_) / 1.08883)
        fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz)
        return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)
    return math.dist(lab(a), lab(b))


def plural(shape: str, k: int) -> str:
    return shape if k == 1 else PLURAL.get(shape, shape + "s")


def shape_points(shape: str, cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    """Polygon vertices of a square/triangle/star of half-extent r centred at (cx, cy)."""
    if shape == "square":
        s = 0.85 * r
        return [(cx - s, cy - s), (cx + s, cy - s), (cx + s, cy + s), (cx - s, cy + s)]
    if shape == "triangle":
        R = 1.1 * r  # circumradius; centroid at the centre
        return [(cx + R * math.cos(math.radians(a)), cy + R * math.sin(math.radians(a))) for a in (-90, 30, 150)]
    if shape == "star":
        pts = []
        for i in range(10):
            rad = r if i % 2 == 0 else r * 0.5
            a = math.radians(-90 + 36 * i)
            pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a) + 0.1 * r))
        return pts
    raise ValueError(f"unknown shape {shape}")


def shape_area(shape: str, r: float) -> float:
    return AREA_FACTOR[shape] * r * r


class Canvas:
    """Draw in canvas fractions at `ss`× resolution; `image()` returns the box-filtered output."""

    def __init__(self, size: int, background=WHITE, ss: int = 2):
        self.size, self.ss = size, ss
        self.px = size * ss
        self.im = Image.new("RGB", (self.px, self.px), background)
        self.d = ImageDraw.Draw(self.im)

    def p(self, v: float) -> float:
        return v * self.px

    def shape(self, shape: str, cx: float, cy: float, r: float, fill, outline=None, width: float = 0.0):
        X, Y, R = self.p(cx), self.p(cy), self.p(r)
        w = max(1, round(self.p(width))) if outline is not None else 0
        if shape == "circle":
            self.d.ellipse((X - R, Y - R, X + R, Y + R), fill=fill, outline=outline, width=w)
        else:
            self.d.polygon(shape_points(shape, X, Y, R), fill=fill, outline=outline, width=w)

    def line(self, pts, fill, width: float):
        self.d.line([(self.p(x), self.p(y)) for x, y in pts], fill=fill, width=max(1, round(self.p(width))))

    def rect(self, x0, y0, x1, y1, fill=None, outline=None, width: float = 0.0):
        w = max(1, round(self.p(width))) if outline is not None else 0
        self.d.rectangle((self.p(x0), self.p(y0), self.p(x1), self.p(y1)), fill=fill, outline=outline, width=w)

    def ellipse(self, x0, y0, x1, y1, fill=None, outline=None, width: float = 0.0):
        w = max(1, round(self.p(width))) if outline is not None else 0
        self.d.ellipse((self.p(x0), self.p(y0), self.p(x1), self.p(y1)), fill=fill, outline=outline, width=w)

    def polygon(self, pts, fill=None, outline=None, width: float = 0.0):
        w = max(1, round(self.p(width))) if outline is not None else 0
        self.d.polygon([(self.p(x), self.p(y)) for x, y in pts], fill=fill, outline=outline, width=w)

    def text(self, x: float, y: float, s: str, font_name: str, height: float, fill, anchor: str = "mm"):
        """Text whose font pixel size is `height` (a canvas fraction of the em), anchored at (x, y)."""
        f = fonts.font(font_name, round(self.p(height)))
        self.d.text((self.p(x), self.p(y)), s, font=f, fill=fill, anchor=anchor)

    def text_size(self, s: str, font_name: str, height: float, angle: float = 0.0) -> tuple[float, float]:
        """(width, height) of the text's ink box, rotated by `angle` degrees, as canvas fractions."""
        f = fonts.font(font_name, round(self.p(height)))
        x0, y0, x1, y1 = f.getbbox(s, anchor="mm")
        w, h = x1 - x0, y1 - y0
        a = math.radians(angle)
        return ((abs(w * math.cos(a)) + abs(h * math.sin(a))) / self.px,
                (abs(w * math.sin(a)) + abs(h * math.cos(a))) / self.px)

    def rotated_text(self, x: float, y: float, s: str, font_name: str, height: float, fill, angle: float):
        """Text centred at (x, y), rotated counter-clockwise by `angle` degrees."""
        if not angle:
            return self.text(x, y, s, font_name, height, fill)
        f = fonts.font(font_name, round(self.p(height)))
        x0, y0, x1, y1 = f.getbbox(s, anchor="mm")
        pad = 4
        mask = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), 0)
        ImageDraw.Draw(mask).text((pad - x0, pad - y0), s, font=f, fill=255, anchor="mm")
        mask = mask.rotate(angle, resample=Image.BICUBIC, expand=True)
        ink = Image.new("RGB", mask.size, fill)
        self.im.paste(ink, (round(self.p(x) - mask.width / 2), round(self.p(y) - mask.height / 2)), mask)

    def image(self) -> Image.Image:
        return self.im.reduce(self.ss) if self.ss > 1 else self.im


def text_font_size(cap_height_model_px: float, font_name: str, view) -> float:
    """The font size (canvas fraction) whose cap height is `cap_height_model_px` model pixels."""
    return cap_height_model_px / fonts.cap_height(font_name) / view.model_side


def png_bytes(image: Image.Image) -> bytes:
    """PNG with fixed settings and no metadata (no timestamps): same image → same bytes."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
