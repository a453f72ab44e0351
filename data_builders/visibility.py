"""Legibility at the policy's real input size.

The policy never sees our image: its processor resizes it first (Qwen2-VL `smart_resize`: sides rounded to
multiples of patch 14 × merge 2 = 28, total pixels clamped into [min_pixels, max_pixels]). A digit stroke or clock
tick that vanishes there makes a wrong label, so every family measures its answer-carrying details in *model*
pixels through a `View` and rejects (and redraws) items that fall under the thresholds below.

`smart_resize` is re-implemented here (importing transformers costs seconds per CLI call); a test checks it
against transformers' own for many sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

PATCH, MERGE = 14, 2
TINY_MIN_PIXELS, TINY_MAX_PIXELS = 56 * 56, 112 * 112

# Thresholds in model pixels (after the processor's resize).
MIN_OBJECT_AREA = 30.0   # filled area of each counted/queried object
MIN_GAP = 2.0            # free space between two objects that must be told apart
MIN_TEXT_HEIGHT = 7.0    # cap height of any text (digits, labels, OCR text)
MIN_STROKE = 1.0         # width of a line that carries the answer (clock hands, maze walls, ticks)
MIN_CONTRAST = 3.0       # WCAG luminance contrast ratio between text and its background


def smart_resize(height: int, width: int, factor: int = PATCH * MERGE, min_pixels: int = TINY_MIN_PIXELS,
                 max_pixels: int = TINY_MAX_PIXELS) -> tuple[int, int]:
    """Qwen2-VL's resize rule: (h, w) divisible by `factor`, h*w in [min_pixels, max_pixels], aspect ~kept."""
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"absolute aspect ratio must be smaller than 200, got {max(height, width) / min(height, width)}")
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


@dataclass(frozen=True)
class View:
    """A square canvas of `size` pixels and what the model makes of it (`model_w` × `model_h`)."""
    size: int
    min_pixels: int = TINY_MIN_PIXELS
    max_pixels: int = TINY_MAX_PIXELS

    @property
    def model_hw(self) -> tuple[int, int]:
        return smart_resize(self.size, self.size, min_pixels=self.min_pixels, max_pixels=self.max_pixels)

    @property
    def scale(self) -> float:
        """Model pixels per image pixel (the smaller of the two axes, to be safe)."""
        h, w = self.model_hw
        return min(h, w) / self.size

    @property
    def model_side(self) -> int:
        return min(self.model_hw)

    def px(self, norm: float) -> float:
        """A length given as a fraction of the canvas side, in image pixels."""
        return norm * self.size

    def model_px(self, norm: float) -> float:
        """A length given as a fraction of the canvas side, in model pixels."""
        return norm * self.size * self.scale

    def to_model(self, image: Image.Image) -> Image.Image:
        """The image as the processor resizes it (bicubic, like Qwen2VLImageProcessor)."""
        h, w = self.model_hw
        return image.resize((w, h), Image.BICUBIC)


def luminance(rgb) -> float:
    def lin(c):
        c = c / 255.0
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = rgb[:3]
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def count_components(mask: np.ndarray) -> int:
    """Number of 8-connected True regions of a 2-D boolean mask (run-based union-find; no scipy needed)."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    run_rows, starts = np.nonzero(edges == 1)   # row-major order: runs sorted by row, then column
    ends = np.nonzero(edges == -1)[1]           # end column (exclusive) of each run, same order
    parent = list(range(len(starts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows, starts, ends = run_rows.tolist(), starts.tolist(), ends.tolist()
    prev_lo = prev_hi = 0   # index range of the previous row's runs
    cur_lo = 0
    for i in range(len(rows)):
        if i == 0 or rows[i] != rows[i - 1]:
            prev_lo, prev_hi = (cur_lo, i) if i and rows[i - 1] == rows[i] - 1 else (i, i)
            cur_lo = i
        s, e = starts[i], ends[i]
        for j in range(prev_lo, prev_hi):  # a run touches (8-conn.) previous runs overlapping [s - 1, e]
            if starts[j] <= e and ends[j] >= s:
                a, b = find(j), find(i)
                if a != b:
                    parent[b] = a
    return sum(1 for i in range(len(parent)) if find(i) == i)


def ink_mask(image: Image.Image, background=(255, 255, 255), threshold: int = 60) -> np.ndarray:
    """Pixels that differ from the background by more than `threshold` in some channel."""
    arr = np.asarray(image.convert("RGB"), dtype=np.int16)
    return (np.abs(arr - np.asarray(background, dtype=np.int16)).max(axis=2) > threshold)
