"""Number formats as people write them (digit grouping, decimal commas, money), read the same way by the `math`
verifier with its fast path on and off, and by `numeric` and `integer`.

Expected verdicts are worked out by hand from the rules in mmreason/rewards/numbers.py (a comma is a thousands
separator only in the English grouping, any other comma between the digits of a one-number answer is a decimal
comma; spaces group thousands; currency is dropped), not copied from the verifier's output.
"""

import pytest

from mmreason.rewards import get_verifier
from mmreason.rewards.numbers import AmbiguousNumber, droppable_unit, join_digit_groups, read_number

verify_math = get_verifier("math")
THIN, NARROW, NBSP = "\u2009", "\u202f", "\u00a0"


def A(text: str) -> str:
    return f"<think>work it out</think><answer>{text}</answer>"


# (gold, answer, accuracy, error) — each class in both directions: credit where due, none where not.
MATH_TABLE = [
    # 1. leading-zero groups are never thousands: 0,500 is a half
    ("0,500", "0.5", 1.0, None), ("0,500", "1/2", 1.0, None), ("0,500", "500", 0.0, None),
    ("0.5", "0,500", 1.0, None), ("500", "0,500", 0.0, None), ("0,050", "0.05", 1.0, None),
    ("0,5", "0.5", 1.0, None), ("1,500", "1500", 1.0, None), ("1,500", "1.5", 0.0, None),
    ("1,234", "1234", 1.0, None), ("12,345,678", "12345678", 1.0, None), ("1234", "1,235", 0.0, None),
    # 2. a space inside a number groups thousands; it is never a product
    ("0", "1 000", 0.0, None), ("1000", "1 000", 1.0, None), ("1 000", "1000", 1.0, None),
    ("1000", f"1{THIN}000", 1.0, None), ("1000", f"1{NARROW}000", 1.0, None), ("1000", f"1{NBSP}000", 1.0, None),
    ("1000000", "1 000 000", 1.0, None), ("1000", "1\\,000", 1.0, None), ("1000", "1~000", 1.0, None),
    ("1000", "1{,}000", 1.0, None), ("999", "1 000", 0.0, None), ("1000", "$1 000$", 1.0, None),
    ("1234.5", "1 234.5", 1.0, None), ("\\frac{1000}{3}", "\\frac{1 000}{3}", 1.0, None),
    ("\\frac{1000}{3}", "\\frac{1 001}{3}", 0.0, None),
    ("60", "12 5", 0.0, "parse_error"), ("17", "12 5", 0.0, "parse_error"), ("125", "12 5", 0.0, "parse_error"),
    ("100", "1 00", 0.0, "parse_error"), ("12 5", "60", 0.0, "bad_gold"),
    # 3. decimal commas: one comma that cannot be a thousands separator, in a one-number answer
    ("1000.99", "1000,99", 1.0, None), ("1000,99", "1000.99", 1.0, None), ("1000,99", "100099", 0.0, None),
    ("1000,99", "\\{1000, 99\\}", 0.0, None), ("1.22", "1,22", 1.0, None), ("1,22", "1.22", 1.0, None),
    ("1,22", "122", 0.0, None), ("\\{1, 22\\}", "1,22", 0.0, None), ("1,22", "\\{1, 22\\}", 0.0, None),
    ("\\{1, 22\\}", "1, 22", 1.0, None), ("\\{1, 2, 3\\}", "1,2,3", 1.0, None), ("1.5", "1,5", 1.0, None),
    ("1.5", "1{,}5", 1.0, None), ("-0.5", "-0,5", 1.0, None), ("1000.5", "1.000,5", 1.0, None),
    ("1000.5", "1 000,5", 1.0, None), ("1000000", "1.000.000", 1.0, None), ("1000", "1.000", 0.0, None),
    ("1", "1.000", 1.0, None), ("12.5\\%", "12,5\\%", 1.0, None), ("3.5", "3,5 cm", 1.0, None),
    ("3.5", "3,6 cm", 0.0, None),
    # 4. money: currency symbols, codes and words around a number do not stop verification
    ("\\$20", "20", 1.0, None), ("20", "\\$20", 1.0, None), ("\\$20", "\\$2", 0.0, None),
    ("\\$18.90", "18.9", 1.0, None), ("\\$18.90", "\\$18.90", 1.0, None), ("\\$18.90", "$18.90", 1.0, None),
    ("\\$18.90", "18.90 dollars", 1.0, None), ("\\$18.90", "\\$18.91", 0.0, None), ("\\$18.90", "19", 0.0, None),
    ("\\$18.90", "1890", 0.0, None), ("$\\$18.90$", "18.90", 1.0, None), ("20", "€20", 1.0, None),
    ("20", "20 €", 1.0, None), ("20", "20 USD", 1.0, None), ("20", "US$20", 1.0, None), ("-5", "-\\$5", 1.0, None),
    ("5", "-\\$5", 0.0, None), ("\\$1,000.50", "1000.5", 1.0, None), ("1000.5", "\\$1,000.50", 1.0, None),
    ("\\$1,000.50", "\\$1,000.05", 0.0, None), ("1000,99 €", "1000.99", 1.0, None),
    # unit words: a unit is dropped, words that change the number are not
    ("5", "5 cookies", 1.0, None), ("6", "5 cookies", 0.0, None), ("5", "5 thousand", 0.0, None),
    ("5000", "5 thousand", 0.0, None), ("30", "30^\\circ", 1.0, None), ("30", "30°", 1.0, None),
]


@pytest.mark.parametrize("gold, pred, acc, error", MATH_TABLE)
def test_math_number_formats_fast_path_on_and_off(gold, pred, acc, error):
    fast = verify_math(A(pred), gold, {})
    slow = verify_math(A(pred), gold, {"fast_path": False})
    assert "fast_path" not in slow.details
    assert (fast.accuracy, fast.error) == (acc, error), ("fast path on", fast)
    assert (slow.accuracy, slow.error) == (acc, error), ("fast path off", slow)


def test_the_fast_path_decides_one_number_answers():
    """Every row whose gold and answer are plain numbers (no %, no units kept, no sets) is decided without
    math-verify: the formats above cost no sympy call."""
    plain = [(g, p) for g, p, _, e in MATH_TABLE if e is None and not any(
        x in g + p for x in ("\\{", "%", "\\frac", "cm", "cookies", "thousand", "circ", "°", ", "))]
    assert len(plain) > 50
    for g, p in plain:
        assert "fast_path" in verify_math(A(p), g, {}).details, (g, p)


@pytest.mark.parametrize("verifier, gold, pred, acc, error", [
    ("numeric", "0,500", "0.5", 1.0, None), ("numeric", "0,500", "500", 0.0, None),
    ("numeric", "1000", f"1{NARROW}000", 1.0, None), ("numeric", "1000", "1 000", 1.0, None),
    ("numeric", "0", "1 000", 0.0, None), ("numeric", "1000.99", "1000,99", 1.0, None),
    ("numeric", "1.22", "1,22", 1.0, None), ("numeric", "1,22", "122", 0.0, None),
    ("numeric", "\\$18.90", "18.9", 1.0, None), ("numeric", "18.9", "\\$18.90", 1.0, None),
    ("numeric", "20", "20 USD", 1.0, None), ("numeric", "1000.5", "1.000,5", 1.0, None),
    ("numeric", "1500", "1,5e3", 1.0, None), ("numeric", "125", "12 5", 0.0, "parse_error"),
    ("numeric", "1, 2", "1", 0.0, "bad_gold"),
    ("integer", "1000", "1 000", 1.0, None), ("integer", "1000", f"1{THIN}000", 1.0, None),
    ("integer", "1000", "1,000", 1.0, None), ("integer", "20", "\\$20", 1.0, None),
    ("integer", "\\$20", "20", 1.0, None), ("integer", "500", "0,500", 0.0, None),
    ("integer", "1", "1,5", 0.0, None), ("integer", "125", "12 5", 0.0, "parse_error"),
    ("integer", "5", "5 apples", 0.0, "parse_error"),
])
def test_numeric_and_integer_read_numbers_the_same_way(verifier, gold, pred, acc, error):
    s = get_verifier(verifier)(A(pred), gold, {})
    assert (s.accuracy, s.error) == (acc, error), s


@pytest.mark.parametrize("text, expected", [
    ("0,500", "0.500"), ("1,500", "1500"), ("1 000", "1000"), (f"1{NBSP}000,5", "1000.5"), ("1000,99", "1000.99"),
    ("1.000,5", "1000.5"), ("1.000.000", "1000000"), ("1.000", "1.000"), (".5", "0.5"), ("−3", "-3"),
    ("\\$-5", "-5"), ("-\\$5", "-5"), ("€ 20", "20"), ("USD20", "20"), ("12,5%", "12.5%"), ("50\\%", "50\\%"),
    ("1, 2", None), ("1,2,3", None), ("--3", None), ("x = 3", None), ("2\\pi", None), ("٥", None), ("1e5", None),
    ("5 apples", None),  # units=False: words after a number are not part of it
])
def test_read_number(text, expected):
    n = read_number(text)
    assert (n.text if n is not None else None) == expected


def test_read_number_refuses_digits_split_by_a_space_and_keeps_units_when_asked():
    for text in ("12 5", "1 2", "1 00", "10 100 1000"):
        with pytest.raises(AmbiguousNumber):
            read_number(text)
    n = read_number("3,5 cm", units=True)
    assert (n.sign, n.digits, n.unit) == ("", "3.5", "cm")
    assert droppable_unit("dollars") and droppable_unit("\\text{ dollars}") and droppable_unit("km/h")
    assert not droppable_unit("thousand") and not droppable_unit("or more") and not droppable_unit("x")


@pytest.mark.parametrize("text, expected", [
    ("\\frac{1 000}{3}", "\\frac{1000}{3}"), ("x = 1\\,000", "x = 1000"), ("(1 000, 2 000]", "(1000, 2000]"),
    ("1{,}000{,}5", "1000.5"), ("\\{1,000\\}", "\\{1,000\\}"), ("2 3", "2 3"), ("1.123 456", "1.123 456"),
    (f"x{NBSP}={THIN}1{NARROW}000", "x = 1000"),
])
def test_join_digit_groups(text, expected):
    assert join_digit_groups(text) == expected
