"""The `math` verifier: mathematical equivalence via math-verify, with a screen and an exact fast path.

Accepted answer formats (gold and answer alike). Both the fast path and math-verify read the text that
`normalize_math` makes of an answer, so switching the fast path off never changes a verdict:
- wrappers removed: `$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`, `\\boxed{…}`, `\\text{…}`, `\\textbf{…}`,
  `\\mathrm{…}`, `\\mathbf{…}`, one trailing period;
- an answer that is one number is read by `numbers.read_number` and replaced by its canonical form:
  signs `-` `+` `−` `–`; thousands separators `1,234` · `1 234` with any Unicode space (NBSP, thin space
  U+2009, narrow NBSP U+202F) · `1\\,234` · `1~234` · `1{,}234` · `1.234.567`; a decimal point, or a decimal
  comma by the rule below; currency before or after, dropped (`\\$18.90`, `$5`, `€20`, `20 USD`, `US$3`);
  percent (`50\\%`, `50%`; math-verify counts X% equal to X/100 and to X); unit words after it are dropped
  (`18.90 dollars`, `5 cookies`, `3.5 cm`, `\\text{ km}`, `30^\\circ`) unless they change what it says
  (`5 thousand`, `3 or more`, `2 pi`) or are one letter (`5 x`, `5 m`: maybe a variable), kept for math-verify;
- decimal-comma rule: a comma between digits is a thousands separator only in the English grouping (first
  group 1–3 digits not starting with 0, then groups of exactly 3: `1,500` = 1500, `12,345,678`); any other
  single comma between the digits of a one-number answer is a decimal comma: `0,5`, `1,22`, `0,500` (= 0.5),
  `1000,99`, `1 234,5`, `1.234,5`. A set or list needs braces (`\\{1, 2\\}`) or, without them, a comma
  followed by a space or several commas (`1, 2`, `1,2,3`): those reach math-verify as written (a set);
- digits separated by a space that is not a thousands grouping (`12 5`, `1 2`) are refused: parse_error for
  an answer, bad_gold for a gold (math-verify would read a product, or a sum);
- inside a longer expression, digit groups separated by spaces, `\\,`, `~` or `{,}` are joined when they
  form a thousands grouping (`\\frac{1 000}{3}`), and `{,}` between other digits is a decimal comma; a plain
  comma inside an expression is left to math-verify (a separator there: `(1,2)`, `\\{1,000\\}`);
- fractions `a/b`, `\\frac{a}{b}` (`\\dfrac`, `\\tfrac`), LaTeX expressions, closed-form constants, sets
  `\\{…\\}`, intervals, equations `x = 3` and all else math-verify parses (after the above).
Answers with hidden characters, several different answers, or none are refused before this (base.py).

Order of work for one answer:
1. Screen (microseconds): answers over `max_answer_chars` (1000) are too_long; power towers
   (`10^{10^{10}}`), exponents or sums bounds over 10^5, factorials of 5+ digit numbers, numbers of
   over 100 digits, over 100 arithmetic operators and bracket nesting over 25 levels are too_complex —
   sympy would hang or eat memory on them, and no real answer looks like that. The pool's time bound stays the backstop.
2. Fast path: an answer identical to the gold (after removing `$…$`/`\\boxed{}` wrappers and
   collapsing whitespace) is correct without parsing — math-verify agrees whenever it can parse the
   gold at all (a gold it cannot parse is a data bug, reported as bad_gold for every other answer).
   When gold and answer are both plain numbers (integers, `1,234`, decimals, `a/b`, `\\frac{a}{b}`),
   they are compared exactly with `fractions.Fraction`, mirroring math-verify's rules:
   integers and fractions compare exactly; when either side is written as a decimal, math-verify
   rounds both to `float_rounding` (6) places, so the fast path only decides when the values are
   identical (True) or differ by at least 10·10^-float_rounding with magnitudes below 10^6 (False);
   anything in between goes to math-verify. tests/test_rewards_math.py checks the fast path agrees
   with math-verify on a table and on random numbers. Option `fast_path: false` turns it off.
   Otherwise, when both are closed-form constants (`2\\sqrt{3}`, `\\frac{3\\pi}{4}`: see constants.py),
   their 50-digit values decide: over 1e-6 relative apart is wrong (math-verify cannot call them
   equal), equal to 40 digits is right (the same number written differently), else math-verify.
   Sets `\\{…\\}` of such exact values (no decimals, no repeated value) are compared element-wise.
3. math-verify: `parse` gold and answer (each wrapped in `$…$` unless it already has `$` or
   `\\boxed`, since math-verify finds sets, intervals and LaTeX only inside math delimiters), then
   `verify(gold, answer)`, gold first. Its own signal-based timeouts are off (they only work in a
   main thread); time is bounded by `mmreason.rewards.pool`. Parses and verdicts are cached per
   process (the gold repeats G times per prompt, and the G samples often give the same answer).

Options: float_rounding (6), strict (true: variables matter), fast_path (true), max_answer_chars (1000).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from typing import Any, Mapping

from ..types import Score
from .base import VERIFIERS, answer_or_score
from .constants import compare_constants, compare_values, evaluate_constant
from .numbers import AmbiguousNumber, droppable_unit, join_digit_groups, read_number
from .parsing import collapse_ws, strip_math_wrappers

# math-verify warns once that its timeouts are off: we bound time ourselves (see module docstring).
logging.getLogger("math_verify").setLevel(logging.ERROR)

MAX_DEPTH = 25
MAX_OPERATORS = 100       # + - * / ^ \cdot \times \div: 1+1+…+1 with 490 terms takes sympy over a second
_OPERATORS = ("+", "-", "*", "/", "^", "\\cdot", "\\times", "\\div")
MAX_DIGITS = 100
MAX_EXPONENT_DIGITS = 5   # exponent (or ^ bound) literals up to 99999
_DIGITS = re.compile(r"\d+")
_BIG_FACTORIAL = re.compile(r"\d{5,}\s*\)?\s*!")
_EXP_TOKEN = re.compile(r"\s*(\d+|\\?[A-Za-z]+|.)", re.DOTALL)
_SIMPLE_INT = r"(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)"  # 0,500 is not five hundred (see the decimal-comma rule)
_SIMPLE = re.compile(rf"([-+]?)({_SIMPLE_INT}(?:\.\d+)?)", re.ASCII)
_SIMPLE_FRAC = re.compile(r"([-+]?)(?:\\[dt]?frac\{([-+]?\d+)\}\{(\d+)\}|(\d+)/(\d+))", re.ASCII)
_FAST_MAX_MAGNITUDE = 10 ** 6
_THOUSANDS = re.compile(r"\d,\d{3}", re.ASCII)  # {1,000}: a thousands separator? left to math-verify
_MAX_SET_ITEMS = 20


def _group_end(s: str, i: int) -> int:
    """Index just past the bracket group opening at s[i] (len(s) when unbalanced)."""
    open_c = s[i]
    close_c = "}" if open_c == "{" else ")"
    depth = 0
    for j in range(i, len(s)):
        depth += (s[j] == open_c) - (s[j] == close_c)
        if depth == 0:
            return j + 1
    return len(s)


def _exponents(s: str):
    """The text of every exponent in s (after `^` or `**`), with "^" appended when another power follows
    it directly (a tower such as `2**10**10` or `10^{10}^{10}`)."""
    i = 0
    while True:
        i = min((j for j in (s.find("^", i), s.find("**", i)) if j != -1), default=-1)
        if i == -1:
            return
        i += 2 if s.startswith("**", i) else 1
        while i < len(s) and s[i].isspace():
            i += 1
        if i < len(s) and s[i] in "{(":
            end = _group_end(s, i)
            token = s[i + 1:end - 1]
        else:
            m = _EXP_TOKEN.match(s, i)
            token, end = (m.group(1), m.end()) if m else ("", i)
        follow = s[end:end + 40].lstrip()
        yield token + "^" if follow.startswith(("^", "**")) else token


def screen(s: str) -> str | None:
    """'too_complex' when s could make sympy hang or blow up, else None. Linear in len(s)."""
    depth = 0
    for c in s:
        if c in "({[":
            depth += 1
            if depth > MAX_DEPTH:
                return "too_complex"
        elif c in ")}]":
            depth -= 1
    if any(len(m.group(0)) > MAX_DIGITS for m in _DIGITS.finditer(s)) or _BIG_FACTORIAL.search(s):
        return "too_complex"
    if len(s) > MAX_OPERATORS and sum(map(s.count, _OPERATORS)) > MAX_OPERATORS:  # sympy's time grows with each
        return "too_complex"
    for exp in _exponents(s):
        if "^" in exp or "**" in exp or any(len(d) > MAX_EXPONENT_DIGITS for d in _DIGITS.findall(exp)):
            return "too_complex"
    return None


def simple_number(text: str) -> tuple[Fraction, bool] | None:
    """(exact value, written as a decimal) for plain numbers the fast path understands, else None."""
    s = strip_math_wrappers(text)
    m = _SIMPLE.fullmatch(s)
    if m:
        body = m.group(2).replace(",", "")
        return Fraction(body) * (-1 if m.group(1) == "-" else 1), "." in body
    m = _SIMPLE_FRAC.fullmatch(s)
    if m:
        num, den = (m.group(2), m.group(3)) if m.group(2) is not None else (m.group(4), m.group(5))
        if int(den) == 0:
            return None
        return Fraction(int(num), int(den)) * (-1 if m.group(1) == "-" else 1), False
    return None


def _canonical(text: str) -> str:
    return collapse_ws(strip_math_wrappers(text))


def _exact_value(text: str):
    """Fraction for integers/fractions, mpmath number for closed-form constants, None otherwise (decimals too)."""
    n = simple_number(text)
    if n is not None:
        return None if n[1] else n[0]
    return evaluate_constant(text)


def _same(a, b) -> bool | None:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    return compare_values(a, b)


def _set_values(text: str) -> list | None:
    """Values of a `\\{a, b, …\\}` set of exact numbers/constants with no two equal, else None."""
    if not (text.startswith("\\{") and text.endswith("\\}")) or _THOUSANDS.search(text):
        return None
    items, depth, start, inner = [], 0, 0, text[2:-2]
    for i, c in enumerate(inner + ","):
        depth += (c in "{(") - (c in "})")
        if c == "," and depth == 0:
            items.append(inner[start:i].strip())
            start = i + 1
    if len(items) > _MAX_SET_ITEMS:
        return None
    values = [_exact_value(x) for x in items]
    if any(v is None for v in values):
        return None
    for i, a in enumerate(values):  # duplicates written differently: sympy may keep both; let it decide
        if any(_same(a, b) is not False for b in values[i + 1:]):
            return None
    return values


def compare_sets(gold: str, pred: str) -> bool | None:
    """Two sets of exact values: equal iff every element of each has an equal one in the other."""
    gv, pv = _set_values(gold), _set_values(pred)
    if gv is None or pv is None:
        return None
    table = [[_same(a, b) for b in pv] for a in gv]
    if any(x is None for row in table for x in row):
        return None
    return all(any(row) for row in table) and all(any(col) for col in zip(*table))


def fast_equal(gold: str, pred: str, float_rounding: int = 6) -> bool | None:
    """True/False when the exact fast path can decide exactly as math-verify would, None otherwise. Both texts
    are as `normalize_math` leaves them (verify_math passes them so)."""
    g, p = simple_number(gold), simple_number(pred)
    if g is None or p is None:
        cg, cp = _canonical(gold), _canonical(pred)
        if cg == cp:
            return True
        decided = compare_sets(cg, cp)
        return decided if decided is not None else compare_constants(cg, cp)
    (gv, g_dec), (pv, p_dec) = g, p
    if gv == pv:
        return True
    if not (g_dec or p_dec):
        return False  # integers and fractions: math-verify compares them exactly
    if abs(gv) < _FAST_MAX_MAGNITUDE and abs(pv) < _FAST_MAX_MAGNITUDE \
            and abs(gv - pv) >= Fraction(10, 10 ** float_rounding):
        return False
    return None


def _wrap(text: str) -> str:
    return text if ("$" in text or "\\boxed" in text) else f"${text}$"


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple:
    from math_verify import parse

    return tuple(parse(_wrap(text), parsing_timeout=None))


@lru_cache(maxsize=8192)
def _verdict(gold: str, ans: str, rounding: int, strict: bool) -> tuple[float, str | None]:
    """(accuracy, error) from math-verify; cached because the G samples of a prompt often agree."""
    from math_verify import verify

    gold_parsed = _parse(gold)
    if not gold_parsed:
        return 0.0, "bad_gold"
    pred_parsed = _parse(ans)
    if not pred_parsed:
        return 0.0, "parse_error"
    ok = verify(list(gold_parsed), list(pred_parsed), float_rounding=rounding, strict=strict, timeout_seconds=None)
    return float(ok), None


@lru_cache(maxsize=8192)
def normalize_math(text: str) -> str | None:
    """The text both the fast path and math-verify read for `text` (see "Accepted answer formats"): a one-number
    answer in canonical form, else `text` with its digit groups joined; None for an ambiguous digit string."""
    try:
        number = read_number(strip_math_wrappers(text), units=True)
    except AmbiguousNumber:
        return None
    if number is None:
        return join_digit_groups(text)
    return (replace(number, unit="") if number.unit and droppable_unit(number.unit) else number).text


@lru_cache(maxsize=1024)
def _gold_text(gold: str, max_chars: int) -> str | None:
    """The normalised gold, or None when it cannot be used (too long, too complex, ambiguous: bad_gold)."""
    if len(gold) > max_chars or screen(gold):
        return None
    g = normalize_math(gold)
    return None if g is None or screen(g) else g


@VERIFIERS.register("math")
def verify_math(completion: str, gold: str, options: Mapping[str, Any]) -> Score:
    ans, zero = answer_or_score(completion, options, gold)
    if zero:
        return zero
    max_chars = int(options.get("max_answer_chars", 1000))
    if len(ans) > max_chars:
        return Score(0.0, ans, "too_long")
    g = _gold_text(gold, max_chars)
    if g is None:
        return Score(0.0, ans, "bad_gold")
    a = normalize_math(ans)
    reason = "parse_error" if a is None else screen(a)
    if reason:
        return Score(0.0, ans, reason)
    rounding = int(options.get("float_rounding", 6))
    if options.get("fast_path", True):
        decided = fast_equal(g, a, rounding)
        if decided is not None:
            return Score(float(decided), ans, None, {"fast_path": 1.0})
    accuracy, error = _verdict(g, a, rounding, bool(options.get("strict", True)))
    return Score(accuracy, ans, error)
