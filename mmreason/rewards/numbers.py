"""Numbers as people write them: one reading of digit grouping, decimal marks, signs and currency, shared by the
`math`, `numeric` and `integer` verifiers and applied to gold and answer alike.

`read_number(text)` reads a text that is ONE number (wrappers such as `$…$` already removed by the caller):

    signs         -  +  − (U+2212)  – (U+2013)  ﹣  －   (before or after a currency symbol: -$5, $-5)
    plain         1234   -3   3.50   .5 (= 0.5)
    thousands     1,234,567 · 1 234 567 (any Unicode space: NBSP U+00A0, thin U+2009, narrow NBSP U+202F, …)
                  · 1\\,234 · 1\\ 234 · 1~234 (LaTeX spaces) · 1{,}234 · 1.234.567 (two or more dot groups)
                  — the first group has 1–3 digits and does not start with 0, every later group has exactly 3
    with decimals 1,234.5 · 1 234,5 · 1 234.5 · 1.234,5
    decimal comma one comma between digits that cannot be a thousands separator: 0,5 · 1,22 · 0,500 · 1000,99 ·
                  12,5 — the part before it starts with 0 or has over 3 digits, or the part after it does not
                  have exactly 3 digits. `{,}` is a comma (German LaTeX writes 1{,}5 for 1.5).
    ambiguous     1,500 and 1{,}500: one comma, three digits after it, a first group of 1–3 digits not starting
                  with 0 — read as one thousand five hundred (the English reading, and math-verify's);
                  1.500 is one and a half (a single dot is a decimal point)
    currency      \\$ $ US$ € £ ¥ ₹ ₩ ₽ ₺ ₴ ₪ ₫ ₱ ฿ and the codes USD EUR GBP JPY CNY RMB INR CHF CAD AUD, before
                  or after the number: dropped (the question fixes the currency, as a unit)
    percent       % or \\% after the number: kept as written (each verifier has its own percent rule)
    units         (only with units=True, for `math`): words after the number (`5 apples`, `3.5 cm`,
                  `\\text{ km}`, `m^2`, `^\\circ`), returned in `unit`; `droppable_unit` says whether they
                  are a unit a verifier may drop (`18.90 dollars`, `5 cookies`, `30°`) or words that change
                  the meaning (`5 thousand`, `3 or more`, `2 pi`, a single letter `5 x`: a variable)

Not one number: `1, 2` and `1,2,3` (a comma followed by a space, or several commas that are not thousands
groups: a list), `1.000,5,3`, `--3`. Returned as None; the caller decides (math-verify reads lists as sets).
Refused (AmbiguousNumber): digits separated by a space that is not a thousands grouping (`12 5`, `1 2`,
`1 00`): neither one number nor a product a person would write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 100  # longer texts are not read as a single number

_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"})
_LATEX_SEPARATORS = (("{,}", ","), ("\\,", " "), ("\\ ", " "), ("~", " "))
_CUR = (r"(?:US\$|\\\$|\$|[€£¥₹₩₽₺₴₪₫₱฿]|(?<![A-Za-z])(?:USD|EUR|GBP|JPY|CNY|RMB|INR|CHF|CAD|AUD)(?![A-Za-z]))")
_POWER = r"(?:\^\{?\d\}?)?"
_WORD = rf"[A-Za-z°][A-Za-z°./]*{_POWER}"
_UNIT = (rf"(?:\\text\{{[^{{}}]*\}}|\\mathrm\{{[^{{}}]*\}}|\^\{{?\\circ\}}?|{_WORD}(?: {_WORD})*)")
_SHAPE = re.compile(rf"([-+]?) ?(?:{_CUR} ?)?([-+]?) ?(\.?\d(?:[\d., ]*\d)?) ?(?:{_CUR} ?)?(\\?%)? ?(?:{_CUR})?"
                    rf"(?: ?({_UNIT}))?")
_FORMS = re.compile(r"""
     (?P<int>\d+)
    |(?P<dec>\d*\.\d+)
    |(?P<comma_k>[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?)
    |(?P<space_k>[1-9]\d{0,2}(?:\ \d{3})+(?:[.,]\d+)?)
    |(?P<dot_k>[1-9]\d{0,2}(?:\.\d{3})+,\d+|[1-9]\d{0,2}(?:\.\d{3}){2,})
    |(?P<dec_comma>\d+,\d+)
""", re.VERBOSE | re.ASCII)
_DIGIT = re.compile(r"\d")
_DIGIT_SPACE_DIGIT = re.compile(r"\d \d", re.ASCII)
# Thousands groups inside a longer expression (`\frac{1 000}{3}`, `x = 1\,000`): joined; `{,}` between
# digits that is not a thousands separator is a decimal comma.
_GROUPS = re.compile(r"(?<![\d.,])([1-9]\d{0,2})((?:(?: |\\,|\\ |~|\{,\})\d{3})+)(?!\d)", re.ASCII)
_SEPARATOR = re.compile(r" |\\,|\\ |~|\{,\}")
_BRACE_COMMA = re.compile(r"(?<=\d)\{,\}(?=\d)", re.ASCII)


# Words after a number that are not a unit to drop: they scale it, qualify it or are mathematics.
_NOT_UNITS = frozenset("""
    or and not no nor more less fewer than at least most about approximately approx nearly almost roughly around
    over under exactly only some plus minus times divided by of to from between each per cent percent
    hundred hundreds thousand thousands million millions billion billions trillion trillions dozen dozens lakh
    crore squared cubed factorial power powers root roots pi sqrt ln log exp sin cos tan sec csc cot
    arcsin arccos arctan sinh cosh tanh inf infty infinity mod modulo""".split())
_LETTERS = re.compile(r"[A-Za-z]+", re.ASCII)


class AmbiguousNumber(ValueError):
    """Digits separated by a space that is not a thousands grouping (`12 5`)."""


@dataclass(frozen=True)
class NumberText:
    """A number read from text: sign ("" or "-"), canonical unsigned decimal digits ("1000.99"), the percent
    suffix as written ("", "%" or "\\\\%") and the unit words after it ("" when none)."""
    sign: str
    digits: str
    percent: str = ""
    unit: str = ""

    @property
    def text(self) -> str:
        """`-1000.99\\%` / `3.5 cm`: the canonical form (currency dropped)."""
        sep = "" if self.unit.startswith("^") else " "
        return f"{self.sign}{self.digits}{self.percent}" + (sep + self.unit if self.unit else "")

    @property
    def is_integer(self) -> bool:
        return set(self.digits.partition(".")[2]) <= {"0"}


def unify_spaces(text: str) -> str:
    """Every run of whitespace (any Unicode space, tabs, newlines) as one plain space, stripped."""
    return " ".join(text.split())


def canonical_digits(body: str) -> str | None:
    """The unsigned decimal a digit string means ("1 234,5" → "1234.5"), None when it is not one number.
    Raises AmbiguousNumber for digits separated by a space outside a thousands grouping."""
    m = _FORMS.fullmatch(body)
    if m is None:
        if _DIGIT_SPACE_DIGIT.search(body):
            raise AmbiguousNumber(body)
        return None
    kind = m.lastgroup
    if kind == "int":
        return body
    if kind == "dec":
        return "0" + body if body.startswith(".") else body
    if kind == "comma_k":
        return body.replace(",", "")
    if kind == "dot_k":
        return body.replace(".", "").replace(",", ".")
    return body.replace(" ", "").replace(",", ".")  # space_k (its decimal mark may be a comma), dec_comma


def read_number(text: str, units: bool = False) -> NumberText | None:
    """The number `text` is (see the module doc), or None; raises AmbiguousNumber (`12 5`)."""
    s = unify_spaces(text)
    if len(s) > MAX_CHARS or not _DIGIT.search(s):
        return None
    s = s.translate(_MINUS)
    for old, new in _LATEX_SEPARATORS:
        s = s.replace(old, new)
    m = _SHAPE.fullmatch(s)
    if m is None:
        return None
    sign1, sign2, body, percent, unit = m.groups()
    if (sign1 and sign2) or (unit and not units):
        return None
    digits = canonical_digits(body)
    if digits is None:
        return None
    return NumberText("-" if "-" in (sign1, sign2) else "", digits, percent or "", unit or "")


def droppable_unit(unit: str) -> bool:
    """True when the words after a number (NumberText.unit) are a unit that can be dropped without changing what
    the answer says: degrees (`°`, `^\\circ`), or words whose first has two or more letters and none of which
    scales, qualifies or is mathematics (`_NOT_UNITS`). A single letter (`5 x`, `5 m`) may be a variable: kept."""
    if unit.startswith(("°", "^\\circ", "^{\\circ}")):
        return True
    if unit.startswith(("\\text{", "\\mathrm{")):
        unit = unit[unit.index("{") + 1:-1]
    words = _LETTERS.findall(unit)
    return bool(words) and len(words[0]) >= 2 and not any(w.lower() in _NOT_UNITS for w in words)


def join_digit_groups(text: str) -> str:
    """`text` with thousands groups inside an expression joined (`\\frac{1 000}{3}` → `\\frac{1000}{3}`, also
    NBSP/thin spaces, `\\,`, `\\ `, `~`, `{,}`) and any other `{,}` between digits read as a decimal comma."""
    if text.isascii():
        s = text
    else:
        s = "".join(" " if c.isspace() and c not in "\n\r\t" else c for c in text)
    if not any(sep in s for sep in (" ", "\\,", "\\ ", "~", "{,}")):
        return s
    s = _GROUPS.sub(lambda m: m.group(1) + _SEPARATOR.sub("", m.group(2)), s)
    return _BRACE_COMMA.sub(".", s)
