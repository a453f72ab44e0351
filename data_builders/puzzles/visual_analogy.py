"""`visual_analogy`: A is to B as C is to ? — describe the missing picture.

Each picture holds 1–4 copies of one shape with a colour and a size. From A to B one attribute changes (two at
level 5): colour or shape (A's value is replaced by B's, and C shares A's value), size (small ↔ large) or count
(+k, applied to C's own count). C differs from A in something else, so the answer is never a copy of B. The answer
names the attributes the level asks for, in a fixed order: `[number] [size] colour shape` (e.g. `blue square`,
`3 large red stars`); the `exact` verifier compares it after case folding. Legibility: object area and gaps in
model pixels (the objects of a picture never touch).
"""

from __future__ import annotations

import random

from ..core import Puzzle, Rendered, register
from ..draw import COLOR_NAMES, COLORS, Canvas, plural
from . import _kit
from ._scene import Obj, check_objects

KNOBS = {
    1: {"changes": [["color"]], "answer": ["color", "shape"], "counts": [1, 1]},
    2: {"changes": [["color"], ["shape"]], "answer": ["color", "shape"], "counts": [1, 1]},
    3: {"changes": [["color"], ["shape"], ["size"]], "answer": ["size", "color", "shape"], "counts": [1, 1]},
    4: {"changes": [["count"], ["color"], ["shape"]], "answer": ["count", "color", "shape"], "counts": [1, 4]},
    5: {"changes": [["count", "color"], ["count", "shape"], ["size", "color"], ["count", "size"]],
        "answer": ["count", "size", "color", "shape"], "counts": [1, 4]},
}
SHAPES = ["circle", "square", "triangle", "star"]
SIZES = {"small": 0.045, "large": 0.075}
PANELS = {"A": (0.25, 0.26), "B": (0.75, 0.26), "C": (0.25, 0.74), "D": (0.75, 0.74)}
PANEL = 0.44
SLOTS = {1: [(0, 0)], 2: [(-1, 0), (1, 0)], 3: [(-1, -1), (1, -1), (0, 1)], 4: [(-1, -1), (1, -1), (-1, 1), (1, 1)]}
FORMAT = {"count": "number", "size": "size", "color": "colour", "shape": "shape"}


def phrase(fig: dict, attrs: list[str]) -> str:
    """The canonical answer text of a figure: e.g. '3 large red stars'."""
    words = []
    for a in attrs:
        if a == "shape":
            words.append(plural(fig["shape"], fig["count"]) if "count" in attrs else fig["shape"])
        else:
            words.append(str(fig[a]))
    return " ".join(words)


@register
class VisualAnalogy:
    name, kind, knobs = "visual_analogy", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        changes = rng.choice(k["changes"])
        lo, hi = k["counts"]
        a = {"color": rng.choice(COLOR_NAMES), "shape": rng.choice(SHAPES), "size": rng.choice(list(SIZES)),
             "count": rng.randint(lo, hi)}
        if "size" not in k["answer"]:
            a["size"] = "large"
        b, c = dict(a), dict(a)
        for attr in changes:
            if attr == "count":
                b["count"] = rng.choice([v for v in range(lo, hi + 1) if v != a["count"]])
            elif attr == "size":
                b["size"] = "small" if a["size"] == "large" else "large"
            else:
                pool = COLOR_NAMES if attr == "color" else SHAPES
                b[attr] = rng.choice([v for v in pool if v != a[attr]])
        free = [x for x in k["answer"] if x not in changes and x != "size"]
        other = rng.choice(free)
        if other == "count":
            c["count"] = rng.choice([v for v in range(lo, hi + 1) if v != a["count"]])
        else:
            c[other] = rng.choice([v for v in (COLOR_NAMES if other == "color" else SHAPES) if v != a[other]])
        return self.puzzle(a, b, c, changes, level)

    def puzzle(self, a: dict, b: dict, c: dict, changes: list[str], level: int) -> Puzzle | None:
        lo, hi = KNOBS[level]["counts"]
        d = dict(c)
        for attr in changes:
            d[attr] = c["count"] + b["count"] - a["count"] if attr == "count" else b[attr]
        if not lo <= d["count"] <= hi:
            return None
        attrs = KNOBS[level]["answer"]
        answer = phrase(d, attrs)
        fmt = " ".join(FORMAT[x] for x in attrs)
        question = ("The top pair of pictures shows a change. Apply the same change to the bottom-left picture. "
                    f"What belongs in the box with the question mark? Answer as: {fmt}.")
        said = "; ".join(self._change_words(attr, a, b) for attr in changes)
        steps = _kit.steps(*((f"new {FORMAT[attr]}", d[attr]) for attr in changes))
        reasoning = f"Changed: {said}. C: {phrase(c, attrs)}. " + " ".join(
            f"New {FORMAT[attr]}: {d[attr]}." for attr in changes) + f" So {answer}."
        figs = {"A": a, "B": b, "C": c}
        distractors = [phrase(f, attrs) for f in (b, c, a)] + [phrase({**d, "color": x}, attrs) for x in COLOR_NAMES]
        return Puzzle(state={p: [f["count"], f["size"], f["color"], f["shape"]] for p, f in figs.items()},
                      question=question, answer=answer, answer_type="text", verifier="exact", reasoning=reasoning,
                      scene={"figs": figs, "changes": changes, "level": level},
                      distractors=[x for x in dict.fromkeys(distractors) if x != answer],
                      meta={"question_type": "+".join(changes), "changes": len(changes),
                            "panels": "; ".join(f"{p}: {phrase(f, ['count', 'size', 'color', 'shape'])}"
                                                for p, f in figs.items())},
                      steps=steps)

    @staticmethod
    def _change_words(attr: str, a: dict, b: dict) -> str:
        if attr == "count":
            diff = b["count"] - a["count"]
            return f"number {a['count']} to {b['count']} ({'+' if diff > 0 else '-'}{abs(diff)})"
        return f"{FORMAT[attr]} {a[attr]} to {b[attr]}"

    def perturb(self, pz: Puzzle, rng: random.Random, level: int) -> tuple[Puzzle, str] | None:
        """Minimal pair: picture C changes in one attribute that the answer carries over (A and B stay)."""
        figs, changes = pz.scene["figs"], pz.scene["changes"]
        c = dict(figs["C"])
        lo, hi = KNOBS[level]["counts"]
        free = [x for x in KNOBS[level]["answer"] if x not in changes and x != "size"]
        attr = rng.choice(free)
        if attr == "count":
            pool = [v for v in range(lo, hi + 1) if v not in (c["count"], figs["A"]["count"])]
        else:
            pool = [v for v in (COLOR_NAMES if attr == "color" else SHAPES) if v not in (c[attr], figs["A"][attr])]
        if not pool:
            return None
        old, c[attr] = c[attr], rng.choice(pool)
        new = self.puzzle(figs["A"], figs["B"], c, changes, level)
        return None if new is None else (new, f"picture C {FORMAT[attr]}: {old} -> {c[attr]}")

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        full = ["count", "size", "color", "shape"]
        a, b, c = (phrase(pz.scene["figs"][p], full) for p in "ABC")
        return [f"Top left: {a}. Top right: {b}. Bottom left: {c}. Bottom right: a question mark."]

    @staticmethod
    def objects(pz: Puzzle) -> list[Obj]:
        out = []
        for p, f in pz.scene["figs"].items():
            px, py = PANELS[p]
            r = SIZES[f["size"]]
            for dx, dy in SLOTS[f["count"]]:
                out.append(Obj(f["shape"], f["color"], px + dx * 0.1, py + dy * 0.1, r))
        return out

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        objs = self.objects(pz)
        reason = check_objects(objs, view)
        if reason:
            return Rendered(None, reason)
        if not _kit.text_ok(0.12, view):
            return Rendered(None, "text_height")
        cv = Canvas(view.size)
        for p, (x, y) in PANELS.items():
            cv.rect(x - PANEL / 2, y - PANEL / 2, x + PANEL / 2, y + PANEL / 2, fill=(248, 248, 248),
                    outline=(150, 150, 150), width=0.006)
        for o in objs:
            cv.shape(o.shape, o.x, o.y, o.r, COLORS[o.color])
        cv.text(*PANELS["D"], "?", _kit.FONT, 0.14, (90, 90, 90))
        return Rendered(cv.image())
