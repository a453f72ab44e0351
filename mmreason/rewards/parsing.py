"""Small, bounded parsers shared by the verifiers: text normalisation, math wrappers, plain numbers.

Nothing here evaluates model output: numbers are read with `float`/`Fraction` from strings that a
linear regex has already checked, with caps on digit counts and exponents so that `1e99999999` or a
million-digit integer is refused in microseconds instead of being built.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from .numbers import AmbiguousNumber, read_number

MAX_NUMBER_CHARS = 100   # longer "numbers" are refused (parse_error), never converted
MAX_EXPONENT = 400       # |exponent| above this is out of float range anyway: refused as out_of_range

_WS = re.compile(r"\s+")
_UNICODE_MINUS = {"\u2212": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"}
_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_COMMANDS = ("\\boxed{", "\\text{", "\\textbf{", "\\mathrm{", "\\mathbf{")

# A number with an exponent: the mantissa (read by numbers.read_number) then `e5` or `\times 10^{5}`.
_EXPONENT = re.compile(r"(.+?)\s*(?:(?<=\d)[eE]([-+]?\d+)|(?:\\times|\\cdot|×|\*)\s*10\^\{?([-+]?\d+)\}?)")
_FRAC = re.compile(r"([-+]?)\\[dt]?frac\{\s*([-+]?\d+)\s*\}\{\s*([-+]?\d+)\s*\}", re.ASCII)
_SLASH = re.compile(r"([-+]?\d+)\s*/\s*([-+]?\d+)", re.ASCII)


def collapse_ws(s: str) -> str:
    return _WS.sub(" ", s).strip()


def normalize_text(s: str, *, case_sensitive: bool = False, form: str = "NFKC", strip_period: bool = True) -> str:
    """Unicode normal form, case-fold (unless case_sensitive), strip, collapse whitespace, drop one trailing
    period. NFKC folds compatibility forms (full-width letters, ligatures) but keeps look-alikes from
    other scripts apart: Cyrillic 'а' stays distinct from Latin 'a'."""
    s = unicodedata.normalize(form, s)
    if not case_sensitive:
        s = s.casefold()
    s = collapse_ws(s)
    if strip_period and s.endswith(".") and not s.endswith(".."):
        s = s[:-1].rstrip()
    return s


def _unwrap_command(s: str) -> str | None:
    for cmd in _COMMANDS:
        if s.startswith(cmd) and s.endswith("}"):
            inner, depth = s[len(cmd):-1], 0
            for c in inner:  # the closing brace must be the command's own
                depth += (c == "{") - (c == "}")
                if depth < 0:
                    return None
            return inner if depth == 0 else None
    return None


def strip_math_wrappers(s: str, max_rounds: int = 6) -> str:
    """Remove whole-string `$…$`, `\\(…\\)`, `\\boxed{…}`, `\\text{…}` wrappers and a trailing period."""
    s = s.strip()
    for _ in range(max_rounds):
        before = s
        for left, right in _WRAPPERS:
            if len(s) >= len(left) + len(right) and s.startswith(left) and s.endswith(right):
                s = s[len(left):len(s) - len(right)].strip()
                break
        inner = _unwrap_command(s)
        if inner is not None:
            s = inner.strip()
        if s.endswith(".") and not s.endswith(".."):
            s = s[:-1].rstrip()
        if s == before:
            break
    return s


@dataclass(frozen=True)
class Number:
    """A parsed number: its value and whether it was written with a trailing % (value is the number before it)."""
    value: float
    percent: bool


class NumberError(ValueError):
    """Text that is not a single number; `.reason` is parse_error or out_of_range."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _clean_number_text(text: str) -> tuple[str, bool]:
    s = strip_math_wrappers(unicodedata.normalize("NFKC", text))  # full-width ５ → 5; other scripts' digits stay
    for k, v in _UNICODE_MINUS.items():
        s = s.replace(k, v)
    percent = False
    for suffix in ("\\%", "%"):
        if s.endswith(suffix):
            s, percent = s[:-len(suffix)].rstrip(), True
            break
    return s, percent


def parse_number(text: str) -> Number:
    """Parse exactly one number: `1,234`, `1 234,5`, `-3.5`, `\\$20`, `1/2`, `\\frac{1}{2}`, `2.5e-3`,
    `2.5\\times10^{-3}`, `50%` (digit grouping, decimal commas and currency as in `numbers.read_number`).

    Raises NumberError("parse_error") for anything else, NumberError("out_of_range") for absurd exponents
    or non-finite values.
    """
    s, percent = _clean_number_text(text)
    if not s or len(s) > MAX_NUMBER_CHARS:
        raise NumberError("parse_error")
    m = _FRAC.fullmatch(s) or _SLASH.fullmatch(s)
    if m:
        sign, num, den = m.groups() if len(m.groups()) == 3 else ("", *m.groups())
        if int(den) == 0:
            raise NumberError("parse_error")
        return Number(float(Fraction(int(num), int(den))) * (-1 if sign == "-" else 1), percent)
    m = _EXPONENT.fullmatch(s)
    mantissa, exp = (m.group(1), m.group(2) or m.group(3)) if m else (s, None)
    try:
        n = read_number(mantissa)
    except AmbiguousNumber:
        raise NumberError("parse_error") from None
    if n is None or (n.percent and (percent or exp is not None)):
        raise NumberError("parse_error")
    value_text, percent = n.sign + n.digits, percent or bool(n.percent)
    if exp is not None:
        if len(exp.lstrip("+-0")) > 4 or abs(int(exp)) > MAX_EXPONENT:
            raise NumberError("out_of_range")
        value = float(f"{value_text}e{exp}")
        if not math.isfinite(value):
            raise NumberError("out_of_range")
        return Number(value, percent)
    return Number(float(value_text), percent)
