"""Property tests (hypothesis): any text gives every verifier a score in [0, 1] with a documented reason within the
time bound; the extraction and format checks agree with each other; numbers written in any accepted style are
read as the number they are, by `math` (fast path on and off), `numeric` and `integer`.

Runs are bounded (max_examples, deadline) so the file takes a few seconds.
"""

import time
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmreason.rewards import VerifyRequest, format_score, format_score_plain, get_verifier, score_one
from mmreason.rewards.base import REASONS
from mmreason.rewards.extract import find_answer
from mmreason.rewards.pool import _WARM_UP

BOUND_S = 2.0  # the pool's default per-item time bound
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
GOLDS = {"math": ["\\frac{1}{2}", "0,500", "\\$18.90", "1 000", "2\\sqrt{3}", "\\{1, 2\\}", "x^2+1"],
         "numeric": ["2.5", "1,000", "0,5", "50%"], "integer": ["7", "1 000", "\\$20"],
         "choice": ["B", "Paris"], "exact": ["paris", "New York"], "ocr_exact": ["Total: 42"],
         "ocr_anls": ["invoice 12"], "ocr_cer": ["hello world"], "box_iou": ["[0, 0, 10, 10]"]}
OPTIONS = {"choice": {"choices": ["London", "Paris", "Berlin"]}}
HOSTILE = ["<think>", "</think>", "<answer>", "</answer>", "\\boxed{", "\u202e", "\u200b", "\ufeff", "\u0338", "\x00"]
ANSWERISH = ["{", "}", "(", ")", "[", "]", "$", "\\$", "\\frac{", "\\sqrt{", "^", "^{", "10^{10^{", "!", "\\{", "\\}",
             "\\sum_{i=1}^{", ",", ".", " ", "\n", "%", "\\%", "1", "7", "0,500", "1 000", "12 5", "1000,99", "-", "x",
             "=", "\\pi", "e", "1e999", "9" * 120, "\u00a0", "\u2009", "Ａ", "٥", "B", "Paris", "[0, 0, 10, 10]",
             "€", "USD", "dollars", "\\text{", "\\infty", "\\cup", "\\le", "\\left(", "\\right)", "\\cdot", "/"]
ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=8)


@st.composite
def answer_text(draw):
    """Answer-like text: numbers, LaTeX, separators, plain words; about one fragment in 20 is hostile."""
    parts = draw(st.lists(st.one_of(st.sampled_from(ANSWERISH * 2 + HOSTILE), ASCII), min_size=1, max_size=12))
    return "".join(parts)


@st.composite
def hostile(draw):
    """A completion built from tags, LaTeX, numbers, hidden characters and random text, sometimes repeated."""
    parts = draw(st.lists(st.one_of(st.sampled_from(HOSTILE + ANSWERISH), st.text(max_size=12)), max_size=30))
    text = "".join(parts)
    if draw(st.booleans()):
        text = text * draw(st.integers(1, 400))
    return text[:20_000]


@st.composite
def request(draw):
    verifier = draw(st.sampled_from(sorted(GOLDS) + ["math"] * 3))
    gold = draw(st.one_of(st.sampled_from(GOLDS[verifier]), answer_text()))
    shape = draw(st.integers(0, 4))
    reasoning = "".join(draw(st.lists(st.one_of(st.sampled_from(ANSWERISH), st.text(max_size=8)), max_size=10)))
    if shape == 0:
        completion = draw(hostile())
    elif shape == 1:
        completion = f"<think>{reasoning}</think> so \\boxed{{{draw(answer_text())}}}"
    else:
        completion = f"<think>{reasoning}</think><answer>{draw(answer_text())}</answer>"
    return VerifyRequest(completion, gold, verifier, OPTIONS.get(verifier, {}))


@pytest.fixture(scope="module", autouse=True)
def warm_math_verify():
    score_one(_WARM_UP)  # its first parse builds ANTLR tables (~1 s): not a verification's own time


@FAST
@given(request())
def test_any_text_scores_in_range_with_a_documented_reason_in_time(req):
    t = time.process_time()  # CPU time: the machine is shared, wall time is not this process's alone
    s = score_one(req, timeout_s=2 * BOUND_S)
    cpu = time.process_time() - t
    assert 0.0 <= s.accuracy <= 1.0
    assert s.error is None or s.error in REASONS, s  # not timeout, not error:<Type> (a verifier bug)
    assert cpu < BOUND_S


@FAST
@given(hostile())
def test_extraction_and_format_agree_on_any_text(text):
    t = time.perf_counter()
    for think_tag in ("think", None):
        found = find_answer(text, fallbacks=("boxed", "last_number", "last_line"), think_tag=think_tag)
        assert (found.answer is None) == (found.reason is not None)
        assert found.reason in (None, "no_answer", "multiple_answers")
    r1, plain = format_score(text), format_score_plain(text)
    assert r1 in (0.0, 1.0) and plain in (0.0, 1.0)
    if r1:  # a completion in the right format always has exactly one, non-empty answer
        assert find_answer(text, fallbacks=()).answer
    if plain:
        assert find_answer(text, fallbacks=(), think_tag=None).answer
    assert time.perf_counter() - t < 0.5


SEPARATORS = [",", " ", "\u00a0", "\u2009", "\u202f", "\\,", "{,}"]


@st.composite
def written_number(draw):
    """(value, how a person might write it): thousands separators, decimal point or comma, sign, currency."""
    places, n = draw(st.integers(0, 3)), draw(st.integers(-10 ** 8, 10 ** 8))
    value = Fraction(n, 10 ** places)
    int_digits, frac_digits = str(abs(n) // 10 ** places), str(abs(n) % 10 ** places).zfill(places) if places else ""
    sep = draw(st.sampled_from(SEPARATORS))
    if len(int_digits) > 3 and draw(st.booleans()):
        head = len(int_digits) % 3 or 3
        groups = [int_digits[:head]] + [int_digits[i:i + 3] for i in range(head, len(int_digits), 3)]
        int_digits = sep.join(groups)
    comma_ok = "," not in int_digits and "{,}" not in int_digits and not (
        len(frac_digits) == 3 and int_digits.isdigit() and len(int_digits) <= 3 and int_digits[0] != "0")
    mark = draw(st.sampled_from([".", ","])) if comma_ok else "."
    body = int_digits + (mark + frac_digits if frac_digits else "")
    sign = "-" if value < 0 else ""
    currency = draw(st.sampled_from(["", "\\$", "€", " USD"]))
    text = sign + currency + body if currency.strip() != "USD" else sign + body + currency
    return value, text


@settings(max_examples=50, deadline=None, derandomize=True)  # math-verify runs here: ~0.1 s an example
@given(written_number())
def test_numbers_written_any_accepted_way_read_as_their_value(case):
    value, text = case
    plain = str(value.numerator) if value.denominator == 1 else f"{float(value):.3f}"
    wrong = value + 1 + abs(value)  # off by over 50%: wrong for every tolerance
    other = str(wrong) if wrong.denominator == 1 else f"{float(wrong):.3f}"
    completion = f"<think>r</think><answer>{text}</answer>"
    for options in ({}, {"fast_path": False}):
        assert get_verifier("math")(completion, plain, options).accuracy == 1.0, (text, plain, options)
        assert get_verifier("math")(completion, other, options).accuracy == 0.0, (text, other, options)
    assert get_verifier("numeric")(completion, plain, {}).accuracy == 1.0, (text, plain)
    assert get_verifier("numeric")(completion, other, {}).accuracy == 0.0, (text, other)
    if value.denominator == 1:
        assert get_verifier("integer")(completion, plain, {}).accuracy == 1.0, (text, plain)
