"""`money`: the total value of drawn coins and notes, in dollars (`1.35`), or the money left after a purchase.

Coins are discs labelled with their value in cents (bigger value, bigger coin), notes are green rectangles
labelled "$1" / "$5". Items sit one per cell of a 3×3 grid. Difficulty: more items, more kinds of coin, notes,
then "how much is left after spending $X". The answer is checked with the `numeric` verifier (so 0.4 and 0.40 are
both right); the canonical form has two decimals. Legibility: label cap height in model pixels, each label
fitting inside its coin, and every item a separate blob at the model's input size.
"""

from __future__ import annotations

import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _kit

KNOBS = {
    1: {"items": [2, 3], "coins": [10, 25], "notes": [], "question": "total"},
    2: {"items": [3, 4], "coins": [5, 10, 25], "notes": [], "question": "total"},
    3: {"items": [3, 5], "coins": [1, 5, 10, 25, 50], "notes": [100], "question": "total"},
    4: {"items": [4, 6], "coins": [1, 5, 10, 25, 50], "notes": [100, 500], "question": "total"},
    5: {"items": [5, 7], "coins": [1, 5, 10, 25, 50], "notes": [100, 500], "question": "left"},
}
COIN_R = {1: 0.105, 5: 0.115, 10: 0.118, 25: 0.13, 50: 0.14}
COIN_FILL = {1: (196, 120, 70), 5: (190, 190, 196), 10: (205, 205, 212), 25: (214, 214, 220), 50: (226, 200, 120)}
NOTE_W, NOTE_H = 0.28, 0.16
NOTE_FILL = (150, 200, 150)
GRID = 3
BACK = (250, 250, 250)


def label(value: int) -> str:
    return f"${value // 100}" if value >= 100 else f"{value}\u00a2"


@register
class Money:
    name, kind, knobs = "money", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n = rng.randint(*k["items"])
        cells = sorted(rng.sample(range(GRID * GRID), n))
        values = [rng.choice(k["notes"]) if k["notes"] and rng.random() < 0.25 else rng.choice(k["coins"])
                  for _ in cells]
        items = [{"cell": c, "value": v, "dx": round(rng.uniform(-0.012, 0.012), 3),
                  "dy": round(rng.uniform(-0.012, 0.012), 3)} for c, v in zip(cells, values)]
        spend = None
        if k["question"] == "left":
            total = sum(values)
            if total < 30:
                return None
            spend = rng.randrange(5, total - 4, 5)
        return self.puzzle(items, spend, level)

    def puzzle(self, items: list[dict], spend: int | None, level: int) -> Puzzle | None:
        values = [it["value"] for it in items]
        total = sum(values)
        if spend is not None and (total - spend <= 0 or total - spend == spend):
            return None  # nothing left, or the answer would be spelled in the question
        parts = " + ".join(f"{v}" for v in values)
        if spend is None:
            question = "What is the total value of the money shown, in dollars?"
            answer = _kit.dollars(total)
            reasoning = f"In cents: {parts} = {total}. Total: ${answer}."
        else:
            answer = _kit.dollars(total - spend)
            question = f"How many dollars are left from the money shown after spending ${_kit.dollars(spend)}?"
            reasoning = (f"In cents: {parts} = {total}. {total} - {spend} = {total - spend}. "
                         f"Left: ${answer}.")
        cents = total - (spend or 0)
        return Puzzle(state={"items": sorted([it["cell"], it["value"]] for it in items), "spend": spend},
                      question=question, answer=answer, answer_type="number", verifier="numeric",
                      reasoning=reasoning, scene={"items": items, "level": level, "spend": spend},
                      distractors=[_kit.dollars(cents + d) for d in (-25, -10, -5, 5, 10, 25) if cents + d > 0],
                      options_from_distractors=True,
                      meta={"question_type": "total" if spend is None else "left", "n_items": len(items),
                            "labels": " ".join(label(v) for v in values)},
                      steps=_kit.steps(("in cents", total), *([("left", answer)] if spend is not None else [])))

    sealed_rule = ("half_dollar_with_five", "a 50-cent coin and a $5 note in the same picture")

    @staticmethod
    def sealed(state) -> bool:
        values = {v for _, v in state["items"]}
        return 50 in values and 500 in values

    def perturb(self, pz: Puzzle, rng: random.Random, level: int) -> tuple[Puzzle, str] | None:
        """Minimal pair: one item is swapped for another denomination of the level (same place)."""
        items = [dict(it) for it in pz.scene["items"]]
        i = rng.randrange(len(items))
        k = KNOBS[level]
        old = items[i]["value"]
        items[i]["value"] = rng.choice([v for v in k["coins"] + k["notes"] if v != old])
        new = self.puzzle(items, pz.scene["spend"], level)
        return None if new is None else (new, f"item {i + 1}: {label(old)} -> {label(items[i]['value'])}")

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        return [f"Money in reading order: {', '.join(pz.meta['labels'].split())}."]

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        h = _kit.TEXT_H
        if not _kit.text_ok(h, view):
            return Rendered(None, "text_height")
        c = Canvas(view.size, background=BACK)
        for it in pz.scene["items"]:
            x = (it["cell"] % GRID + 0.5) / GRID + it["dx"]
            y = (it["cell"] // GRID + 0.5) / GRID + it["dy"]
            text = label(it["value"])
            if it["value"] >= 100:
                c.rect(x - NOTE_W / 2, y - NOTE_H / 2, x + NOTE_W / 2, y + NOTE_H / 2, fill=NOTE_FILL,
                       outline=(60, 110, 60), width=0.008)
            else:
                r = COIN_R[it["value"]]
                if _kit.text_width(text, h) > 1.8 * r:
                    return Rendered(None, "label_fit")
                c.ellipse(x - r, y - r, x + r, y + r, fill=COIN_FILL[it["value"]], outline=(90, 90, 90), width=0.006)
            c.text(x, y, text, _kit.FONT, h, (20, 20, 20))
        image = c.image()
        if vis.count_components(vis.ink_mask(view.to_model(image), BACK, 12)) != len(pz.scene["items"]):
            return Rendered(None, "items_touch")  # every coin and note a separate blob at the model's size
        return Rendered(image)
