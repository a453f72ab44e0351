"""`clock`: read an analog clock. Canonical answer `H:MM` with H in 1–12 (never 0:15: a released clock set had
exactly that bug).

Difficulty refines the minute (on the hour → quarters → 5 minutes → any minute), drops the numerals (Arabic →
Roman → ticks only) and adds a distracting second hand. The hour hand sits where a real one would (hour + min/60).
Legibility: hand widths, the length difference of the two hands and the spacing of minute ticks, in model pixels.
"""

from __future__ import annotations

import math
import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from ..fonts import cap_height

KNOBS = {
    1: {"minute_step": 60, "numerals": ["arabic"], "minute_ticks": False, "second_hand": False},
    2: {"minute_step": 15, "numerals": ["arabic"], "minute_ticks": False, "second_hand": False},
    3: {"minute_step": 5, "numerals": ["arabic", "roman"], "minute_ticks": True, "second_hand": False},
    4: {"minute_step": 1, "numerals": ["arabic", "roman"], "minute_ticks": True, "second_hand": False},
    5: {"minute_step": 1, "numerals": ["roman", "none"], "minute_ticks": True, "second_hand": True},
}
ROMAN = ["XII", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI"]
FACES = [(255, 255, 255), (250, 244, 225), (232, 240, 250)]
HANDS = [(20, 20, 20), (25, 45, 110), (90, 30, 30)]
R = 0.44           # face radius (canvas fraction)
HOUR_LEN, MIN_LEN = 0.5, 0.84   # hand lengths (fractions of R)
HOUR_W, MIN_W = 0.045, 0.022    # hand widths (canvas fraction)


def canonical(h: int, m: int) -> str:
    """'H:MM' with the hour in 1..12."""
    h = h % 12
    return f"{12 if h == 0 else h}:{m:02d}"


def _point(angle_deg: float, length: float) -> tuple[float, float]:
    a = math.radians(angle_deg - 90)
    return 0.5 + length * math.cos(a), 0.5 + length * math.sin(a)


@register
class Clock:
    name, kind, knobs = "clock", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        h = rng.randint(1, 12)
        m = rng.randrange(0, 60, k["minute_step"])
        numerals = rng.choice(k["numerals"])
        face, hand = rng.randrange(len(FACES)), rng.randrange(len(HANDS))
        sec = rng.randrange(60) if k["second_hand"] else None
        answer = canonical(h, m)
        nxt = h % 12 + 1
        hour_pos = f"points at {h}" if m == 0 else f"is between {h} and {nxt}"
        extra = " The thin red hand counts seconds and is ignored." if sec is not None else ""
        reasoning = (f"The short hour hand {hour_pos}; the long minute hand {self._minute_words(m)}.{extra} "
                     f"The time is {answer}.")
        # a 2×2 design (hour h or h2) × (minute m or m2): every hour and minute value appears in two options,
        # so the answer cannot be found as the "centre" of near-miss distractors (I-RAVEN's lesson)
        h2 = rng.choice([nxt, (h - 2) % 12 + 1, rng.randint(1, 12)])
        h2 = h2 if h2 != h else nxt
        step = 30 if k["minute_step"] == 60 else max(5, k["minute_step"])
        m2 = (m + rng.choice([step, -step, 2 * step])) % 60
        m2 = m2 if m2 != m else (m + step) % 60
        distractors = [canonical(h2, m), canonical(h, m2), canonical(h2, m2)]
        return Puzzle(state={"time": answer, "numerals": numerals, "face": face, "hand": hand, "second": sec},
                      question="What time does the clock show?", answer=answer, answer_type="text",
                      verifier="exact", reasoning=reasoning, scene=(h, m, numerals, face, hand, sec, k),
                      distractors=distractors,
                      meta={"question_type": "read_time", "numerals": numerals, "answer_format": "H:MM"})

    @staticmethod
    def _minute_words(m: int) -> str:
        if m == 0:
            return "points straight up at 12 (0 minutes)"
        if m % 5 == 0:
            return f"points at {m // 5} ({m} minutes)"
        base = m // 5
        return f"is {m % 5} ticks past {base or 12} ({5 * base} + {m % 5} = {m} minutes)"

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        h, m, numerals, face, hand, sec, k = pz.scene
        side = view.model_side
        if MIN_W * side < vis.MIN_STROKE * 1.5 or (MIN_LEN - HOUR_LEN) * R * side < 6:
            return Rendered(None, "hands")
        if k["minute_ticks"] and 2 * math.pi * R * 0.95 * side / 60 < 3 * vis.MIN_STROKE:
            return Rendered(None, "minute_ticks")
        num_h = 0.085
        if numerals != "none" and num_h * cap_height("DejaVuSans") * side < vis.MIN_TEXT_HEIGHT:
            return Rendered(None, "text_height")
        c = Canvas(view.size)
        ink = HANDS[hand]
        c.ellipse(0.5 - R, 0.5 - R, 0.5 + R, 0.5 + R, fill=FACES[face], outline=(40, 40, 40), width=0.018)
        for i in range(60):
            if i % 5 and not k["minute_ticks"]:
                continue
            inner = R * (0.84 if i % 5 == 0 else 0.9)
            c.line([_point(i * 6, inner), _point(i * 6, R * 0.96)], fill=(40, 40, 40),
                   width=0.014 if i % 5 == 0 else 0.007)
        if numerals != "none":
            for i in range(12):
                label = ROMAN[i] if numerals == "roman" else str(12 if i == 0 else i)
                x, y = _point(i * 30, R * 0.68)
                height = num_h * (0.8 if numerals == "roman" and len(label) > 2 else 1.0)
                c.text(x, y, label, "DejaVuSans", height, (40, 40, 40))
        hour_angle = (h % 12) * 30 + m * 0.5
        c.line([(0.5, 0.5), _point(hour_angle, R * HOUR_LEN)], fill=ink, width=HOUR_W)
        c.line([(0.5, 0.5), _point(m * 6, R * MIN_LEN)], fill=ink, width=MIN_W)
        if sec is not None:
            c.line([(0.5, 0.5), _point(sec * 6, R * 0.9)], fill=(210, 40, 40), width=0.008)
        c.ellipse(0.48, 0.48, 0.52, 0.52, fill=ink)
        return Rendered(c.image())
