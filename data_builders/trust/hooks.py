"""The per-family hooks of the trust features, and adapters that give two existing families (`count`, `clock`) the
same hooks without touching their modules.

A family may define (all optional):
    perturb(pz, rng, level) -> (Puzzle, change) | None   a minimally changed puzzle whose answer differs
    describe(pz) -> list[str]                             the scene in words (for the matched text modality)
    sealed_rule = (name, description); sealed(state) -> bool   the held-out rule over the latent state
    Puzzle.steps                                          checkable intermediate steps of the reasoning
"""

from __future__ import annotations

import math
import random
from typing import Callable

from ..core import Family, Puzzle
from ..draw import plural
from ..puzzles import _scene as sc


# --- count -----------------------------------------------------------------------------------------------------
def _count_ask(pz: Puzzle) -> tuple[str, str | None] | None:
    """(target shape, target colour or None) of a count question, None for 'how many shapes'."""
    words = pz.question.split()
    if pz.meta.get("question_type") == "all":
        return None
    shape = next(s for s in sc_shapes() if plural(s, 2) in words)
    color = words[2] if pz.meta.get("question_type") == "color_shape" else None
    return shape, color


def sc_shapes() -> list[str]:
    from ..puzzles.count import SHAPE_ORDER
    return SHAPE_ORDER


def _count_puzzle(objs: list[sc.Obj], ask, level: int) -> Puzzle:
    from ..puzzles.count import KNOBS, Count

    target = sum(1 for o in objs if ask is None or (o.shape == ask[0] and (ask[1] is None or o.color == ask[1])))
    question, reasoning = Count._text(objs, ask, target)
    if KNOBS[level].get("layout") == "grid":
        rows = [sum(int(o.y * 4) == r for o in objs) for r in range(4)]
        reasoning = f"Rows: {', '.join(map(str, rows))}. {' + '.join(map(str, rows))} = {target}."
    lo, hi = KNOBS[level]["radius"]
    lo_ans, hi_ans = KNOBS[level]["target"]
    return Puzzle(state={"objects": sc.obj_state(objs, lo, hi)}, question=question, answer=str(target),
                  answer_type="integer", verifier="integer", reasoning=reasoning, scene=objs,
                  distractors=[str(v) for v in range(max(0, lo_ans - 1), hi_ans + 2) if v != target],
                  meta={"question_type": "all" if ask is None else ("shape" if ask[1] is None else "color_shape"),
                        "n_objects": len(objs)})


def count_perturb(pz: Puzzle, rng: random.Random, level: int):
    """One target object removed, or one added in free space (one per 4×4 grid cell at level 1)."""
    from ..draw import COLOR_NAMES
    from ..puzzles.count import KNOBS

    objs, ask = list(pz.scene), _count_ask(pz)
    targets = [i for i, o in enumerate(objs) if ask is None or (o.shape == ask[0] and ask[1] in (None, o.color))]
    if len(targets) >= 2 and rng.random() < 0.5:
        i = rng.choice(targets)
        gone = objs.pop(i)
        return _count_puzzle(objs, ask, level), f"removed the {gone.name} at {_where(gone)}"
    k = KNOBS[level]
    shape = ask[0] if ask else rng.choice(sc_shapes()[: k["shapes"]])
    color = (ask[1] if ask and ask[1] else rng.choice(COLOR_NAMES))
    r = rng.uniform(*k["radius"])
    for _ in range(60):
        if k.get("layout") == "grid":
            free = [c for c in range(16) if all(int(o.y * 4) * 4 + int(o.x * 4) != c for o in objs)]
            if not free:
                return None
            c = rng.choice(free)
            x, y = (c % 4 + 0.5) / 4, (c // 4 + 0.5) / 4
        else:
            e = sc.EXTENT * r + 0.03
            x, y = rng.uniform(e, 1 - e), rng.uniform(e, 1 - e)
        new = sc.Obj(shape, color, x, y, r)
        if all(math.hypot(x - o.x, y - o.y) >= sc.EXTENT * (r + o.r) + 0.025 for o in objs):
            return _count_puzzle(objs + [new], ask, level), f"added a {new.name} at {_where(new)}"
    return None


def _where(o: sc.Obj) -> str:
    from ..puzzles._kit import region
    return region(o.x, o.y)


def count_describe(pz: Puzzle) -> list[str]:
    objs = sorted(pz.scene, key=lambda o: (int(o.y * 4), o.x))
    return [f"Shapes, top to bottom and left to right: {', '.join(o.name for o in objs)}."]


def count_steps(pz: Puzzle, level: int) -> list[dict[str, str]]:
    if pz.reasoning.startswith("Rows: "):
        rows = pz.reasoning[len("Rows: "):].split(".")[0].split(", ")
        return [{"name": f"row {i + 1}", "value": v} for i, v in enumerate(rows)]
    if pz.meta.get("question_type") == "color_shape":
        return [{"name": "shapes", "value": str(len(pz.scene))}]
    by_shape = {s: sum(o.shape == s for o in pz.scene) for s in sc_shapes()}
    return [{"name": plural(s, n), "value": str(n)} for s, n in by_shape.items() if n]


# --- clock -----------------------------------------------------------------------------------------------------
def _clock_puzzle(h: int, m: int, rest: tuple) -> Puzzle:
    from ..puzzles.clock import Clock, canonical

    numerals, face, hand, sec, k = rest
    answer = canonical(h, m)
    nxt = h % 12 + 1
    hour_pos = f"points at {h}" if m == 0 else f"is between {h} and {nxt}"
    extra = " The thin red hand counts seconds and is ignored." if sec is not None else ""
    reasoning = (f"The short hour hand {hour_pos}; the long minute hand {Clock._minute_words(m)}.{extra} "
                 f"The time is {answer}.")
    distractors = [canonical(h % 12 + 1, m), canonical(h, (m + 30) % 60), canonical((h - 2) % 12 + 1, (m + 15) % 60)]
    return Puzzle(state={"time": answer, "numerals": numerals, "face": face, "hand": hand, "second": sec},
                  question="What time does the clock show?", answer=answer, answer_type="text", verifier="exact",
                  reasoning=reasoning, scene=(h, m, numerals, face, hand, sec, k), distractors=distractors,
                  meta={"question_type": "read_time", "numerals": numerals, "answer_format": "H:MM"})


def clock_perturb(pz: Puzzle, rng: random.Random, level: int):
    """The minute hand moves by one or two of the level's minute steps (the hour hand on the hour at level 1)."""
    h, m, *rest = pz.scene
    k = rest[-1]
    if k["minute_step"] == 60:
        nh = (h - 1 + rng.choice([-1, 1])) % 12 + 1
        return _clock_puzzle(nh, m, tuple(rest)), f"hour hand: {h} -> {nh}"
    nm = m + rng.choice([-2, -1, 1, 2]) * k["minute_step"]
    if not 0 <= nm < 60:
        return None
    return _clock_puzzle(h, nm, tuple(rest)), f"minute hand: {m} -> {nm} minutes"


def clock_describe(pz: Puzzle) -> list[str]:
    h, m, numerals, _, _, sec, _ = pz.scene
    text = (f"A clock face with {numerals} numerals. Angles clockwise from 12: hour hand {(h % 12) * 30 + m * 0.5:g} "
            f"degrees, minute hand {m * 6} degrees.")
    return [text + (f" A thin red second hand at {sec * 6} degrees." if sec is not None else "")]


def clock_steps(pz: Puzzle, level: int) -> list[dict[str, str]]:
    h, m = pz.scene[0], pz.scene[1]
    return [{"name": "hour hand", "value": str(h)}, {"name": "minutes", "value": str(m)}]


ADAPTERS: dict[str, dict[str, object]] = {
    "count": {"perturb": count_perturb, "describe": count_describe, "steps": count_steps,
              "sealed_rule": ("red_triangle", "a red triangle anywhere in the picture"),
              "sealed": lambda state: any(o[0] == "triangle" and o[1] == "red" for o in state["objects"])},
    "clock": {"perturb": clock_perturb, "describe": clock_describe, "steps": clock_steps,
              "sealed_rule": ("seven_oclock_hour", "any time from 7:00 to 7:59"),
              "sealed": lambda state: state["time"].startswith("7:")},
}


def hook(fam: Family, name: str):
    """The family's own hook `name`, else the adapter's, else None."""
    own = getattr(fam, name, None)
    return own if own is not None else ADAPTERS.get(fam.name, {}).get(name)


def perturber(fam: Family) -> Callable | None:
    return hook(fam, "perturb")


def describer(fam: Family) -> Callable | None:
    return hook(fam, "describe")


def sealed_rule(fam: Family) -> tuple[str, str, Callable] | None:
    """(name, description, predicate over the canonical state) of the family's sealed test states, or None."""
    rule, pred = hook(fam, "sealed_rule"), hook(fam, "sealed")
    return None if rule is None or pred is None else (rule[0], rule[1], pred)


def steps_of(fam: Family, pz: Puzzle, level: int) -> list[dict[str, str]]:
    """The puzzle's checkable steps: the family's own `Puzzle.steps`, else the adapter's extractor."""
    if pz.steps:
        return pz.steps
    extract = ADAPTERS.get(fam.name, {}).get("steps")
    return extract(pz, level) if extract else []
