"""`glyph_count` (OCR): how many times a letter appears in the image; at level 5, a two-letter string in rows of
letters. The answer is an integer (`integer` verifier).

Level 1 is the CPU-learnable rung of reading: a 4×4 grid (one cell per merged patch of the tiny model's 112-px input),
each cell empty or holding one large upright bold glyph, the letter A (1–6 times) or one letter of another stroke
class (round O or straight E, H, L, T), on white. The target is always A: a letter named in the question has to be
matched to the glyphs, which the tiny model does not learn (with the target drawn from eight letters it counts every
letter and stops at a third right; README: Training on a mixture), so level 1 asks to tell one known letter from
others. From level 2 the question names the letter (any of 23), with more distractor letters and more similar ones
(O/Q/C/G, E/F, B/8, P/R, M/N/W), smaller glyphs, mixed fonts, tilt, a 5×5 grid, then a free layout with mixed case
(count A and a), and at level 5 a letter pair such as "AB" counted inside rows of letters (near misses like "A8",
"BA", "RB" do not count).

State: what the image shows — the grid's cell contents, the free layout's letters at quantised positions, or the
rows' letters; never the question (so asking for A or for X on one picture cannot straddle the splits) and never
font, size or tilt. Legibility at the model's input size: every glyph's ink height (cap height, x-height for
lowercase) ≥ MIN_TEXT_HEIGHT model pixels, ink contrast with the background under it ≥ MIN_CONTRAST, gaps ≥ MIN_GAP,
and the glyph layer resized by the processor must still show exactly one blob per glyph (none broken or merged).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from .. import fonts
from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from . import _text as tx

_F2 = ["DejaVuSans", "DejaVuSans-Bold"]
_F3 = _F2 + ["DejaVuSerif-Bold", "DejaVuSansMono-Bold", "cmss10"]
_F4 = _F3 + ["DejaVuSans-Oblique", "DejaVuSansMono"]
_F5 = [f for f in _F4 if f != "DejaVuSerif-Bold"] + ["cmtt10"]  # serifs break at this size
# cap_height: of the capitals (canvas fraction); level 4 mixes in lowercase, whose x-height is ~0.75 of it
KNOBS = {
    1: {"layout": "grid 4x4", "target": [1, 6], "others": [1, 5], "distractor_letters": 1, "similar_letters": 0,
        "cap_height": [0.14, 0.16], "fonts": ["DejaVuSans-Bold"], "case": "upper", "tilt": 0,
        "background": "plain", "noise": 0},
    2: {"layout": "grid 4x4", "target": [1, 6], "others": [3, 7], "distractor_letters": 2, "similar_letters": 1,
        "cap_height": [0.11, 0.13], "fonts": _F2, "case": "upper", "tilt": 0, "background": "paper", "noise": 0},
    3: {"layout": "grid 5x5", "target": [1, 7], "others": [5, 10], "distractor_letters": 3, "similar_letters": 2,
        "cap_height": [0.09, 0.105], "fonts": _F3, "case": "upper", "tilt": 8, "background": "gradient",
        "noise": 4},
    4: {"layout": "free", "target": [1, 8], "others": [6, 10], "distractor_letters": 4, "similar_letters": 3,
        "cap_height": [0.1, 0.115], "fonts": _F4, "case": "mixed", "tilt": 15, "background": "clutter",
        "noise": 6},
    5: {"layout": "rows of letters, count a letter pair", "target": [1, 9], "rows": [4, 5], "row_length": [7, 9],
        "distractor_letters": 4, "similar_letters": 4, "cap_height": [0.068, 0.078], "fonts": _F5,
        "case": "upper", "tilt": 15, "background": "busy", "noise": 8},
}
# level 1: the target is always LEVEL1_TARGET, its distractor a letter of another stroke class (never K or X, which
# share A's diagonal strokes)
CLASSES = ["O", "AKX", "EHLT"]
LEVEL1_TARGET = "A"
# letters (and digits) a reader confuses with each key at a glance: the similar distractors of levels 2–5
SIMILAR = {"A": "R4H", "B": "8ERP", "C": "GOQ", "D": "OBP", "E": "FBH", "F": "EPT", "G": "COQ", "H": "NMK",
           "K": "XRH", "M": "NWH", "N": "MHZ", "O": "QCGD", "P": "RFB", "Q": "OGC", "R": "PBK", "S": "583",
           "T": "YFL", "U": "VOC", "V": "YUW", "W": "MVN", "X": "KYZ", "Y": "VXT", "Z": "2NX"}
TARGETS = sorted(SIMILAR)
OTHERS = TARGETS + list("L234589")
# the partial reading a policy can answer from without telling the letters apart (levels 1–4; README: Training on a
# mixture): at level 1 the best answer from it alone is right for 10 of the 30 equally likely (target, other) counts
SHORTCUT = "how many letters the image holds, whichever they are"
GAP = 0.022                    # free space around each glyph (canvas fraction): ≥ MIN_GAP model px at 112
QUANT = 8


@dataclass
class Glyph:
    ch: str
    font: str
    em: float       # font pixel size as a canvas fraction
    angle: float    # counter-clockwise degrees
    x: float = 0.0  # centre of the ink box (canvas fraction)
    y: float = 0.0

    def record(self) -> dict[str, str]:
        return {"char": self.ch, "font": self.font, "em": f"{self.em:.4f}", "angle": f"{self.angle:.1f}",
                "x": f"{self.x:.4f}", "y": f"{self.y:.4f}"}


@lru_cache(maxsize=None)
def ink_box(ch: str, font: str) -> tuple[float, float, float, float]:
    """The glyph's ink box (x0, y0, x1, y1) relative to the drawing origin, as fractions of the font size."""
    x0, y0, x1, y1 = fonts.font(font, 200).getbbox(ch)
    return x0 / 200, y0 / 200, x1 / 200, y1 / 200


def extent(g: Glyph) -> tuple[float, float]:
    """Width and height of the glyph's tilted ink box (canvas fractions)."""
    x0, y0, x1, y1 = ink_box(g.ch, g.font)
    w, h = (x1 - x0) * g.em, (y1 - y0) * g.em
    a = math.radians(g.angle)
    return abs(w * math.cos(a)) + abs(h * math.sin(a)), abs(w * math.sin(a)) + abs(h * math.cos(a))


def glyph(rng: random.Random, ch: str, k: dict, font: str | None = None) -> Glyph:
    """A glyph of `ch` in a random font of the level (or `font`), size and tilt; em and angle are quantised."""
    font = font or rng.choice(k["fonts"])
    em = round(rng.uniform(*k["cap_height"]) / fonts.cap_height(font), 4)
    return Glyph(ch, font, em, round(rng.uniform(-k["tilt"], k["tilt"]), 1))


@lru_cache(maxsize=4096)
def upright_mask(ch: str, font: str, px: int) -> Image.Image:
    """`ch` drawn white on black at `px` pixels in `font`, with a 2 px margin (cached: never modify it)."""
    f = fonts.font(font, px)
    x0, y0, x1, y1 = f.getbbox(ch)
    m = Image.new("L", (x1 - x0 + 4, y1 - y0 + 4), 0)
    ImageDraw.Draw(m).text((2 - x0, 2 - y0), ch, font=f, fill=255)
    return m


def glyph_mask(g: Glyph, size: int) -> Image.Image:
    """The glyph drawn white on black, tilted by its angle, cropped to its ink."""
    m = upright_mask(g.ch, g.font, round(g.em * size))
    if g.angle:
        m = m.rotate(g.angle, resample=Image.BICUBIC, expand=True)
    return m.crop(m.getbbox())


def pick_letters(rng: random.Random, level: int) -> tuple[str, list[str]]:
    """The target letter and the level's distractor characters (similar ones first)."""
    k = KNOBS[level]
    if level == 1:
        return LEVEL1_TARGET, [rng.choice("".join(c for c in CLASSES if LEVEL1_TARGET not in c))]
    target = rng.choice(TARGETS)
    similar = rng.sample(SIMILAR[target], k["similar_letters"])
    rest = [c for c in OTHERS if c != target and c not in similar]
    return target, similar + rng.sample(rest, k["distractor_letters"] - len(similar))


def grid_glyphs(rng: random.Random, level: int, chars: list[str], n: int) -> list[Glyph] | None:
    """One glyph per cell of an n×n grid (cells drawn at random), jittered inside its cell with GAP kept free."""
    k = KNOBS[level]
    cell = 1 / n
    out = []
    for c, ch in zip(rng.sample(range(n * n), len(chars)), chars):
        g = glyph(rng, ch, k)
        w, h = extent(g)
        room_x, room_y = (cell - w - GAP) / 2, (cell - h - GAP) / 2
        if min(room_x, room_y) < 0:
            return None
        g.x = round((c % n + 0.5) * cell + rng.uniform(-room_x, room_x) * 0.6, 4)
        g.y = round((c // n + 0.5) * cell + rng.uniform(-room_y, room_y) * 0.6, 4)
        out.append(g)
    return out


def radius(g: Glyph) -> float:
    """Half the diagonal of the untilted ink box: a circle that holds the glyph at any tilt."""
    x0, y0, x1, y1 = ink_box(g.ch, g.font)
    return math.hypot(x1 - x0, y1 - y0) * g.em / 2


def free_glyphs(rng: random.Random, level: int, chars: list[str]) -> list[Glyph] | None:
    """Glyphs scattered without overlap (largest first), none crossing the horizontal midline (the trace counts
    the top and bottom halves)."""
    k = KNOBS[level]
    gs = sorted((glyph(rng, ch, k) for ch in chars), key=lambda g: -radius(g))
    placed: list[Glyph] = []
    for g in gs:
        r = radius(g)
        for _ in range(80):
            x, y = rng.uniform(GAP + r, 1 - GAP - r), rng.uniform(GAP + r, 1 - GAP - r)
            if abs(y - 0.5) >= r + GAP and all(
                    math.hypot(x - p.x, y - p.y) >= r + radius(p) + GAP for p in placed):
                g.x, g.y = round(x, 4), round(y, 4)
                placed.append(g)
                break
        else:
            return None
    return placed


def letter_rows(rng: random.Random, pair: str, filler: list[str], n: int, rows: int, length: int) -> list[str]:
    """`rows` strings of `length` letters holding `pair` exactly `n` times (filler never forms it by accident)."""
    starts = [(r, c) for r in range(rows) for c in range(length - 1)]
    rng.shuffle(starts)
    grid: list[list[str | None]] = [[None] * length for _ in range(rows)]
    placed = 0
    for r, c in starts:
        if placed == n:
            break
        if grid[r][c] is None and grid[r][c + 1] is None:
            grid[r][c], grid[r][c + 1] = pair[0], pair[1]
            placed += 1
    for row in grid:
        for c in range(length):
            if row[c] is None:
                ok = [f for f in filler if not (c and row[c - 1] == pair[0] and f == pair[1])
                      and not (c + 1 < length and row[c + 1] == pair[1] and f == pair[0])]
                row[c] = rng.choice(ok)
    return ["".join(row) for row in grid]  # type: ignore[arg-type]


def row_glyphs(rng: random.Random, level: int, lines: list[str]) -> list[Glyph] | None:
    """The rows laid out glyph by glyph in one font (tracking GAP), centred on evenly spaced row lines."""
    k = KNOBS[level]
    font = rng.choice(k["fonts"])
    rows = [[glyph(rng, ch, k, font) for ch in line] for line in lines]
    pitch = max(extent(g)[1] for row in rows for g in row) + 2 * GAP
    widths = [sum(extent(g)[0] for g in row) + GAP * (len(row) - 1) for row in rows]
    if max(widths) > 1 - 2 * GAP or pitch * len(rows) > 1 - 2 * GAP:
        return None
    top = rng.uniform(GAP, 1 - GAP - pitch * len(rows))
    for i, (row, width) in enumerate(zip(rows, widths)):
        x = rng.uniform(GAP, 1 - GAP - width)
        for g in row:
            w = extent(g)[0]
            g.x, g.y = round(x + w / 2, 4), round(top + pitch * (i + 0.5), 4)
            x += w + GAP
    return [g for row in rows for g in row]


def q(v: float) -> int:
    return min(QUANT - 1, max(0, int(v * QUANT)))


def row_trace(label: str, counts: list[int], total: int) -> str:
    """Row by row, then add: "A in rows: 1, 0, 2, 0. 1 + 0 + 2 + 0 = 3." (as `count` level 1 does; the list form
    states the steps "row 1" … for the steps verifier)."""
    return f"{label} in rows: {', '.join(map(str, counts))}. {' + '.join(map(str, counts))} = {total}."


@register
class GlyphCount:
    name, kind, knobs = "glyph_count", "ocr", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n = rng.randint(*k["target"])  # the answer first (uniform), the scene around it
        if level == 5:
            return self._sample_pair(rng, level, n)
        target, distractors = pick_letters(rng, level)
        chars = [target] * n + [rng.choice(distractors) for _ in range(rng.randint(*k["others"]))]
        if k["case"] == "mixed":
            chars = [c.lower() if c.isalpha() and c != "L" and rng.random() < 0.5 else c for c in chars]  # no l/I
        if k["layout"].startswith("grid"):
            side = int(k["layout"][-1])
            gs = grid_glyphs(rng, level, chars, side)
            if gs is None:
                return None
            cells = [["."] * side for _ in range(side)]
            for g in gs:
                cells[int(g.y * side)][int(g.x * side)] = g.ch
            state = {"layout": "grid", "cells": ["".join(r) for r in cells]}
            counts = [r.count(target) for r in state["cells"]]
            reasoning = row_trace(target, counts, n)
            names = [f"row {i + 1}" for i in range(side)]
        else:
            gs = free_glyphs(rng, level, chars)
            if gs is None:
                return None
            state = {"layout": "free", "glyphs": sorted([g.ch, q(g.x), q(g.y)] for g in gs)}
            counts = [sum(g.ch.upper() == target and (g.y < 0.5) == top for g in gs) for top in (True, False)]
            reasoning = (f"{target} or {target.lower()} in the top half: {counts[0]}, bottom half: {counts[1]}. "
                         f"{counts[0]} + {counts[1]} = {n}.")
            names = ["top half", "bottom half"]
        if sum(counts) != n:
            raise AssertionError(f"glyph_count: scene holds {sum(counts)} targets, drew {n}")
        question = f"How many times does the letter {target} appear in the image?"
        if k["case"] == "mixed":
            question += f" Count both {target} and {target.lower()}."
        return self._puzzle(level, state, question, n, reasoning, gs, target, names, counts)

    def _sample_pair(self, rng: random.Random, level: int, n: int) -> Puzzle | None:
        k = KNOBS[level]
        a, b = rng.sample(TARGETS, 2)
        filler = sorted({a, b, *SIMILAR[a][:2], *SIMILAR[b][:2]})
        lines = letter_rows(rng, a + b, filler, n, rng.randint(*k["rows"]), rng.randint(*k["row_length"]))
        counts = [line.count(a + b) for line in lines]
        if sum(counts) != n:
            return None  # the rows had no room for n pairs
        gs = row_glyphs(rng, level, lines)
        if gs is None:
            return None
        question = (f"How many times does the letter pair {a}{b} appear in the rows of letters? Read each row from "
                    "left to right.")
        return self._puzzle(level, {"layout": "rows", "rows": lines}, question, n, row_trace(a + b, counts, n),
                            gs, a + b, [f"row {i + 1}" for i in range(len(lines))], counts)

    @staticmethod
    def _puzzle(level, state, question, n, reasoning, gs, target, names, counts) -> Puzzle:
        lo, hi = KNOBS[level]["target"]
        return Puzzle(state=state, question=question, answer=str(n), answer_type="integer", verifier="integer",
                      reasoning=reasoning, scene=(level, gs),
                      distractors=[str(v) for v in range(max(0, lo - 1), hi + 2) if v != n],
                      meta={"question_type": "count_pair" if len(target) == 2 else
                            "count_letter_any_case" if KNOBS[level]["case"] == "mixed" else "count_letter",
                            "target": target, "layout": state["layout"], "n_glyphs": len(gs),
                            "font": ",".join(sorted({g.font for g in gs})), "glyphs": [g.record() for g in gs],
                            **({} if len(target) == 2 else {"shortcut": str(len(gs)), "shortcut_what": SHORTCUT})},
                      steps=[{"name": a, "value": str(c)} for a, c in zip(names, counts)])

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        level, gs = pz.scene
        size = view.size
        if GAP * view.model_side < vis.MIN_GAP:
            return Rendered(None, "gap")
        heights = [(ink_box(g.ch, g.font)[3] - ink_box(g.ch, g.font)[1]) * round(g.em * size) for g in gs]
        if min(heights) * view.scale < vis.MIN_TEXT_HEIGHT:  # cap height; x-height for lowercase
            return Rendered(None, "text_height")
        k = KNOBS[level]
        plain = k["background"] == "plain"
        style = tx.TextStyle(font=gs[0].font, size=0.0, ink=(20, 20, 20) if plain else rng.choice(tx.INKS),
                             paper=tx.PAPERS[0] if plain else rng.choice(tx.PAPERS), angle=0.0,
                             background=k["background"], noise=k["noise"])
        im = tx.background(rng, size, style)
        paper = np.asarray(im)
        layer = np.zeros((size, size), dtype=np.uint8)
        for g in gs:
            m = glyph_mask(g, size)
            x, y = round(g.x * size - m.width / 2), round(g.y * size - m.height / 2)
            if x < 0 or y < 0 or x + m.width > size or y + m.height > size:
                return Rendered(None, "fit")
            under = paper[y:y + m.height, x:x + m.width].reshape(-1, 3)  # ink vs the region's mean and darkest
            if min(vis.contrast(style.ink, under.mean(0)), vis.contrast(style.ink, under.min(0))) < vis.MIN_CONTRAST:
                return Rendered(None, "contrast")
            layer[y:y + m.height, x:x + m.width] = np.maximum(layer[y:y + m.height, x:x + m.width], m)
        # the processor's resize must keep one blob per glyph: none broken into pieces, none merged with another
        mask = Image.fromarray(layer)
        if vis.count_components(np.asarray(view.to_model(mask)) > 100) != len(gs):
            return Rendered(None, "pixel_count")
        im.paste(Image.new("RGB", (size, size), style.ink), (0, 0), mask)
        return Rendered(tx.add_noise(im, rng, style.noise) if style.noise else im)
