"""A tiny evaluator for closed-form LaTeX constants (`2\\sqrt{3}`, `\\frac{3\\pi}{4}`, `1-\\sqrt{2}`).

Used by the `math` fast path to skip math-verify (an ANTLR parse, then sympy's simplify: ~5 ms) for
the commonest non-numeric answers. Values are computed with 50-digit mpmath arithmetic. Two answers
whose values differ by over 1e-6 relative are wrong — math-verify cannot call them equal either.
Two answers that agree to 40 digits are right: they are the same number written differently
(`\\sqrt{12}` and `2\\sqrt{3}`); math-verify agrees whenever sympy's simplify proves the identity.
(Distinct constants of this small grammar agreeing to 40 significant digits would take a contrived
near-identity; a value computed with cancellation, too imprecise for either decision, goes to
math-verify.) The grammar is deliberately narrow so its reading cannot differ from latex2sympy's:

    expr   := term (("+" | "-") term)*
    term   := factor (("\\cdot" | "\\times" | "*" | "/") factor | factor)*   implicit product allowed,
                                                                        but not after a "/" (1/2\\pi is
                                                                        ambiguous: refused)
    factor := ("-" | "+") factor | atom ("^" exponent)?                 -2^2 = -(2^2), no ^ chains
    atom   := integer | "\\pi" | "\\frac{" expr "}{" expr "}" | "\\sqrt{" expr "}" | "(" expr ")" | "{" expr "}"
    exponent := digit | "{" ["-"] integer "}"                           |exponent| ≤ 12

Integers only (decimals have their own rounding rules in math-verify), no variables, no functions.
Anything else, a square root of a negative, a division by zero or a magnitude over 1e12 returns None.
It is a parser of a fixed grammar over a token list: nothing is `eval`ed. Input length is capped.
"""

from __future__ import annotations

import re
from fractions import Fraction

import mpmath

MAX_CHARS = 200
_LIMIT = 10 ** 12
_CTX = mpmath.MPContext()  # private context: 50 significant digits, no global mpmath state touched
_CTX.dps = 50
_TOKEN = re.compile(r"\s*(\d+|\\frac|\\dfrac|\\tfrac|\\sqrt|\\pi|\\cdot|\\times|\\left|\\right|[-+*/^{}()])", re.ASCII)


class _Refuse(Exception):
    pass


def _tokens(s: str) -> list[str]:
    out, i = [], 0
    while i < len(s):
        m = _TOKEN.match(s, i)
        if not m:
            if s[i:].strip():
                raise _Refuse
            break
        tok = m.group(1)
        if tok not in ("\\left", "\\right"):
            out.append("\\frac" if tok in ("\\dfrac", "\\tfrac") else tok)
        i = m.end()
    return out


class _Parser:
    def __init__(self, toks: list[str]):
        self.toks, self.i = toks, 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise _Refuse
        self.i += 1
        return tok

    def expr(self):
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return _check(value)

    def term(self):
        value, divided = self.factor(), False
        while True:
            tok = self.peek()
            if tok in ("\\cdot", "\\times", "*", "/"):
                self.take()
                rhs = self.factor()
                if tok == "/":
                    if rhs == 0:
                        raise _Refuse
                    value, divided = value / rhs, True
                else:
                    value *= rhs
            elif tok is not None and (tok.isdigit() or tok in ("\\pi", "\\frac", "\\sqrt", "(", "{")):
                if divided or (tok.isdigit() and self.toks[self.i - 1].isdigit()):
                    raise _Refuse  # 1/2\pi is ambiguous; "2 3" is not a product anyone means
                value *= self.factor()
            else:
                return _check(value)

    def factor(self):
        if self.peek() in ("-", "+"):
            return -self.factor() if self.take() == "-" else self.factor()
        base = self.atom()
        if self.peek() != "^":
            return base
        self.take("^")
        if self.peek() == "{":
            self.take("{")
            sign = 1
            if self.peek() == "-":
                self.take()
                sign = -1
            digits = self.take()
            if not digits.isdigit():
                raise _Refuse
            exp = sign * int(digits)
            self.take("}")
        else:
            tok = self.take()
            if not tok.isdigit():
                raise _Refuse
            exp = int(tok[0])
            if len(tok) > 1:  # x^23 is x^2·3 in LaTeX: refuse rather than guess
                raise _Refuse
        if abs(exp) > 12 or self.peek() == "^" or (base == 0 and exp < 0):
            raise _Refuse
        return _check(base ** exp)

    def atom(self):
        tok = self.take()
        if tok.isdigit():
            return _check(_CTX.mpf(int(tok))) if len(tok) <= 12 else _refuse()
        if tok == "\\pi":
            return +_CTX.pi
        if tok in ("(", "{"):
            value = self.expr()
            self.take(")" if tok == "(" else "}")
            return value
        if tok == "\\frac":
            num, den = self.group(), self.group()
            if den == 0:
                raise _Refuse
            return _check(num / den)
        if tok == "\\sqrt":
            if self.peek() != "{":
                raise _Refuse  # \sqrt2 and \sqrt[3]{…} are left to math-verify
            value = self.group()
            if value < 0:
                raise _Refuse
            return _CTX.sqrt(value)
        raise _Refuse

    def group(self):
        self.take("{")
        value = self.expr()
        self.take("}")
        return value


def _refuse():
    raise _Refuse


def _check(value):
    if not _CTX.isfinite(value) or abs(value) > _LIMIT:
        raise _Refuse
    return value


def evaluate_constant(text: str):
    """The value (an mpmath number, 50 digits) of a closed-form constant in the grammar above, else None."""
    if len(text) > MAX_CHARS or "." in text:
        return None
    try:
        p = _Parser(_tokens(text))
        value = p.expr()
        return value if p.peek() is None else None
    except (_Refuse, ValueError, OverflowError, ZeroDivisionError, RecursionError):
        return None


def compare_values(g, p) -> bool | None:
    """Two exact values (mpmath numbers, ints or Fractions): False when over 1e-6 relative apart (math-verify
    — 6-place rounding, 15-digit evalf, simplify — can never call them equal); True when they agree to 40
    significant digits (computed with 50); None in between."""
    g, p = _as_mpf(g), _as_mpf(p)
    diff, size = abs(g - p), max(abs(g), abs(p))
    if diff > max(1, size) * _CTX.mpf("1e-6"):
        return False
    if diff <= size * _CTX.mpf("1e-40"):  # relative: tiny values are not "equal" just for being tiny
        return True
    return None


def _as_mpf(v):
    if isinstance(v, Fraction):
        return _CTX.mpf(v.numerator) / v.denominator
    return _CTX.mpf(v)


def compare_constants(gold: str, pred: str) -> bool | None:
    """compare_values of two closed-form constants; None when either is not one."""
    g, p = evaluate_constant(gold), evaluate_constant(pred)
    return None if g is None or p is None else compare_values(g, p)
