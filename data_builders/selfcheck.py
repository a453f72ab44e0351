"""Self-check of every item: its gold answer scores 1.0 through its own verifier, a wrong answer scores 0.

The verifiers the trainer uses live in `mmreason.rewards` (`get_verifier(name)(completion, gold, options) ->
Score`). When that package is importable the builder uses it; otherwise it falls back to the small built-in
checkers below (the manifest records which one ran). Swap point: `scorer()`.
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
    """('mmreason.rewards', fn) when the project's verifiers are importable, else ('builtin', fallback)."""
    try:
        from mmreason.rewards import get_verifier
    except ImportError:
        return "builtin", _builtin_score

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


# ---------------------------------------------------------------- built-in fallback checkers

def _extract(completion: str) -> str | None:
    m = re.findall(r"<answer>(.*?)</answer>", completion, flags=re.S)
    return m[-1].strip() if m else None


def _norm_exact(s: str) -> str:
    return " ".join(re.sub(r"[^\w\s:./-]", " ", s.lower()).split()).strip(" .")


def _number(s: str) -> Fraction | None:
    try:
        return Fraction(s.replace(",", "").replace(" ", ""))
    except (ValueError, ZeroDivisionError):
        return None


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _builtin_score(name: str, completion: str, gold: str, options: dict | None) -> float:
    pred = _extract(completion)
    if pred is None or not pred:
        return 0.0
    if name in ("integer", "numeric", "math"):
        p, g = _number(pred), _number(gold)
        if p is None or g is None:
            return 0.0
        if name == "numeric":
            return float(abs(p - g) <= max(Fraction(1, 10**6), abs(g) * Fraction(1, 100)))
        return float(p == g)
    if name == "choice":
        letters = "ABCD"
        choices = (options or {}).get("choices") or []
        if pred.upper().strip(" .()") in letters[: len(choices)]:
            return float(pred.upper().strip(" .()") == gold)
        return float(gold in letters and letters.index(gold) < len(choices) and pred == choices[letters.index(gold)])
    if name == "exact":
        return float(_norm_exact(pred) == _norm_exact(gold))
    ws = " ".join(pred.split()), " ".join(gold.split())
    if name == "ocr_exact":
        return float(ws[0] == ws[1])
    if name == "ocr_anls":
        p, g = ws[0].lower(), ws[1].lower()
        nl = _levenshtein(p, g) / max(len(p), len(g), 1)
        return 1 - nl if nl < 0.5 else 0.0
    if name == "ocr_cer":
        return max(0.0, 1 - _levenshtein(ws[0], ws[1]) / max(len(ws[1]), 1))
    raise SelfCheckError(f"no built-in checker for verifier '{name}'")
