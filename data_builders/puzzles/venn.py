"""`venn`: a Venn diagram of two or three labelled circles with a count written in every region; how many items
lie in a described region (P but not Q, exactly two sets, none of the sets, ...).

Levels 1–2 use two sets, 3–5 three; the descriptions move from reading one region to adding several ("P or Q",
"exactly one", "at least two") and, at level 5, the count outside every circle ("none of the sets"). Each count is
written at its region's deepest point (the place farthest from every circle's edge), found once per layout on a
grid. The trace names the regions it adds. Legibility: digit cap height, and every number's box lying inside its
region with room to spare, in model pixels.
"""

from __future__ import annotations

import itertools
import math
import random
from functools import lru_cache

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from ..fonts import cap_height
from ._cells import state_json

KNOBS = {
    1: {"sets": 2, "max_count": 9, "questions": ["in", "both", "only"], "outside": False},
    2: {"sets": 2, "max_count": 9, "questions": ["but_not", "or", "exactly_one"], "outside": False},
    3: {"sets": 3, "max_count": 9, "questions": ["all", "both", "only", "in"], "outside": False},
    4: {"sets": 3, "max_count": 9, "questions": ["but_not", "or", "exactly_one", "exactly_two"], "outside": False},
    5: {"sets": 3, "max_count": 9, "questions": ["but_not", "exactly_two", "at_least_two", "none", "or"],
        "outside": True},
}
NAMES = "PQR"
LAYOUTS = {2: ([(0.36, 0.55), (0.64, 0.55)], 0.25), 3: ([(0.36, 0.38), (0.64, 0.38), (0.5, 0.62)], 0.27)}
LABEL_AT = {2: [(0.13, 0.2), (0.87, 0.2)], 3: [(0.08, 0.1), (0.92, 0.1), (0.16, 0.86)]}
OUTSIDE_AT = (0.86, 0.88)
RING_COLORS = [(30, 90, 235), (220, 38, 38), (22, 150, 60)]
FONT, FONT_H = "DejaVuSans", 0.09


def members(n: int, p: tuple[float, float]) -> frozenset[str]:
    centres, r = LAYOUTS[n]
    return frozenset(NAMES[i] for i, c in enumerate(centres) if math.dist(p, c) < r)


@lru_cache(maxsize=None)
def anchors(n: int) -> dict[frozenset, tuple[float, float, float]]:
    """For every region inside the circles: its deepest grid point and that point's distance to the nearest edge."""
    centres, r = LAYOUTS[n]
    best: dict[frozenset, tuple[float, float, float]] = {}
    steps = 120
    for i, j in itertools.product(range(steps + 1), repeat=2):
        p = (i / steps, j / steps)
        m = members(n, p)
        if not m:
            continue
        depth = min(abs(math.dist(p, c) - r) for c in centres)
        if m not in best or depth > best[m][2]:
            best[m] = (p[0], p[1], depth)
    return best


def regions(n: int) -> list[frozenset]:
    return sorted(anchors(n), key=lambda m: (len(m), sorted(m)))


def describe(qtype: str, sets: list[str], rng: random.Random):
    """(phrase, predicate over a region's member set) for a question type."""
    a, b = rng.sample(sets, 2)
    return {"in": (f"in {a}", lambda m: a in m),
            "both": (f"in both {a} and {b}", lambda m: a in m and b in m),
            "only": (f"in {a} only", lambda m: m == {a}),
            "but_not": (f"in {a} but not in {b}", lambda m: a in m and b not in m),
            "or": (f"in {a} or {b} (or both)", lambda m: a in m or b in m),
            "exactly_one": ("in exactly one of the sets", lambda m: len(m) == 1),
            "exactly_two": ("in exactly two of the sets", lambda m: len(m) == 2),
            "at_least_two": ("in at least two of the sets", lambda m: len(m) >= 2),
            "all": ("in all three sets", lambda m: len(m) == 3),
            "none": ("in none of the sets", lambda m: len(m) == 0)}[qtype]


def region_name(m: frozenset) -> str:
    return "outside" if not m else "".join(sorted(m)) + (" only" if len(m) == 1 else "")


@register
class Venn:
    name, kind, knobs = "venn", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n = k["sets"]
        regs = regions(n) + ([frozenset()] if k["outside"] else [])
        counts = {m: rng.randint(1, k["max_count"]) for m in regs}
        qtype = rng.choice(k["questions"])
        phrase, pred = describe(qtype, list(NAMES[:n]), rng)
        chosen = [m for m in regs if pred(m)]
        answer = sum(counts[m] for m in chosen)
        terms = [str(counts[m]) for m in chosen]
        sum_text = f"{' + '.join(terms)} = {answer}" if len(terms) > 1 else str(answer)
        reasoning = (f"Regions {phrase}: {', '.join(region_name(m) for m in chosen)}. {sum_text}.")
        question = (f"The number in each region of the Venn diagram counts the items there. How many items are "
                    f"{phrase}?")
        state = {"sets": n, "counts": {"".join(sorted(m)) or "-": v for m, v in counts.items()}}
        return Puzzle(state=state, question=question, answer=str(answer), answer_type="integer", verifier="integer",
                      reasoning=reasoning, scene=(n, counts),
                      distractors=[str(answer + d) for d in (-3, -1, 1, 2, 4) if answer + d >= 0],
                      meta={"question_type": qtype, "n_regions": len(regs), "state_json": state_json(state)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        n, counts = pz.scene
        side = view.model_side
        if FONT_H * cap_height(FONT) * side < vis.MIN_TEXT_HEIGHT:
            return Rendered(None, "text_height")
        c = Canvas(view.size)
        w, h = c.text_size("8", FONT, FONT_H)
        room = math.hypot(w / 2, h / 2) + 0.012
        if min(d for _, _, d in anchors(n).values()) < room:
            return Rendered(None, "region_room")
        centres, r = LAYOUTS[n]
        c.rect(0.02, 0.02, 0.98, 0.98 if n == 3 else 0.92, outline=(120, 120, 120), width=0.006)
        for (x, y), col in zip(centres, RING_COLORS):
            c.ellipse(x - r, y - r, x + r, y + r, outline=col, width=0.012)
        for i, (x, y) in enumerate(LABEL_AT[n]):
            c.text(x, y, NAMES[i], "DejaVuSans-Bold", FONT_H * 1.1, RING_COLORS[i])
        for m, v in counts.items():
            x, y = OUTSIDE_AT if not m else anchors(n)[m][:2]
            c.text(x, y, str(v), FONT, FONT_H, (30, 30, 30))
        return Rendered(c.image())
