"""`receipt` (OCR + arithmetic): a till receipt rendered as an image — read the total or an item's price, find the
dearest item, add up the lines, multiply quantities by unit prices, add a percentage tax.

Lines are monospaced and at most 18 characters wide, so the cap height stays at the model's minimum at 224 px.
Difficulty: read the TOTAL line or a price (level 1) → the dearest item → add the lines (no total printed) →
quantity × unit price lines → a tax line. Money answers have two decimals and use the `numeric` verifier (8.8 and
8.80 both count); item names use `exact`. Legibility: cap height, fit and contrast through `_text.render_block`.
"""

from __future__ import annotations

import random

from ..core import Puzzle, Rendered, register
from ..puzzles import _kit
from . import _text as tx

KNOBS = {
    1: {"items": [2, 2], "questions": ["read_total", "price_of"], "lines": "amount"},
    2: {"items": [3, 3], "questions": ["price_of", "dearest", "read_total"], "lines": "amount"},
    3: {"items": [3, 4], "questions": ["sum_lines"], "lines": "amount"},
    4: {"items": [3, 4], "questions": ["sum_quantities"], "lines": "quantity"},
    5: {"items": [3, 4], "questions": ["with_tax"], "lines": "amount"},
}
ITEMS = ["Milk", "Bread", "Eggs", "Tea", "Jam", "Rice", "Soap", "Salt", "Oil", "Fish", "Cake", "Pears", "Plums",
         "Corn", "Soup", "Beans", "Nuts", "Honey", "Flour", "Apple"]
SHOPS = ["CORNER SHOP", "MARKET", "DELI", "BAKERY", "MINI MART", "GROCER"]
FONTS = ["DejaVuSansMono", "DejaVuSansMono-Bold"]
WIDTH = 13


def line(name: str, cents: int) -> str:
    amount = _kit.dollars(cents)
    return f"{name}{' ' * (WIDTH - len(name) - len(amount))}{amount}"


@register
class Receipt:
    name, kind, knobs = "receipt", "ocr", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        names = rng.sample(ITEMS, rng.randint(*k["items"]))
        step = 10 if level == 5 else 5  # tax of 10% on whole dimes stays in whole cents
        prices = [rng.randrange(50, 1000, step) for _ in names]
        qty = [rng.randint(2, 4) if k["lines"] == "quantity" else 1 for _ in names]
        amounts = [p * q for p, q in zip(prices, qty)]
        q = rng.choice(k["questions"])
        lines = [rng.choice(SHOPS)]
        if k["lines"] == "quantity":
            lines += [f"{n:<6}{c}x{_kit.dollars(p)}" for n, c, p in zip(names, qty, prices)]
        else:
            lines += [line(n, a) for n, a in zip(names, amounts)]
        total = sum(amounts)
        if q in ("read_total", "price_of", "dearest"):
            lines.append(line("TOTAL", total))
        if q == "with_tax":
            lines.append("TAX 10%")
        made = self._question(rng, q, names, amounts, qty, prices, total)
        if made is None:
            return None
        question, answer, verifier, reasoning, steps = made
        style = tx.pick_style(rng, level, "".join(lines), FONTS)
        if style is None:
            return None
        style.size, style.angle = rng.uniform(0.084, 0.09), max(-3.0, min(3.0, style.angle))
        distractors = (sorted(set(names) - {answer}) + ["Salt", "Tea"] if verifier == "exact"
                       else [_kit.dollars(int(round(float(answer) * 100)) + d) for d in (-100, -10, 10, 100)])
        return Puzzle(state={"lines": lines}, question=question, answer=answer,
                      answer_type="text" if verifier == "exact" else "number", verifier=verifier,
                      reasoning=reasoning, scene=(lines, style), distractors=distractors[:6],
                      options_from_distractors=True,
                      meta={"question_type": q, "n_lines": len(lines), "text": "\n".join(lines), "font": style.font},
                      steps=steps)

    @staticmethod
    def _question(rng, q, names, amounts, qty, prices, total):
        money = _kit.dollars
        if q == "read_total":
            return ("What is the total on the receipt?", money(total), "numeric",
                    f"The TOTAL line reads {money(total)}.", [])
        if q == "price_of":
            i = rng.randrange(len(names))
            if amounts.count(amounts[i]) > 1 or amounts[i] == total:
                return None
            return (f"How much did the {names[i]} cost on the receipt?", money(amounts[i]), "numeric",
                    f"The {names[i]} line reads {money(amounts[i])}.", [])
        said = ", ".join(f"{n} {money(a)}" for n, a in zip(names, amounts))
        if q == "dearest":
            top = max(amounts)
            if amounts.count(top) > 1:
                return None
            best = names[amounts.index(top)]
            return ("Which item on the receipt cost the most?", best, "exact",
                    f"{said}. The largest is {money(top)}: {best}.", _kit.steps(*zip(names, map(money, amounts))))
        plus = " + ".join(money(a) for a in amounts)
        if q == "sum_lines":
            return ("No total is printed. What do the items on the receipt add up to?", money(total), "numeric",
                    f"{said}. {plus} = {money(total)}.", _kit.steps(*zip(names, map(money, amounts))))
        if q == "sum_quantities":
            each = " ".join(f"{n}: {c} × {money(p)} = {money(a)}." for n, c, p, a in zip(names, qty, prices, amounts))
            return ("Each line shows quantity x unit price. What is the total to pay?", money(total), "numeric",
                    f"{each} {plus} = {money(total)}.", _kit.steps(*zip(names, map(money, amounts))))
        tax = total // 10
        return ("The tax is added to the items. What is the total to pay, including tax?", money(total + tax),
                "numeric", f"Subtotal: {plus} = {money(total)}. Tax: {money(total)} × 10% = {money(tax)}. "
                f"{money(total)} + {money(tax)} = {money(total + tax)}.",
                _kit.steps(("subtotal", money(total)), ("tax", money(tax))))

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        return pz.state["lines"]

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        lines, style = pz.scene
        return tx.render_block(rng, lines, style, view)
