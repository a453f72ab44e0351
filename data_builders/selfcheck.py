"""Self-check of every item: its gold answer scores 1.0 through its own verifier, a wrong answer scores 0.

The verifiers are the trainer's own (`mmreason.rewards`: `get_verifier(name)(completion, gold, options) ->
Score`), so data and rewards can never disagree about what a correct answer is.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import Callable

from .core import SelfCheckError

Scorer = Callable[[str, str, str, dict | None], float]  # (verifier, completion, gold, options) -> accuracy


def completion_for(reasoning: str, answer: str) -> str:
    return f"<think>{reasoning}</think><answer>{answer}</answer>"


@lru_cache(maxsize=1)
def scorer() -> tuple[str, Scorer]:
    """('mmreason.rewards', fn): the name recorded in the manifest and the scoring function."""
    from mmreason.rewards import get_verifier

    def score(name: str, completion: str, gold: str, options: dict | None) -> float:
        return float(get_verifier(name)(completion, gold, options).accuracy)
    return "mmreason.rewards", score


def wrong_answer(verifier: str, answer: str, distractors: list[str], options: list[str] | None) -> str:
    """A deliberately wrong answer of the right type that every verifier must score 0."""
    if verifier == "choice":
        letters = "ABCD"[: len(options or [])]
        return next(c for c in letters if c != answer)
    if verifier.startswith("ocr_"):
        filler = next(c for c in "#~@%&" if c not in answer)
        return filler * max(1, len(answer))  # every character wrong: exact 0, ANLS 0, 1 − CER = 0
    if verifier in ("integer", "numeric", "math"):
        value = Fraction(answer)
        w = value * 2 + 7 if value >= 0 else value * 2 - 7
        return str(w.numerator) if w.denominator == 1 else (str(w) if verifier == "math" else str(float(w)))
    for d in distractors:
        if _norm_exact(d) != _norm_exact(answer):
            return d
    return "none of these"


def check_item(row: dict, distractors: list[str]) -> None:
    """Raise SelfCheckError unless gold scores 1.0 and a wrong answer scores 0.0 under the row's verifier."""
    _, score = scorer()
    opts = {"choices": row["options"]} if row["options"] else {}
    gold = score(row["verifier"], completion_for(row["reasoning"], row["answer"]), row["answer"], opts)
    if gold != 1.0:
        raise SelfCheckError(f"self-check failed for {row['id']}: gold {row['answer']!r} scores {gold} "
                             f"under verifier '{row['verifier']}'")
    wrong = wrong_answer(row["verifier"], row["answer"], distractors, row["options"])
    bad = score(row["verifier"], completion_for(row["reasoning"], wrong), row["answer"], opts)
    if bad != 0.0:
        raise SelfCheckError(f"self-check failed for {row['id']}: wrong answer {wrong!r} scores {bad} "
                             f"against gold {row['answer']!r} under verifier '{row['verifier']}'")


def _norm_exact(s: str) -> str:
    return " ".join(re.sub(r"[^\w\s:./-]", " ", s.lower()).split()).strip(" .")
