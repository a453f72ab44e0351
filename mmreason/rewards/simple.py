"""Verifiers for short typed answers: `numeric`, `integer`, `choice`, `exact`.

Options (all optional unless stated):
    numeric  rel_tol (1e-6), abs_tol (1e-9): correct iff |pred − gold| ≤ max(rel_tol·|gold|, abs_tol);
             relaxed: true → rel_tol 0.05 (ChartQA/PlotQA relaxed accuracy).
             Percent: when exactly one side is written with `%`, X% matches X (the unit dropped, as
             ChartQA golds often do) and X/100 (a proportion), i.e. `50%` matches gold `50` and `0.5`;
             when both or neither have `%`, the numbers are compared as written.
    integer  the answer must be exactly one integer (`1,000`, `1 000`, `-3`, `5.0`, `\\$20`) or a number word
             zero…twenty; a non-integer number (`5.5`, `1,5`) is simply wrong, anything else (`5 6`, `5 apples`)
             is a parse_error.
    choice   choices: list of option texts, in letter order A, B, C…. The answer may be the letter
             (`B`, `(B)`, `B.`, `**B**`, `Option B`, `The answer is B`), the letter with its option text
             (`B. Paris`), or the option text alone (normalised exact match). Several letters are wrong.
             Gold may be the letter or the option text.
    exact    case_sensitive (false); alternatives: extra acceptable gold strings. Normalisation: NFKC,
             case-fold, strip, collapse whitespace, drop one trailing period.

Numbers (numeric, integer) are read as in `numbers.read_number`, for gold and answer alike: thousands
separators (comma, any space, `\\,`, `{,}`), decimal commas (`1,22`, `0,500`, `1000,99`), currency symbols and
codes dropped (`\\$18.90`, `€20`, `20 USD`); digits split by a space that is not a thousands grouping (`12 5`)
are a parse_error. Unit words are not read by these two (`5 apples` is a parse_error; `math` drops them).
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import Any, Mapping

from ..types import Score
from .base import VERIFIERS, answer_or_score, string_list
from .numbers import AmbiguousNumber, read_number
from .parsing import MAX_NUMBER_CHARS, NumberError, normalize_text, parse_number, strip_math_wrappers

_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_LETTER = re.compile(r"(?:(?:the\s+)?(?:correct\s+)?(?:option|choice|answer)(?:\s+is)?\s*[:\-]?\s*)?"
                     r"[(\[]?([A-Za-z])[)\]]?[.:)]?(?:\s+(.+))?", re.IGNORECASE | re.DOTALL)
_MAX_CHOICE_CHARS = 2000


def _within(pred: float, gold: float, rel_tol: float, abs_tol: float) -> bool:
    return abs(pred - gold) <= max(rel_tol * abs(gold), abs_tol)


@VERIFIERS.register("numeric")
def verify_numeric(completion: str, gold: str, options: Mapping[str, Any]) -> Score:
    ans, zero = answer_or_score(completion, options, gold)
    if zero:
        return zero
    try:
        g = parse_number(gold)
    except NumberError:
        return Score(0.0, ans, "bad_gold")
    try:
        p = parse_number(ans)
    except NumberError as e:
        return Score(0.0, ans, e.reason)
    rel_tol = 0.05 if options.get("relaxed") else float(options.get("rel_tol", 1e-6))
    abs_tol = float(options.get("abs_tol", 1e-9))
    pairs = [(p.value, g.value)]
    if p.percent and not g.percent:
        pairs.append((p.value / 100, g.value))
    elif g.percent and not p.percent:
        pairs.append((p.value, g.value / 100))
    ok = any(_within(a, b, rel_tol, abs_tol) for a, b in pairs)
    return Score(float(ok), ans, None)


def _read_integer(text: str) -> int | None:
    s = strip_math_wrappers(unicodedata.normalize("NFKC", text))
    word = s.casefold()
    if word in _WORDS:
        return _WORDS[word]
    try:
        n = read_number(s) if len(s) <= MAX_NUMBER_CHARS else None
    except AmbiguousNumber:
        return None
    if n is None or n.percent or not n.is_integer:
        return None
    return int(n.sign + n.digits.partition(".")[0])


@VERIFIERS.register("integer")
def verify_integer(completion: str, gold: str, options: Mapping[str, Any]) -> Score:
    ans, zero = answer_or_score(completion, options, gold)
    if zero:
        return zero
    g = _read_integer(gold)
    if g is None:
        return Score(0.0, ans, "bad_gold")
    p = _read_integer(ans)
    if p is None:
        try:
            parse_number(ans)  # a number, just not an integer: a wrong answer, not a parse failure
            return Score(0.0, ans, None)
        except NumberError as e:
            return Score(0.0, ans, e.reason)
    return Score(float(p == g), ans, None)


def _choice_index(text: str, choices: list[str]) -> int | None:
    """Index of the option `text` names (by option text, by letter, or by letter + its text), else None."""
    if len(text) > _MAX_CHOICE_CHARS:
        return None
    s = strip_math_wrappers(text.strip().strip("*").strip())  # **B** (markdown bold) is B
    norm = normalize_text(s)
    texts = [normalize_text(c) for c in choices]
    if norm and norm in texts:
        return texts.index(norm)
    m = _LETTER.fullmatch(s)
    if not m:
        return None
    idx = string.ascii_uppercase.index(m.group(1).upper())
    if idx >= (len(choices) or 26):
        return None
    rest = m.group(2)
    if rest is not None and (not choices or normalize_text(rest) != texts[idx]):
        return None
    return idx


@VERIFIERS.register("choice")
def verify_choice(completion: str, gold: str, options: Mapping[str, Any]) -> Score:
    ans, zero = answer_or_score(completion, options, gold)
    if zero:
        return zero
    choices = string_list(options.get("choices"), "choices")
    g = _choice_index(gold, choices)
    if g is None:
        return Score(0.0, ans, "bad_gold")
    p = _choice_index(ans, choices)
    if p is None:
        return Score(0.0, ans, "parse_error")
    return Score(float(p == g), ans, None)


@VERIFIERS.register("exact")
def verify_exact(completion: str, gold: str, options: Mapping[str, Any]) -> Score:
    ans, zero = answer_or_score(completion, options, gold)
    if zero:
        return zero
    cs = bool(options.get("case_sensitive", False))
    alternatives = string_list(options.get("alternatives"), "alternatives")
    golds = [normalize_text(g, case_sensitive=cs) for g in [gold, *alternatives]]
    golds = [g for g in golds if g]
    if not golds:
        return Score(0.0, ans, "bad_gold")
    return Score(float(normalize_text(ans, case_sensitive=cs) in golds), ans, None)
