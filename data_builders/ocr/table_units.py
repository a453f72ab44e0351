"""`table_units` (OCR + unit conversion): a two-column table of amounts with units (g/kg, cm/m, mL/L, min/h) —
add them up in a named unit, or find how much more one row has than another.

Difficulty: two rows in one unit (level 1) → one row in the larger unit → mixed units with decimals → the total in
the larger unit (a decimal answer) → a difference between two named rows among five. Answers use the `numeric`
verifier (canonical: no trailing zeros, `2.75`, `1750`). Legibility: cap height in model pixels, the table fitting
the canvas, contrast of ink and paper.
"""

from __future__ import annotations

import random
from fractions import Fraction

from PIL import ImageDraw

from .. import fonts
from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from . import _text as tx

KNOBS = {
    1: {"rows": [2, 2], "big_share": 0.0, "decimals": False, "question": "total_small"},
    2: {"rows": [2, 2], "big_share": 0.5, "decimals": False, "question": "total_small"},
    3: {"rows": [3, 3], "big_share": 0.5, "decimals": True, "question": "total_small"},
    4: {"rows": [3, 4], "big_share": 0.5, "decimals": True, "question": "total_big"},
    5: {"rows": [4, 5], "big_share": 0.5, "decimals": True, "question": "difference"},
}
QUANTITIES = {   # small unit, big unit, factor, words for the question, row names
    "mass": ("g", "kg", 1000, ("grams", "kilograms"), "weight", ["Flour", "Sugar", "Rice", "Salt", "Oats", "Nuts"]),
    "length": ("cm", "m", 100, ("centimetres", "metres"), "length", ["Rope", "Wire", "Tape", "Cord", "Pipe", "Rod"]),
    "volume": ("mL", "L", 1000, ("millilitres", "litres"), "volume", ["Milk", "Juice", "Water", "Oil", "Soup",
                                                                       "Tea"]),
    "time": ("min", "h", 60, ("minutes", "hours"), "time", ["Walk", "Swim", "Run", "Read", "Cook", "Nap"]),
}
FONTS = ["DejaVuSans", "DejaVuSans-Bold", "DejaVuSerif", "DejaVuSansMono"]
PAD = 0.3


def fmt(v: Fraction) -> str:
    """Canonical decimal text of an exact value: 1750, 2.75, 0.5."""
    if v.denominator == 1:
        return str(v.numerator)
    s = f"{float(v):.6f}".rstrip("0").rstrip(".")
    if Fraction(s) != v:
        raise ValueError(f"{v} has no short decimal form")
    return s


@register
class TableUnits:
    name, kind, knobs = "table_units", "ocr", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        qty = rng.choice(list(QUANTITIES))
        small, big, factor, words, what, pool = QUANTITIES[qty]
        names = rng.sample(pool, rng.randint(*k["rows"]))
        rows = []   # (name, shown value, unit, value in the small unit)
        for name in names:
            if rng.random() < k["big_share"]:
                halves = [Fraction(1, 2), Fraction(1, 4), Fraction(3, 4)] if k["decimals"] else []
                v = rng.randint(1, 3) + (rng.choice([Fraction(0)] + halves) if halves else 0)
                rows.append((name, fmt(Fraction(v)), big, Fraction(v) * factor))
            else:
                step = 50 if factor == 1000 else 5
                v = rng.randrange(step, factor, step)
                rows.append((name, str(v), small, Fraction(v)))
        if k["question"] == "difference":
            a, b = rng.sample(range(len(rows)), 2)
            if rows[a][3] == rows[b][3]:
                return None
            if rows[a][3] < rows[b][3]:
                a, b = b, a
            value = rows[a][3] - rows[b][3]
            question = f"How much more {what} does {rows[a][0]} have than {rows[b][0]}, in {words[0]}?"
            conv = [rows[a], rows[b]]
        else:
            value = sum(r[3] for r in rows)
            in_big = k["question"] == "total_big"
            value = value / factor if in_big else value
            question = f"What is the total {what} of all the rows, in {words[1] if in_big else words[0]}?"
            conv = rows
        try:
            answer = fmt(value)
        except ValueError:
            return None
        said = " ".join(f"{n}: {s} {u} = {fmt(v)} {small}." if u == big else f"{n}: {s} {u}." for n, s, u, v in conv)
        if k["question"] == "difference":
            tail = f"{fmt(conv[0][3])} - {fmt(conv[1][3])} = {answer}."
        elif k["question"] == "total_big":
            tail = f"Sum: {' + '.join(fmt(r[3]) for r in rows)} = {fmt(value * factor)} {small} = {answer} {big}."
        else:
            tail = f"{' + '.join(fmt(r[3]) for r in rows)} = {answer}."
        style = tx.pick_style(rng, level, "".join(n + s + u for n, s, u, _ in rows) + "ItemAmount", FONTS)
        if style is None:
            return None
        style.size = rng.uniform(0.084, 0.095)
        cells = [[n, f"{s} {u}"] for n, s, u, _ in rows]
        return Puzzle(state={"rows": cells}, question=question, answer=answer, answer_type="number",
                      verifier="numeric", reasoning=f"{said} {tail}", scene=(cells, style, level >= 4),
                      distractors=[fmt(value + d) for d in (-10, -5, -1, 1, 5, 10) if value + d > 0],
                      options_from_distractors=True,
                      meta={"question_type": k["question"], "n_rows": len(rows), "quantity": qty,
                            "cells": "; ".join(f"{n}: {a}" for n, a in cells), "font": style.font},
                      steps=[{"name": n, "value": fmt(v)} for n, _, _, v in conv])

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        return [f"{n}: {a}" for n, a in pz.state["rows"]]

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        cells, style, zebra = pz.scene
        size = view.size
        f = fonts.font(style.font, round(style.size * size))
        if fonts.cap_height(style.font) * round(style.size * size) * view.scale < vis.MIN_TEXT_HEIGHT:
            return Rendered(None, "text_height")
        grid = [["Item", "Amount"]] + cells
        pad = PAD * style.size * size
        widths = [max(f.getlength(r[j]) for r in grid) + 2 * pad for j in range(2)]
        asc, desc = f.getmetrics()
        row_h = (asc + desc) * 1.3
        w, h = sum(widths), row_h * len(grid)
        if w > 0.96 * size or h > 0.96 * size:
            return Rendered(None, "fit")
        x0 = rng.uniform(0.02 * size, size - w - 0.02 * size)
        y0 = rng.uniform(0.02 * size, size - h - 0.02 * size)
        im = tx.background(rng, size, style)
        shade = tuple(max(0, v - 18) for v in style.paper)
        if min(tx.region_contrast(im, (int(x0), int(y0), int(x0 + w), int(y0 + h)), style.ink),
               vis.contrast(style.ink, shade)) < vis.MIN_CONTRAST:
            return Rendered(None, "contrast")
        d = ImageDraw.Draw(im)
        line = tuple(max(0, v - 90) for v in style.paper)
        for i, r in enumerate(grid):
            top = y0 + i * row_h
            if i == 0 or (zebra and i % 2 == 0):
                d.rectangle((x0, top, x0 + w, top + row_h), fill=shade)
            d.text((x0 + pad, top + row_h / 2), r[0], font=f, fill=style.ink, anchor="lm")
            d.text((x0 + w - pad, top + row_h / 2), r[1], font=f, fill=style.ink, anchor="rm")
            d.line([(x0, top), (x0 + w, top)], fill=line, width=max(1, size // 150))
        d.line([(x0, y0 + h), (x0 + w, y0 + h)], fill=line, width=max(1, size // 150))
        d.line([(x0 + widths[0], y0), (x0 + widths[0], y0 + h)], fill=line, width=max(1, size // 150))
        return Rendered(tx.add_noise(im, rng, style.noise) if style.noise else im)
