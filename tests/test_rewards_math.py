"""The `math` verifier: equivalence cases, adversarial answers, and the fast path checked against math-verify."""

import random
import time
from fractions import Fraction

import pytest

from mmreason.rewards import get_verifier
from mmreason.rewards.constants import compare_constants, evaluate_constant
from mmreason.rewards.math_answers import fast_equal, screen, simple_number

verify_math = get_verifier("math")


def A(text: str) -> str:
    return f"<think>Let me compute. 2+2=4, so maybe \\boxed{{4}}.</think>\n<answer>{text}</answer>"


@pytest.mark.parametrize("pred, gold, acc", [
    ("\\frac{1}{2}", "0.5", 1.0),
    ("0.5", "\\frac{1}{2}", 1.0),
    ("1/2", "\\dfrac{1}{2}", 1.0),
    ("2/4", "1/2", 1.0),
    ("50\\%", "0.5", 1.0),
    ("0.333333", "1/3", 1.0),                # math-verify rounds decimals to 6 places
    ("0.33", "1/3", 0.0),
    ("\\sqrt{2}/2", "\\frac{\\sqrt{2}}{2}", 1.0),
    ("\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt{2}}{2}", 1.0),
    ("x = 3", "3", 1.0),
    ("$3$", "3", 1.0),
    ("\\boxed{3}", "3", 1.0),
    ("1,000", "1000", 1.0),
    ("\\{1, 2\\}", "\\{2, 1\\}", 1.0),        # sets (gold and answer wrapped in $…$ for math-verify)
    ("\\{1, 3\\}", "\\{2, 1\\}", 0.0),
    ("[1, 2)", "[1, 2)", 1.0),               # intervals
    ("(1, 2]", "[1, 2)", 0.0),
    ("2\\pi", "2 \\pi", 1.0),
    ("x^2 + 2x + 1", "(x+1)^2", 1.0),
    ("4", "5", 0.0),
    ("-5", "5", 0.0),
    ("5 apples", "5", 1.0),                  # math-verify drops trailing units
])
def test_math_equivalence(pred, gold, acc):
    s = verify_math(A(pred), gold, {})
    assert s.accuracy == acc, s


@pytest.mark.parametrize("completion, error", [
    ("<think>x</think><answer></answer>", "empty_answer"),
    ("<think>the answer is <answer>5</answer></think>", "no_answer"),
    ("<think>so \\boxed{5}</think>", "no_answer"),
])
def test_math_no_answer(completion, error):
    s = verify_math(completion, "5", {})
    assert (s.accuracy, s.error) == (0.0, error)


def test_math_boxed_fallback_and_hedged_answers():
    assert verify_math("<think>r</think> final: \\boxed{\\frac{1}{2}}", "0.5", {}).accuracy == 1.0
    # two different answers are a hedge, whichever comes last (the rule used to be "the last one wins")
    for hedge in (A("4") + "<answer>5</answer>", A("5") + "<answer>4</answer>"):
        assert (verify_math(hedge, "5", {}).accuracy, verify_math(hedge, "5", {}).error) == (0.0, "multiple_answers")
    assert verify_math(A("5") + "<answer> 5 </answer>", "5", {}).accuracy == 1.0  # the same answer twice is one


@pytest.mark.parametrize("pred", [
    "10^{10^{10}}", "2^{2^{2^{2^{2}}}}", "2**10**10", "9^{999999}", "1000000000!", "(123456)!",
    "\\sum_{i=1}^{1000000000} i", "1" * 500, "{" * 10_000 + "1" + "}" * 10_000,
    "(" * 10_000 + "1" + ")" * 10_000, "\\frac{" * 60 + "1" + "}{2}" * 60,
    "1+" * 490 + "1", "x*" * 300 + "x",      # over 100 operators: sympy takes ~1 s to parse the sum
])
def test_math_adversarial_answers_are_refused_fast(pred):
    t = time.perf_counter()
    s = verify_math(A(pred), "5", {})
    assert s.accuracy == 0.0 and s.error in ("too_complex", "too_long")
    assert time.perf_counter() - t < 0.5


def test_math_huge_exponent_float_and_long_answer():
    s = verify_math(A("1e99999999"), "5", {})
    assert s.accuracy == 0.0
    assert verify_math(A("1+" * 600 + "1"), "5", {}).error == "too_long"
    assert verify_math(A("5"), "10^{10^{10}}", {}).error == "bad_gold"
    assert verify_math(A("5"), "", {}).error == "bad_gold"


def test_screen_accepts_ordinary_answers():
    for ok in ["2^{10}", "x^2+1", "\\frac{\\sqrt{3}}{2}", "e^{i\\pi}", "10!", "(a+b)^{n}", "2^{99999}"]:
        assert screen(ok) is None, ok


@pytest.mark.parametrize("text, expected", [
    ("12", (Fraction(12), False)), ("-3", (Fraction(-3), False)), ("1,234", (Fraction(1234), False)),
    ("3.50", (Fraction(7, 2), True)), ("$0.25$", (Fraction(1, 4), True)), ("\\boxed{7}", (Fraction(7), False)),
    ("3/4", (Fraction(3, 4), False)), ("-\\frac{3}{4}", (Fraction(-3, 4), False)),
    ("\\dfrac{6}{8}", (Fraction(3, 4), False)),
    ("\\frac{-3}{4}", (Fraction(-3, 4), False)), ("-\\frac{-3}{4}", (Fraction(3, 4), False)),
    ("1/0", None), (".5", None), ("1e5", None), ("50%", None), ("1,23", None), ("x", None), ("3/-4", None),
])
def test_simple_number(text, expected):
    assert simple_number(text) == expected


# (gold, pred) pairs on which the fast path decides; math-verify (fast_path off) must agree on each.
AGREEMENT = [
    ("5", "5"), ("5", "6"), ("5", "5.0"), ("5", "5.000001"), ("5", "5.00001"), ("0.5", "1/2"), ("1/2", "0.5"),
    ("0.5", "\\frac{1}{2}"), ("1/3", "0.333333"), ("1/3", "0.3333"), ("1/3", "0.33"), ("2/3", "0.666667"),
    ("2/3", "0.67"), ("1000", "1,000"), ("1,000", "1000"), ("1234567", "1,234,567"), ("-3", "-3.0"),
    ("-3", "3"), ("3/4", "\\dfrac{3}{4}"), ("3/4", "6/8"), ("3/4", "0.75"), ("3/4", "0.76"), ("0.1", "1/10"),
    ("0.1", "0.10"), ("0.1", "0.2"), ("12.5", "25/2"), ("100", "99.99"), ("2", "\\boxed{2}"), ("7", "07"),
    ("123456789", "123456789"), ("123456789", "123456788"), ("3.14159", "3.14159"), ("3.14159", "3.1416"),
    ("-\\frac{1}{2}", "-0.5"), ("0", "0.0"), ("0", "-0"), ("+3", "3"), ("1/7", "0.142857"),
    ("\\frac{-3}{4}", "-0.75"), ("-\\frac{-3}{4}", "0.75"), ("\\dfrac{-96}{2}", "-48"),
    # identical answers (no numbers to compare): accepted as written
    ("\\frac{2\\pi}{3}", "\\frac{2\\pi}{3}"), ("3\\sqrt{2}", "$3\\sqrt{2}$"), ("\\{1, 2\\}", "\\{1,  2\\}"),
    ("x^2 + 1", "\\boxed{x^2 + 1}"), ("(1, 2]", "(1, 2]"),
]


def _random_pairs(n: int, seed: int = 0):
    rng = random.Random(seed)
    forms = [lambda v: str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}",
             lambda v: (f"\\frac{{{v.numerator}}}{{{v.denominator}}}" if v >= 0
                        else f"-\\frac{{{-v.numerator}}}{{{v.denominator}}}"),
             lambda v: f"{float(v):.{rng.randint(1, 8)}f}"]
    for _ in range(n):
        g = Fraction(rng.randint(-2000, 2000), rng.choice([1, 2, 3, 4, 7, 8, 10, 100]))
        p = g if rng.random() < 0.5 else g + Fraction(rng.choice([1, -1]), rng.choice([1, 10, 1000, 10 ** 6, 10 ** 7]))
        yield rng.choice(forms)(g), rng.choice(forms)(p)


@pytest.mark.parametrize("gold, pred", AGREEMENT + list(_random_pairs(80)))
def test_fast_path_agrees_with_math_verify(gold, pred):
    fast = verify_math(A(pred), gold, {})
    slow = verify_math(A(pred), gold, {"fast_path": False})
    assert "fast_path" not in slow.details
    assert fast.accuracy == slow.accuracy, (gold, pred, fast, slow)


def test_fast_path_decides_the_common_cases():
    assert fast_equal("5", "5") is True and fast_equal("5", "6") is False
    assert fast_equal("1/2", "0.5") is True and fast_equal("1/3", "0.5") is False
    assert fast_equal("1/3", "0.333333") is None    # close to a rounding decision: left to math-verify
    assert fast_equal("x", "5") is None
    assert fast_equal("x+1", "x+1") is True and fast_equal("x+1", "x + 1") is None
    assert fast_equal("2\\sqrt{3}", "\\sqrt{12}") is True and fast_equal("2\\sqrt{3}", "\\sqrt{13}") is False


@pytest.mark.parametrize("text, value", [
    ("2\\sqrt{3}", 2 * 3 ** 0.5), ("\\frac{3\\pi}{4}", 3 * 3.141592653589793 / 4), ("1-\\sqrt{2}", 1 - 2 ** 0.5),
    ("8\\pi/2", 4 * 3.141592653589793), ("-2^2", -4.0), ("2^{-1}", 0.5), ("2(1+\\sqrt{2})", 2 + 2 * 2 ** 0.5),
    ("\\dfrac{\\sqrt{2}}{2}", 2 ** 0.5 / 2), ("\\left(3\\right)^2", 9.0), ("3 \\cdot 4", 12.0),
    ("1/2\\pi", None), ("2^2^2", None), ("x+1", None), ("0.5", None), ("\\sqrt{-1}", None), ("1/0", None),
    ("\\sqrt2", None), ("2 3", None), ("10^{13}", None), ("\\{1, 2\\}", None), ("", None), ("2^{1/2}", None),
])
def test_evaluate_constant(text, value):
    got = evaluate_constant(text)
    assert (float(got) if got is not None else None) == (pytest.approx(value) if value is not None else None)


@pytest.mark.parametrize("gold, pred, expected", [
    ("2\\sqrt{3}", "\\sqrt{12}", True), ("\\frac{8\\pi}{2}", "4\\pi", True),
    ("\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt{2}}{2}", True),
    ("2\\sqrt{3}", "3\\sqrt{2}", False), ("\\pi", "\\frac{355}{113}", None),  # 8e-8 apart: math-verify decides
    ("10^{-12}\\cdot10^{-12}\\cdot10^{-12}\\cdot10^{-12}", "0", None),  # tiny is not "equal to 0"
    ("x", "x", None), ("0.5", "\\frac{1}{2}", None),
])
def test_compare_constants(gold, pred, expected):
    assert compare_constants(gold, pred) is expected


def _constant_pairs(n: int, seed: int = 1):
    rng = random.Random(seed)
    for _ in range(n):
        k, m, j = rng.randint(1, 9), rng.choice([2, 3, 5, 6, 7]), rng.randint(1, 5)
        same = [f"{k}\\sqrt{{{m}}}", f"\\sqrt{{{k * k * m}}}", f"\\frac{{{2 * k}\\sqrt{{{m}}}}}{{2}}"]
        other = [f"{k + 1}\\sqrt{{{m}}}", f"{k}\\sqrt{{{m + 1}}}", f"{k * k * m}", f"{k}"]
        pis = [f"\\frac{{{k}\\pi}}{{{j}}}", f"{k}\\pi/{j}", f"\\frac{{{k}}}{{{j}}}\\pi"]
        pis_other = [f"\\frac{{{k + 1}\\pi}}{{{j}}}", f"{k}\\pi", f"\\frac{{{k}}}{{{j}}}"]
        if rng.random() < 0.5:
            yield rng.choice(same), rng.choice(same + other)
        else:
            yield rng.choice(pis), rng.choice(pis + pis_other)


@pytest.mark.parametrize("gold, pred", list(_constant_pairs(40)))
def test_constant_fast_path_agrees_with_math_verify(gold, pred):
    decided = fast_equal(gold, pred)
    slow = verify_math(A(pred), gold, {"fast_path": False})
    if decided is not None:
        assert float(decided) == slow.accuracy, (gold, pred, slow)


def _equal_constant_pairs(n: int, seed: int = 3):
    """The same constant written two ways: the fast path says True, and so must math-verify."""
    rng = random.Random(seed)
    for _ in range(n):
        k, m, j = rng.randint(2, 9), rng.choice([2, 3, 5, 6, 7]), rng.randint(2, 6)
        yield rng.choice([
            (f"\\frac{{{k}}}{{\\sqrt{{{m}}}}}", f"\\frac{{{k}\\sqrt{{{m}}}}}{{{m}}}"),
            (f"({k}+\\sqrt{{{m}}})^2", f"{k * k + m}+{2 * k}\\sqrt{{{m}}}"),
            (f"\\frac{{1}}{{{k}+\\sqrt{{{m}}}}}", f"\\frac{{{k}-\\sqrt{{{m}}}}}{{{k * k - m}}}"),
            (f"\\sqrt{{{k * k * m}}}", f"{k}\\sqrt{{{m}}}"),
            (f"{k}\\pi/{j}", f"\\frac{{{2 * k}\\pi}}{{{2 * j}}}"),
            (f"({k}\\sqrt{{{m}}})^2", f"{k * k * m}"),
        ])


@pytest.mark.parametrize("gold, pred", list(_equal_constant_pairs(24)))
def test_constant_fast_path_equal_forms_agree_with_math_verify(gold, pred):
    assert fast_equal(gold, pred) is True
    assert verify_math(A(pred), gold, {"fast_path": False}).accuracy == 1.0


def _set_pairs(n: int, seed: int = 5):
    rng = random.Random(seed)

    def elem():
        k, m = rng.randint(-9, 9), rng.choice([2, 3, 5])
        return rng.choice([str(k), f"\\frac{{{k}}}{{{m}}}", f"{abs(k) + 1}\\sqrt{{{m}}}",
                           f"\\sqrt{{{(abs(k) + 1) ** 2 * m}}}"])
    for _ in range(n):
        g = [elem() for _ in range(rng.randint(1, 4))]
        p = rng.sample(g, len(g)) if rng.random() < 0.5 else [elem() for _ in range(rng.randint(1, 4))]
        yield "\\{" + ", ".join(g) + "\\}", "\\{" + ", ".join(p) + "\\}"


SET_CASES = [("\\{1, 2\\}", "\\{2,1\\}"), ("\\{1, 2\\}", "\\{1, 2, 3\\}"), ("\\{1,000\\}", "\\{1000\\}"),
             ("\\{1, 1\\}", "\\{1\\}")]


@pytest.mark.parametrize("gold, pred", list(_set_pairs(24)) + SET_CASES)
def test_set_fast_path_agrees_with_math_verify(gold, pred):
    decided = fast_equal(gold, pred)
    if decided is not None:
        assert float(decided) == verify_math(A(pred), gold, {"fast_path": False}).accuracy, (gold, pred)
