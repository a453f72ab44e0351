"""`cards`: playing cards — count the cards of a suit, or add up the values of (some of) the cards.

Cards lie one per cell of a 3×2 grid (reading order = cell order), each with its rank in the top-left corner and a
large suit symbol (♠ ♣ black, ♥ ♦ red). Difficulty: suit counting (level 1) → sums of number cards → sums of the
red cards with aces → sums of one suit with picture cards (J, Q, K) → six cards. Card values are stated in words
in the question (digits there could spell the answer). Legibility: rank cap height and symbol size in model
pixels; the glyphs are checked to exist in the font.
"""

from __future__ import annotations

import random

from .. import fonts
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _kit

KNOBS = {
    1: {"cards": [3, 4], "ranks": "number", "question": "count_suit"},
    2: {"cards": [3, 4], "ranks": "number", "question": "sum_all"},
    3: {"cards": [3, 4], "ranks": "ace", "question": "sum_red"},
    4: {"cards": [4, 5], "ranks": "all", "question": "sum_suit"},
    5: {"cards": [5, 6], "ranks": "all", "question": "sum_suit"},
}
SUITS = {"spade": "\u2660", "heart": "\u2665", "diamond": "\u2666", "club": "\u2663"}
RED_SUITS = ("heart", "diamond")
RANKS = {"number": [str(v) for v in range(2, 11)], "ace": ["A"] + [str(v) for v in range(2, 11)],
         "all": ["A"] + [str(v) for v in range(2, 11)] + ["J", "Q", "K"]}
VALUE = {"A": 1, "J": 11, "Q": 12, "K": 13, **{str(v): v for v in range(2, 11)}}
RULES = {"number": "", "ace": " An ace counts as one.",
         "all": " An ace counts as one; J, Q and K count eleven, twelve and thirteen."}
GRID = (3, 2)
CARD_W, CARD_H = 0.21, 0.3
RED, BLACK = (205, 30, 30), (20, 20, 20)
RANK_H, SUIT_H = _kit.TEXT_H, 0.16


@register
class Cards:
    name, kind, knobs = "cards", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n = rng.randint(*k["cards"])
        cells = sorted(rng.sample(range(GRID[0] * GRID[1]), n))
        suit = rng.choice(list(SUITS)) if k["question"] in ("count_suit", "sum_suit") else None
        suits = [rng.choice(list(SUITS)) for _ in cells]
        if k["question"] == "count_suit":  # the answer first (uniform over 0..min(3, n)), then the other suits
            t = rng.randint(0, min(3, n))
            suits = [suit] * t + [rng.choice([s for s in SUITS if s != suit]) for _ in range(n - t)]
            rng.shuffle(suits)
        cards = [{"cell": c, "rank": rng.choice(RANKS[k["ranks"]]), "suit": s} for c, s in zip(cells, suits)]
        if len({(c["rank"], c["suit"]) for c in cards}) < n:
            return None  # one deck: no card twice
        return self.puzzle(cards, suit, level)

    def puzzle(self, cards: list[dict], suit: str | None, level: int) -> Puzzle | None:
        q = KNOBS[level]["question"]
        rule = RULES[KNOBS[level]["ranks"]]
        names = ", ".join(f"{c['rank']} {c['suit']}" for c in cards)
        if q == "count_suit":
            total = sum(c["suit"] == suit for c in cards)
            question = f"How many {suit}s are among the cards?"
            reasoning = f"Suits: {', '.join(c['suit'] for c in cards)}. {total} {suit}{'s' if total != 1 else ''}."
            steps = _kit.steps(*((f"suit {i + 1}", c["suit"]) for i, c in enumerate(cards)))
        else:
            pick = {"sum_all": lambda c: True, "sum_red": lambda c: c["suit"] in RED_SUITS,
                    "sum_suit": lambda c: c["suit"] == suit}[q]
            counted = [(i + 1, c) for i, c in enumerate(cards) if pick(c)]
            if not counted:
                return None
            total = sum(VALUE[c["rank"]] for _, c in counted)
            what = {"sum_all": "all the cards", "sum_red": "the red cards", "sum_suit": f"the {suit}s"}[q]
            question = f"What is the sum of the values of {what}?{rule}"
            said = ", ".join(f"card {i}: {VALUE[c['rank']]}" for i, c in counted)
            arith = (f"{' + '.join(str(VALUE[c['rank']]) for _, c in counted)} = {total}" if len(counted) > 1
                     else f"Total {total}")
            head = {"sum_all": "", "sum_red": "Red cards: ", "sum_suit": f"{suit.capitalize() if suit else ''}s: "}[q]
            reasoning = f"{head}{said}. {arith}." if head else f"{said.capitalize()}. {arith}."
            steps = _kit.steps(*((f"card {i}", VALUE[c["rank"]]) for i, c in counted))
        return Puzzle(state={"cards": sorted([c["cell"], c["rank"], c["suit"]] for c in cards)}, question=question,
                      answer=str(total), answer_type="integer", verifier="integer", reasoning=reasoning,
                      scene={"cards": cards, "suit": suit, "level": level},
                      distractors=[str(total + d) for d in (-3, -2, -1, 1, 2, 3) if total + d >= 0],
                      meta={"question_type": q, "n_cards": len(cards), "cards": names}, steps=steps)

    def perturb(self, pz: Puzzle, rng: random.Random, level: int) -> tuple[Puzzle, str] | None:
        """Minimal pair: one card changes suit (suit counts) or rank (sums); everything else stays."""
        sc = pz.scene
        cards = [dict(c) for c in sc["cards"]]
        i = rng.randrange(len(cards))
        if KNOBS[level]["question"] == "count_suit":
            field, pool = "suit", list(SUITS)
        else:
            field, pool = "rank", RANKS[KNOBS[level]["ranks"]]
        old = cards[i][field]
        cards[i][field] = rng.choice([v for v in pool if v != old])
        if len({(c["rank"], c["suit"]) for c in cards}) < len(cards):
            return None
        new = self.puzzle(cards, sc["suit"], level)
        if new is None or new.answer == pz.answer:
            return None
        return new, f"card {i + 1}: {field} {old} -> {cards[i][field]}"

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        return [f"Cards in reading order: {pz.meta['cards']}."]

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        if not _kit.text_ok(RANK_H, view) or not fonts.covers(_kit.FONT, "".join(SUITS.values()) + "10AJQK"):
            return Rendered(None, "text_height")
        c = Canvas(view.size, background=(40, 110, 60))
        for card in pz.scene["cards"]:
            cx = (card["cell"] % GRID[0] + 0.5) / GRID[0]
            cy = (card["cell"] // GRID[0] + 0.5) / GRID[1]
            x0, y0 = cx - CARD_W / 2, cy - CARD_H / 2
            c.rect(x0, y0, x0 + CARD_W, y0 + CARD_H, fill=(252, 252, 250), outline=(120, 120, 120), width=0.006)
            ink = RED if card["suit"] in RED_SUITS else BLACK
            c.text(x0 + 0.012, y0 + 0.012, card["rank"], _kit.FONT, RANK_H, ink, anchor="lt")
            c.text(cx + 0.02, cy + 0.05, SUITS[card["suit"]], _kit.FONT, SUIT_H, ink)
        return Rendered(c.image())
