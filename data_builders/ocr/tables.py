"""`tables` (OCR + lookup): a small rendered table — read the cell at a named row and column, find the row with
the largest value in a column, or add up a column.

Difficulty: more rows and columns, larger values, argmax then column-sum questions, smaller font, zebra shading,
clutter and noise. Lookup answers are exact transcriptions (`ocr_exact`), argmax a row name (`exact`), sums
`integer`. Legibility: cap height in model pixels and the table fitting the canvas.
"""

from __future__ import annotations

import random

from PIL import ImageDraw

from .. import fonts
from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from . import _text as tx

KNOBS = {
    1: {"rows": 2, "cols": 2, "max_value": 99, "questions": ["lookup"]},
    2: {"rows": 3, "cols": 2, "max_value": 99, "questions": ["lookup"]},
    3: {"rows": 3, "cols": 3, "max_value": 99, "questions": ["lookup", "argmax"]},
    4: {"rows": 4, "cols": 3, "max_value": 99, "questions": ["lookup", "argmax", "column_sum"]},
    5: {"rows": 5, "cols": 3, "max_value": 999, "questions": ["lookup", "argmax", "column_sum"]},
}
ROW_NAMES = ["Ann", "Bob", "Cal", "Dan", "Eve", "Fay", "Gus", "Kim", "Max", "Ned", "Pam", "Sam", "Tom", "Zoe"]
COLUMN_SETS = [["Mon", "Tue", "Wed", "Thu", "Fri"], ["Pen", "Cup", "Hat", "Bag", "Map"],
               ["Q1", "Q2", "Q3", "Q4", "Q5"]]
PAD = 0.25       # cell padding on each side (em)
FONTS = ["DejaVuSans", "DejaVuSans-Bold", "DejaVuSerif", "DejaVuSansMono", "STIXGeneral"]


@register
class Tables:
    name, kind, knobs = "tables", "ocr", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        rows = rng.sample(ROW_NAMES, k["rows"])
        cols = rng.sample(rng.choice(COLUMN_SETS), k["cols"])
        lo = 10 if k["max_value"] < 100 else 100
        values = [[rng.randint(lo if rng.random() < 0.8 else 1, k["max_value"]) for _ in cols] for _ in rows]
        qtype = rng.choice(k["questions"])
        r, c = rng.randrange(len(rows)), rng.randrange(len(cols))
        column = [values[i][c] for i in range(len(rows))]
        if qtype == "lookup":
            answer, verifier = str(values[r][c]), "ocr_exact"
            question = f"In the table, what is the value in row {rows[r]} and column {cols[c]}?"
            reasoning = f"Row {rows[r]} crosses column {cols[c]} at {answer}."
            # other cells of the same table (near-misses like ±1 would make the answer their "centre")
            distractors = sorted({str(v) for row in values for v in row} - {answer})
            if len(distractors) < 3:
                distractors += [str(values[r][c] + d) for d in (11, 23, 37)][: 3 - len(distractors)]
        elif qtype == "argmax":
            ranked = sorted(range(len(rows)), key=lambda i: -column[i])
            if column[ranked[0]] == column[ranked[1]]:
                return None
            answer, verifier = rows[ranked[0]], "exact"
            question = f"Which row has the largest value in column {cols[c]}?"
            reasoning = (f"Column {cols[c]} holds {', '.join(f'{rows[i]} {column[i]}' for i in range(len(rows)))}."
                         f" The largest is {column[ranked[0]]}, in row {answer}.")
            distractors = [x for x in rows if x != answer] + [x for x in ROW_NAMES if x not in rows][:2]
        else:
            answer, verifier = str(sum(column)), "integer"
            question = f"What is the sum of the values in column {cols[c]}?"
            reasoning = f"Column {cols[c]}: {' + '.join(map(str, column))} = {answer}."
            distractors = [str(sum(column) + d) for d in (-10, -2, -1, 1, 2, 10)]
        text = "".join(rows + cols) + "0123456789"
        style = tx.pick_style(rng, level, text, FONTS)
        if style is None:
            return None
        grid = [[""] + cols] + [[name] + [str(v) for v in row] for name, row in zip(rows, values)]
        ref = fonts.font(style.font, 100)
        width_em = sum(max(ref.getlength(line[j]) for line in grid) / 100 + 2 * PAD for j in range(len(grid[0])))
        style.size = min(style.size, 0.92 / width_em)  # shrink to fit; legibility is checked at render
        return Puzzle(state={"rows": rows, "cols": cols, "values": values}, question=question,
                      answer=answer, answer_type="integer" if verifier == "integer" else "text", verifier=verifier,
                      reasoning=reasoning, scene=(rows, cols, values, style, level >= 4), distractors=distractors,
                      options_from_distractors=qtype == "lookup",
                      meta={"question_type": qtype, "font": style.font, "n_rows": len(rows), "n_cols": len(cols)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        rows, cols, values, style, zebra = pz.scene
        size = view.size
        f = fonts.font(style.font, round(style.size * size))
        if fonts.cap_height(style.font) * round(style.size * size) * view.scale < vis.MIN_TEXT_HEIGHT:
            return Rendered(None, "text_height")
        grid = [[""] + cols] + [[name] + [str(v) for v in row] for name, row in zip(rows, values)]
        pad = PAD * style.size * size
        widths = [max(f.getlength(line[j]) for line in grid) + 2 * pad for j in range(len(grid[0]))]
        asc, desc = f.getmetrics()
        row_h = (asc + desc) * 1.3
        w, h = sum(widths), row_h * len(grid)
        if w > 0.95 * size or h > 0.95 * size:
            return Rendered(None, "fit")
        x0, y0 = rng.uniform(0.02 * size, size - w - 0.02 * size), rng.uniform(0.02 * size, size - h - 0.02 * size)
        im = tx.background(rng, size, style)
        shade = tuple(max(0, v - 18) for v in style.paper)
        if min(tx.region_contrast(im, (int(x0), int(y0), int(x0 + w), int(y0 + h)), style.ink),
               vis.contrast(style.ink, shade)) < vis.MIN_CONTRAST:
            return Rendered(None, "contrast")
        d = ImageDraw.Draw(im)
        for i, line in enumerate(grid):
            top = y0 + i * row_h
            if i == 0 or (zebra and i % 2 == 0):
                d.rectangle((x0, top, x0 + w, top + row_h), fill=shade)
            x = x0
            for j, cell in enumerate(line):
                d.text((x + widths[j] / 2, top + row_h / 2), cell, font=f, fill=style.ink, anchor="mm")
                x += widths[j]
        line_col = tuple(max(0, v - 90) for v in style.paper)
        for i in range(len(grid) + 1):
            d.line([(x0, y0 + i * row_h), (x0 + w, y0 + i * row_h)], fill=line_col, width=max(1, size // 150))
        x = x0
        for wj in [0] + widths:
            x += wj
            d.line([(x, y0), (x, y0 + h)], fill=line_col, width=max(1, size // 150))
        return Rendered(tx.add_noise(im, rng, style.noise) if style.noise else im)
