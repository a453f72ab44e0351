"""`calendar`: questions about a drawn month grid — the weekday of a date, how many Mondays, the date of the third
Thursday, the weekday some days later or of the next month's first day.

The state is a real month (year 2000–2039) laid out with weeks starting on Monday or Sunday; weekday arithmetic
is the generator's own (Sakamoto's rule and the Gregorian leap rule), and the test re-derives every answer with
Python's `datetime`. Difficulty: dates in the first week → any date → weekday counts → n-th weekday → offsets and
the next month; Sunday-first weeks from level 3. Weekday answers are full English names (`exact`), dates and counts
integers. Legibility: cap height of the numbers and headers in model pixels, each header inside its column.
"""

from __future__ import annotations

import random

from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _kit

KNOBS = {
    1: {"questions": ["weekday_first_week"], "week_starts": ["Mon"]},
    2: {"questions": ["weekday_of"], "week_starts": ["Mon"]},
    3: {"questions": ["weekday_of", "count_weekday"], "week_starts": ["Mon", "Sun"]},
    4: {"questions": ["count_weekday", "nth_weekday", "weekday_of"], "week_starts": ["Mon", "Sun"]},
    5: {"questions": ["nth_weekday", "days_after", "next_month_first"], "week_starts": ["Mon", "Sun"]},
}
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SHORT = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
ORDINAL = {1: "first", 2: "second", 3: "third", 4: "fourth"}
COL_W, TOP, ROW_H = 0.135, 0.27, 0.12
HEADS = [(225, 232, 245), (235, 245, 228), (248, 234, 222)]   # nuisance: header tint


def leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def month_days(y: int, m: int) -> int:
    return 29 if m == 2 and leap(y) else [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]


def weekday(y: int, m: int, d: int) -> int:
    """0 = Monday … 6 = Sunday (Sakamoto's method)."""
    t = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
    yy = y - 1 if m < 3 else y
    sunday_based = (yy + yy // 4 - yy // 100 + yy // 400 + t[m - 1] + d) % 7
    return (sunday_based + 6) % 7


def th(d: int) -> str:
    return f"{d}{'th' if 10 <= d % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"


@register
class Calendar:
    name, kind, knobs = "calendar", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        y, m = rng.randint(2000, 2039), rng.randint(1, 12)
        start = rng.choice(k["week_starts"])
        first, n = weekday(y, m, 1), month_days(y, m)
        offset = (first - (0 if start == "Mon" else 6)) % 7
        if (offset + n + 6) // 7 > 6:
            return None
        cal = {"y": y, "m": m, "start": start, "first": first, "n": n, "offset": offset}
        q = rng.choice(k["questions"])
        made = getattr(self, f"_q_{q}")(rng, cal)
        if made is None:
            return None
        question, answer, reasoning, steps = made
        cols = SHORT if start == "Mon" else SHORT[6:] + SHORT[:6]
        verifier = "integer" if answer.isdigit() else "exact"
        return Puzzle(state={"year": y, "month": m, "week_start": start, "head": rng.randrange(len(HEADS))},
                      question=question, answer=answer, answer_type="integer" if verifier == "integer" else "text",
                      verifier=verifier, reasoning=reasoning, scene=cal,
                      distractors=([str(int(answer) + d) for d in (-7, -1, 1, 7) if 0 < int(answer) + d <= n]
                                   if verifier == "integer" else [d for d in DAYS if d != answer]),
                      meta={"question_type": q, "year": y, "month": m, "week_start": start,
                            "columns": " ".join(cols)}, steps=steps)

    def _q_weekday_first_week(self, rng, cal):
        d = rng.randint(1, 7 - cal["offset"])
        wd = (cal["first"] + d - 1) % 7
        return (f"In this calendar, what day of the week is the {th(d)}? Give the full name of the day.", DAYS[wd],
                f"The {th(d)} sits in column {SHORT[wd]}. So {DAYS[wd]}.", _kit.steps(("column", SHORT[wd])))

    def _q_weekday_of(self, rng, cal):
        d = rng.randint(1, cal["n"])
        wd = (cal["first"] + d - 1) % 7
        row = (cal["offset"] + d - 1) // 7 + 1
        return (f"In this calendar, what day of the week is the {th(d)}? Give the full name of the day.", DAYS[wd],
                f"The {th(d)} is in row {row}, column {SHORT[wd]}. So {DAYS[wd]}.",
                _kit.steps(("row", row), ("column", SHORT[wd])))

    def _q_count_weekday(self, rng, cal):
        wd = rng.randrange(7)
        first = (wd - cal["first"]) % 7 + 1
        dates = list(range(first, cal["n"] + 1, 7))
        return (f"How many {DAYS[wd]}s are there in this month?", str(len(dates)),
                f"First {DAYS[wd]}: {first}. Then {', '.join(map(str, dates[1:]))}. That is {len(dates)}.",
                _kit.steps((f"first {DAYS[wd]}", first)))

    def _q_nth_weekday(self, rng, cal):
        wd, nth = rng.randrange(7), rng.randint(2, 4)
        first = (wd - cal["first"]) % 7 + 1
        date = first + 7 * (nth - 1)
        return (f"What is the date of the {ORDINAL[nth]} {DAYS[wd]} of this month?", str(date),
                f"First {DAYS[wd]}: {first}. The {ORDINAL[nth]} is {first} + {7 * (nth - 1)} = {date}.",
                _kit.steps((f"first {DAYS[wd]}", first)))

    def _q_days_after(self, rng, cal):
        d, k = rng.randint(1, cal["n"]), rng.choice([3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20])
        wd = (cal["first"] + d - 1) % 7
        ans = DAYS[(wd + k) % 7]
        return (f"What day of the week is it {k} days after the {th(d)} of this month? Give the full name.", ans,
                f"Weekday of the {th(d)}: {DAYS[wd]}. Shift: {k % 7} ({k} mod 7). So {ans}.",
                _kit.steps((f"weekday of the {th(d)}", DAYS[wd]), ("shift", k % 7)))

    def _q_next_month_first(self, rng, cal):
        last = (cal["first"] + cal["n"] - 1) % 7
        ans = DAYS[(last + 1) % 7]
        return ("What day of the week is the first day of the next month? Give the full name.", ans,
                f"The month ends on the {th(cal['n'])}, a {DAYS[last]}. The next day is a {ans}.",
                _kit.steps((f"the {th(cal['n'])}, a", DAYS[last])))

    sealed_rule = ("leap_february", "February of a leap year (the 29-day month)")

    @staticmethod
    def sealed(state) -> bool:
        return state["month"] == 2 and leap(state["year"])

    @staticmethod
    def describe(pz: Puzzle) -> list[str]:
        cal = pz.scene
        start = "Monday" if cal["start"] == "Mon" else "Sunday"
        return [f"A calendar of {MONTHS[cal['m'] - 1]} {cal['y']} ({cal['n']} days) with weeks starting on "
                f"{start}; the 1st is in the {SHORT[cal['first']]} column."]

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        cal = pz.scene
        h = _kit.TEXT_H
        if not _kit.text_ok(h, view):
            return Rendered(None, "text_height")
        if max(_kit.text_width(s, h) for s in SHORT + ["31"]) > COL_W - 0.002:
            return Rendered(None, "column_fit")
        cols = SHORT if cal["start"] == "Mon" else SHORT[6:] + SHORT[:6]
        x0 = (1 - 7 * COL_W) / 2
        c = Canvas(view.size)
        ink = (25, 25, 25)
        c.text(0.5, 0.08, f"{MONTHS[cal['m'] - 1]} {cal['y']}", _kit.FONT, h, ink)
        c.rect(x0, TOP - ROW_H * 0.95, x0 + 7 * COL_W, TOP - 0.012, fill=HEADS[pz.state["head"]])
        for i, name in enumerate(cols):
            c.text(x0 + (i + 0.5) * COL_W, TOP - ROW_H * 0.5, name, _kit.FONT, h, ink)
        for d in range(1, cal["n"] + 1):
            cell = cal["offset"] + d - 1
            x, y = x0 + (cell % 7 + 0.5) * COL_W, TOP + (cell // 7 + 0.5) * ROW_H
            c.text(x, y, str(d), _kit.FONT, h, ink)
        rows = (cal["offset"] + cal["n"] + 6) // 7
        for r in range(rows + 1):
            c.line([(x0, TOP + r * ROW_H), (x0 + 7 * COL_W, TOP + r * ROW_H)], fill=(190, 190, 190), width=0.004)
        return Rendered(c.image())
