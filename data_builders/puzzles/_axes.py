"""Shared pieces of the plotted-graph families (function_value, function_intersection, slope, line_chart):
a coordinate frame with gridlines and tick labels, curves clipped to it, and the legibility checks that go with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .. import visibility as vis
from ..draw import Canvas
from ..fonts import cap_height

FONT, LABEL_H = "DejaVuSans", 0.088
GRID, AXIS, FRAME, TEXT = (215, 215, 215), (110, 110, 110), (60, 60, 60), (40, 40, 40)
CURVES = {"blue": (30, 90, 235), "red": (220, 38, 38), "green": (22, 150, 60)}
CURVE_W = 0.013


def num(v) -> str:
    """A tick label: integers with a true minus sign."""
    return str(v).replace("-", "\u2212")


def says_answer(question: str, answer: str) -> bool:
    """The generic leak test: the answer as a standalone token of the question (so such draws are redrawn)."""
    return re.search(rf"(?<![\w.]){re.escape(answer.lower())}(?![\w])", question.lower()) is not None


@dataclass
class Axes:
    """A plot frame over [xmin, xmax] × [ymin, ymax] (data units) drawn into `box` (canvas fractions)."""
    xmin: int
    xmax: int
    ymin: int
    ymax: int
    xlabel: int = 1          # data units between x tick labels
    ylabel: int = 1
    ygrid: int = 1           # data units between horizontal gridlines
    box: tuple = (0.15, 0.13, 0.96, 0.86)

    def cx(self, x: float) -> float:
        return self.box[0] + (x - self.xmin) / (self.xmax - self.xmin) * (self.box[2] - self.box[0])

    def cy(self, y: float) -> float:
        return self.box[3] - (y - self.ymin) / (self.ymax - self.ymin) * (self.box[3] - self.box[1])

    def inside(self, x: float, y: float) -> bool:
        return self.xmin <= x <= self.xmax and self.ymin <= y <= self.ymax

    def fit_labels(self, c: Canvas) -> "Axes":
        """The smallest x and y label steps (1, 2, 3, 5, 10 grid units) whose labels do not crowd each other."""
        widest = max(c.text_size(num(v), FONT, LABEL_H)[0] for v in (self.xmin, self.xmax))
        steps = (1, 2, 3, 5, 10)
        self.xlabel = next((s for s in steps if self.cx(s) - self.cx(0) >= widest + 0.02), steps[-1])
        self.ylabel = next((s * self.ygrid for s in steps
                            if self.cy(0) - self.cy(s * self.ygrid) >= 1.5 * LABEL_H * cap_height(FONT)), steps[-1])
        return self

    def check(self, view: vis.View, c: Canvas) -> str | None:
        """Tick-label cap height and spacing, gridline spacing, curve width — in model pixels."""
        side = view.model_side
        if LABEL_H * cap_height(FONT) * side < vis.MIN_TEXT_HEIGHT:
            return "text_height"
        if CURVE_W * side < vis.MIN_STROKE:
            return "curve_width"
        unit_x = (self.cx(1) - self.cx(0)) * side
        unit_y = (self.cy(0) - self.cy(self.ygrid)) * side
        if min(unit_x, unit_y) < 4:
            return "grid_spacing"
        widest = max(c.text_size(num(v), FONT, LABEL_H)[0] for v in (self.xmin, self.xmax))
        if (self.cx(self.xlabel) - self.cx(0)) < widest + 0.02:
            return "label_spacing"
        if (self.cy(0) - self.cy(self.ylabel)) < 1.5 * LABEL_H * cap_height(FONT):
            return "label_spacing"
        return None

    def draw(self, c: Canvas, zero_lines: bool = True, x_labels: bool = True) -> None:
        x0, y0, x1, y1 = self.box
        for x in range(self.xmin, self.xmax + 1):
            c.line([(self.cx(x), y0), (self.cx(x), y1)], fill=GRID, width=0.004)
        for y in range(self.ymin, self.ymax + 1, self.ygrid):
            c.line([(x0, self.cy(y)), (x1, self.cy(y))], fill=GRID, width=0.004)
        if zero_lines and self.xmin < 0 < self.xmax:
            c.line([(self.cx(0), y0), (self.cx(0), y1)], fill=AXIS, width=0.007)
        if zero_lines and self.ymin < 0 < self.ymax:
            c.line([(x0, self.cy(0)), (x1, self.cy(0))], fill=AXIS, width=0.007)
        c.rect(x0, y0, x1, y1, outline=FRAME, width=0.007)
        for x in range(self.xmin, self.xmax + 1):
            if x_labels and x % self.xlabel == 0:
                c.text(self.cx(x), y1 + 0.055, num(x), FONT, LABEL_H, TEXT)
        corner = x_labels and self.xmin % self.xlabel == 0   # an x label sits under the bottom-left corner
        for y in range(self.ymin, self.ymax + 1):
            if y % self.ylabel == 0 and not (corner and y == self.ymin):
                c.text(x0 - 0.015, self.cy(y), num(y), FONT, LABEL_H, TEXT, anchor="rm")

    def plot(self, c: Canvas, f, color, steps: int = 240) -> None:
        """Draw y = f(x) where it lies inside the frame: sampled, split into runs where it leaves, each run
        extended to the frame's edge by linear interpolation between the samples on either side."""
        xs = [self.xmin + (self.xmax - self.xmin) * i / steps for i in range(steps + 1)]
        ys = [float(f(x)) for x in xs]
        run: list[tuple[float, float]] = []

        def edge(i: int, j: int) -> tuple[float, float]:  # where the curve crosses the frame between samples
            limit = self.ymax if max(ys[i], ys[j]) > self.ymax else self.ymin
            t = (limit - ys[i]) / (ys[j] - ys[i])
            return self.cx(xs[i] + t * (xs[j] - xs[i])), self.cy(limit)

        for i, (x, y) in enumerate(zip(xs, ys)):
            if self.ymin <= y <= self.ymax:
                if not run and i > 0:
                    run.append(edge(i - 1, i))
                run.append((self.cx(x), self.cy(y)))
                continue
            if run:
                run.append(edge(i - 1, i))
                c.line(run, fill=color, width=CURVE_W)
                run = []
        if len(run) > 1:
            c.line(run, fill=color, width=CURVE_W)


def shows_color(model_image, view: vis.View, x: float, y: float, color, radius: int = 1, tol: int = 70) -> bool:
    """Whether a pixel within `radius` model pixels of canvas point (x, y) is close to `color` in the resized
    image: the answer-carrying point of a curve is not hidden under another curve or washed out."""
    arr = np.asarray(model_image.convert("RGB"), dtype=np.int16)
    h, w = arr.shape[:2]
    px, py = round(x * w - 0.5), round(y * h - 0.5)
    win = arr[max(0, py - radius): py + radius + 1, max(0, px - radius): px + radius + 1]
    if win.size == 0:
        return False
    return bool((np.abs(win - np.asarray(color, dtype=np.int16)).max(axis=2) <= tol).any())
