"""What the families look like: a per-family summary for `mmreason build --list` and contact sheets.

`describe_family` draws a few puzzles per level (no rendering) and reports the answer types, verifiers and question
types it saw next to the family's knobs. `contact_sheet` renders a family's first items at every level (the same
items a build with that seed makes, legibility checks included) into one small PNG: one row per level, each tile
the image as the generator made it with its question and gold answer underneath.

    write_contact_sheets("puzzles", "data_builders/contact_sheets", seed=0)   # one <family>.png per family
"""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

from . import fonts
from .core import FAMILIES, KINDS, LEVELS, get_family, item_rng, load_families, resolve_families
from .generate import generate_stream
from .visibility import View

TILE = 168              # thumbnail side (pixels)
CAPTION_LINES = 6       # question lines under a thumbnail (the answer gets its own line)
FONT_PX, LINE_PX = 9, 11
PAD, LEFT, TOP = 6, 30, 26
SHEET_TARGET_BYTES = 80_000   # contact sheets are committed: keep each well under 100 KB


def describe_family(kind: str, name: str, draws: int = 40, seed: int = 0) -> dict[str, Any]:
    """Answer types, verifiers and question types seen in `draws` samples per level, and the knobs per level."""
    fam = get_family(kind, name)
    answers: Counter = Counter()
    questions: Counter = Counter()
    for level in LEVELS:
        for i in range(draws):
            pz = fam.sample(item_rng(kind, name, "train", level, 10**7 + i, seed, 0), level)
            if pz is not None:
                answers[f"{pz.answer_type} ({pz.verifier})"] += 1
                questions[str(pz.meta.get("question_type", "-"))] += 1
    return {"name": name, "kind": kind, "answers": sorted(answers), "question_types": sorted(questions),
            "knobs": {level: fam.knobs[level] for level in LEVELS}}


def list_lines(kinds: list[str] | None = None) -> list[str]:
    """The text `mmreason build --list` prints: every family of the kinds, its answers and knobs per level."""
    import json

    load_families()
    out = []
    for kind in kinds or list(KINDS):
        names = FAMILIES[kind].names()
        out.append(f"{kind} ({len(names)} families)")
        for name in names:
            d = describe_family(kind, name)
            out.append(f"  {name}  [kind: {kind}]  answers: {', '.join(d['answers'])}  "
                       f"questions: {', '.join(d['question_types'])}")
            for level, knobs in d["knobs"].items():
                out.append(f"    {level}: {json.dumps(knobs, ensure_ascii=False)}")
    return out


def _font(bold: bool = False):
    return fonts.font("DejaVuSans-Bold" if bold else "DejaVuSans", FONT_PX)


def _thumbnail(image, smooth: bool = False) -> Image.Image:
    """The item's image (or its images side by side) fitted into a TILE × TILE square; `smooth` median-filters
    it (pixel noise is what makes noisy OCR sheets large)."""
    images = image if isinstance(image, list) else [image] if image is not None else []
    tile = Image.new("RGB", (TILE, TILE), "white")
    if not images:  # a text-only item: the tile says so, the caption holds the question
        ImageDraw.Draw(tile).text((8, TILE // 2 - FONT_PX), "(text only, no image)", fill=(120, 120, 120),
                                  font=_font())
        return tile
    w = TILE // len(images)
    for k, im in enumerate(images):
        im = im.convert("RGB")
        scale = min(w / im.width, TILE / im.height)
        small = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.LANCZOS)
        tile.paste(small, (k * w + (w - small.width) // 2, (TILE - small.height) // 2))
        if k:  # a rule between the images of a multi-image item
            ImageDraw.Draw(tile).line([(k * w, 0), (k * w, TILE)], fill=(150, 150, 150))
    return tile.filter(ImageFilter.MedianFilter(3)) if smooth else tile


def _caption(question: str, answer: str) -> list[tuple[str, bool]]:
    """Wrapped question lines (at most CAPTION_LINES, the last one cut with '…') and the answer line (bold)."""
    width = max(10, int(TILE / (FONT_PX * 0.55)))
    lines = textwrap.wrap(" ".join(question.split()), width) or [""]
    if len(lines) > CAPTION_LINES:
        lines = lines[:CAPTION_LINES]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    answer_line = textwrap.shorten("→ " + " ".join(answer.split()), width, placeholder="…")
    return [(line, False) for line in lines] + [(answer_line, True)]


def sheet_items(kind: str, name: str, seed: int = 0, per_level: int = 3, image_size: int = 224,
                view: View | None = None) -> dict[int, list[tuple[Any, str, str]]]:
    """(image, question, answer) of the family's first `per_level` items at each level, as a build makes them."""
    fam = get_family(kind, name)
    view = view or View(image_size)
    return {level: [(it.image, it.row["question"], it.row["answer"])
                    for it in generate_stream(fam, "train", level, seed, per_level, view)] for level in LEVELS}


def compose(title: str, items: dict[int, list[tuple[Any, str, str]]], smooth: bool = False) -> Image.Image:
    """One row per level: thumbnails with their question and (in red) gold answer underneath."""
    per_level = max(len(v) for v in items.values())
    cell_h = TILE + (CAPTION_LINES + 1) * LINE_PX + 2 * PAD
    sheet = Image.new("RGB", (LEFT + per_level * (TILE + PAD) + PAD, TOP + len(items) * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((PAD, 6), title + (" (thumbnails median-smoothed to keep the file small)" if smooth else ""),
              font=_font(True), fill=(20, 20, 20))
    for row, (level, row_items) in enumerate(sorted(items.items())):
        y = TOP + row * cell_h
        draw.line([(0, y - 2), (sheet.width, y - 2)], fill=(200, 200, 200))
        draw.text((6, y + TILE // 2 - 6), f"L{level}", font=_font(True), fill=(20, 20, 20))
        for col, (image, question, answer) in enumerate(row_items):
            x = LEFT + col * (TILE + PAD)
            sheet.paste(_thumbnail(image, smooth), (x, y + PAD))
            draw.rectangle((x, y + PAD, x + TILE - 1, y + PAD + TILE - 1), outline=(190, 190, 190))
            for k, (line, bold) in enumerate(_caption(question, answer)):
                draw.text((x, y + PAD + TILE + 3 + k * LINE_PX), line, font=_font(bold),
                          fill=(170, 30, 30) if bold else (40, 40, 40))
    return sheet


def contact_sheet(kind: str, name: str, seed: int = 0, per_level: int = 3, image_size: int = 224) -> Image.Image:
    """A grid of the family's first `per_level` items at each level 1–5 with their questions and answers."""
    return compose(f"{name} ({kind}): {per_level} items per level, seed {seed}",
                   sheet_items(kind, name, seed, per_level, image_size))


def sheet_png(sheet: Image.Image, colors: int = 128) -> bytes:
    """A small, deterministic PNG: an adaptive maximum-coverage palette (keeps rare colours such as a thin green
    line true; no dithering), no metadata."""
    import io

    buf = io.BytesIO()
    sheet.quantize(colors=colors, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE).save(
        buf, format="PNG", optimize=True)
    return buf.getvalue()


def small_sheet_png(kind: str, name: str, seed: int = 0, per_level: int = 3, image_size: int = 224,
                    limit: int = SHEET_TARGET_BYTES) -> bytes:
    """The contact sheet as a PNG under `limit` bytes where possible: fewer palette colours first, then
    median-smoothed thumbnails (noisy OCR backgrounds), whichever comes first."""
    items = sheet_items(kind, name, seed, per_level, image_size)
    title = f"{name} ({kind}): {per_level} items per level, seed {seed}"
    data = b""
    for smooth, colors in ((False, 128), (False, 64), (True, 64), (True, 32)):
        data = sheet_png(compose(title, items, smooth), colors)
        if len(data) <= limit:
            break
    return data


def _targets(kind: str | None, families: list[str] | str | None) -> list[tuple[str, str]]:
    """(kind, family) pairs to draw: the named families (of `kind`, or of whichever kind has each name when
    `kind` is None), else every family of the kind(s); unknown names raise with a did-you-mean."""
    load_families()
    if kind or not families:
        return [(k, name) for k in ([kind] if kind else list(KINDS)) for name in resolve_families(k, families)]
    names = [f.strip() for f in (families.split(",") if isinstance(families, str) else families) if f.strip()]
    out = []
    for name in names:
        owner = next((k for k in KINDS if name in FAMILIES[k].names()), None)
        out.append((owner, name) if owner else (KINDS[0], resolve_families(KINDS[0], [name])[0]))
    return out


def write_contact_sheets(kind: str | None, out_dir: str | Path, families: list[str] | str | None = None,
                         seed: int = 0, per_level: int = 3, image_size: int = 224) -> list[Path]:
    """Write `<out_dir>/<family>.png` for each requested family (all kinds when `kind` is None)."""
    targets = _targets(kind, families)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for k, name in targets:
        path = out / f"{name}.png"
        path.write_bytes(small_sheet_png(k, name, seed, per_level, image_size))
        written.append(path)
    return written
