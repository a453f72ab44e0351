"""`geometry`: count a polygon's sides, or compute a perimeter/area from labelled side lengths.

Difficulty goes from counting sides (3–8) to rectangle perimeter, rectangle area and triangle perimeter, right-
triangle area (half units → `numeric`) and polygon perimeter, then the area of an L-shape whose corner cut-out
must be subtracted. Figures are drawn to scale from the labelled lengths. Legibility: label cap height, side
lengths and vertex angles (a vertex flatter than 160° would hide a side) in model pixels.
"""

from __future__ import annotations

import math
import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from ..fonts import cap_height

KNOBS = {
    1: {"questions": ["sides"], "sides": [3, 6], "max_length": 0},
    2: {"questions": ["sides", "rect_perimeter"], "sides": [3, 8], "max_length": 9},
    3: {"questions": ["rect_area", "tri_perimeter"], "sides": [3, 8], "max_length": 12},
    4: {"questions": ["right_area", "poly_perimeter"], "sides": [5, 6], "max_length": 15},
    5: {"questions": ["l_area", "l_perimeter"], "sides": [6, 6], "max_length": 15},
}
FONT, LABEL_H = "DejaVuSans", 0.085
FILLS = [(200, 220, 245), (250, 225, 200), (215, 240, 215), (235, 220, 245)]
BOX = (0.2, 0.15, 0.8, 0.8)  # where the figure goes (x0, y0, x1, y1)


def _fit(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Scale and centre a figure (arbitrary units, y up) into BOX, keeping its aspect ratio."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    s = min((BOX[2] - BOX[0]) / w, (BOX[3] - BOX[1]) / h)
    cx, cy = (BOX[0] + BOX[2]) / 2, (BOX[1] + BOX[3]) / 2
    return [(cx + (x - (min(xs) + max(xs)) / 2) * s, cy - (y - (min(ys) + max(ys)) / 2) * s) for x, y in points]


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


@register
class Geometry:
    name, kind, knobs = "geometry", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        qtype = rng.choice(k["questions"])
        made = getattr(self, f"_{qtype}")(rng, k)
        if made is None:
            return None
        pts, labels, question, answer, reasoning = made
        verifier = "numeric" if not float(answer).is_integer() else "integer"
        ans = _fmt(answer)
        fill = rng.randrange(len(FILLS))
        state = {"shape": [[round(x, 2), round(y, 2)] for x, y in pts],  # what is drawn, not what is asked
                 "labels": [[i, v] for i, v in sorted(labels.items())]}
        dist = [_fmt(answer + d) for d in (-2, -1, 1, 2, 3) if answer + d > 0]
        return Puzzle(state=state, question=question, answer=ans, answer_type="integer" if verifier == "integer"
                      else "number", verifier=verifier, reasoning=reasoning, scene=(_fit(pts), labels, fill),
                      distractors=dist, meta={"question_type": qtype, "n_vertices": len(pts)})

    # ---- question makers: (points in units, {side index: label}, question, answer, reasoning)

    def _sides(self, rng, k):
        n = rng.randint(*k["sides"])
        base = [2 * math.pi * i / n + rng.uniform(-0.25, 0.25) * 2 * math.pi / n for i in range(n)]
        angles = sorted(a % (2 * math.pi) for a in base)
        pts = [(math.cos(a) * rng.uniform(0.85, 1.0), math.sin(a) * rng.uniform(0.85, 1.0)) for a in angles]
        return pts, {}, "How many sides does the shape in the image have?", n, \
            f"Going around the outline I count {n} corners, so the shape has {n} sides."

    def _rect(self, rng, k):
        w, h = rng.randint(2, k["max_length"]), rng.randint(2, k["max_length"])
        if max(w, h) > 3 * min(w, h):
            return None
        return w, h, [(0, 0), (w, 0), (w, h), (0, h)], {0: w, 3: h}

    def _rect_perimeter(self, rng, k):
        r = self._rect(rng, k)
        if r is None:
            return None
        w, h, pts, labels = r
        return pts, labels, "What is the perimeter of the rectangle?", 2 * (w + h), \
            f"The rectangle is {w} by {h}. Perimeter = 2 × ({w} + {h}) = {2 * (w + h)}."

    def _rect_area(self, rng, k):
        r = self._rect(rng, k)
        if r is None:
            return None
        w, h, pts, labels = r
        return pts, labels, "What is the area of the rectangle?", w * h, \
            f"The rectangle is {w} by {h}. Area = {w} × {h} = {w * h}."

    def _tri_perimeter(self, rng, k):
        return self._poly_perimeter(rng, k, n=3)

    def _poly_perimeter(self, rng, k, n: int | None = None):
        n = n or rng.randint(*k["sides"])
        base = [2 * math.pi * i / n + rng.uniform(-0.2, 0.2) * 2 * math.pi / n for i in range(n)]
        raw = [(math.cos(a), math.sin(a)) for a in base]
        sides = [math.dist(raw[i], raw[(i + 1) % n]) for i in range(n)]
        scale = k["max_length"] / max(sides) * rng.uniform(0.6, 1.0)
        labels = {i: max(1, round(s * scale)) for i, s in enumerate(sides)}
        total = sum(labels.values())
        terms = " + ".join(str(labels[i]) for i in range(n))
        name = "triangle" if n == 3 else "polygon"
        return raw, labels, f"What is the perimeter of the {name}?", total, \
            f"The {n} sides are labelled {terms.replace(' + ', ', ')}. Perimeter = {terms} = {total}."

    def _right_area(self, rng, k):
        a, b = rng.randint(2, k["max_length"]), rng.randint(2, k["max_length"])
        if max(a, b) > 3 * min(a, b):
            return None
        area = a * b / 2
        return [(0, 0), (a, 0), (0, b)], {0: a, 2: b}, "What is the area of the right triangle?", area, \
            f"The legs are {a} and {b}. Area = {a} × {b} / 2 = {_fmt(area)}."

    def _l_shape(self, rng, k):
        W, H = rng.randint(6, k["max_length"]), rng.randint(6, k["max_length"])
        w, h = rng.randint(3, W - 3), rng.randint(3, H - 3)
        if max(W, H) > 2 * min(W, H):
            return None
        # outline (counter-clockwise, y up) with the top-right w×h corner cut away
        pts = [(0, 0), (W, 0), (W, H - h), (W - w, H - h), (W - w, H), (0, H)]
        return W, H, w, h, pts, {0: W, 5: H, 2: w, 3: h}  # edge i runs from pts[i] to pts[i + 1]

    def _l_area(self, rng, k):
        r = self._l_shape(rng, k)
        if r is None:
            return None
        W, H, w, h, pts, labels = r
        area = W * H - w * h
        return pts, labels, "What is the area of the shape?", area, \
            (f"The full {W} by {H} rectangle has area {W * H}; the cut-out corner is {w} by {h} = {w * h}. "
             f"Area = {W * H} - {w * h} = {area}.")

    def _l_perimeter(self, rng, k):
        r = self._l_shape(rng, k)
        if r is None:
            return None
        W, H, w, h, pts, labels = r
        per = 2 * (W + H)
        return pts, labels, "What is the perimeter of the shape?", per, \
            (f"The cut-out corner moves two sides inward without changing their total, so the perimeter equals "
             f"that of the {W} by {H} rectangle: 2 × ({W} + {H}) = {per}.")

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        pts, labels, fill = pz.scene
        side = view.model_side
        n = len(pts)
        if labels and LABEL_H * cap_height(FONT) * side < vis.MIN_TEXT_HEIGHT:
            return Rendered(None, "text_height")
        for i in range(n):
            a, b, c_ = pts[i - 1], pts[i], pts[(i + 1) % n]
            if math.dist(b, c_) * side < 8:
                return Rendered(None, "side_length")
            v1, v2 = (a[0] - b[0], a[1] - b[1]), (c_[0] - b[0], c_[1] - b[1])
            cos = (v1[0] * v2[0] + v1[1] * v2[1]) / (math.hypot(*v1) * math.hypot(*v2))
            if math.degrees(math.acos(max(-1.0, min(1.0, cos)))) > 160:
                return Rendered(None, "flat_vertex")
        spots = self._label_spots(pts, labels)
        if any(math.dist(pts[i], pts[(i + 1) % n]) * side < 14 for i in labels):
            return Rendered(None, "labelled_side_length")
        for a in range(len(spots)):
            for b in range(a + 1, len(spots)):
                if abs(spots[a][0] - spots[b][0]) < 0.12 and abs(spots[a][1] - spots[b][1]) < 0.09:
                    return Rendered(None, "label_overlap")
        c = Canvas(view.size)
        c.polygon(pts, fill=FILLS[fill], outline=(30, 30, 30), width=0.012)
        for (x, y), value in zip(spots, labels.values()):
            c.text(x, y, str(value), FONT, LABEL_H, (20, 20, 20))
        return Rendered(c.image())

    @staticmethod
    def _label_spots(pts, labels) -> list[tuple[float, float]]:
        """Label centres: beside each labelled edge's midpoint, along its outward normal."""
        n = len(pts)
        orient = 1 if sum(pts[i - 1][0] * pts[i][1] - pts[i][0] * pts[i - 1][1] for i in range(n)) > 0 else -1
        spots = []
        for i in labels:
            (x0, y0), (x1, y1) = pts[i], pts[(i + 1) % n]
            norm = math.hypot(x1 - x0, y1 - y0)
            nx, ny = orient * (y1 - y0) / norm, -orient * (x1 - x0) / norm  # outward normal of the edge
            spots.append(((x0 + x1) / 2 + nx * 0.07, (y0 + y1) / 2 + ny * 0.07))
        return spots
