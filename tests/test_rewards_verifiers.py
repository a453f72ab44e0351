"""Table-driven tests of the non-math verifiers: numeric, integer, choice, exact, OCR, boxes."""

import random
import time

import pytest

from mmreason.registry import UnknownNameError
from mmreason.rewards import VERIFIERS, get_verifier
from mmreason.rewards.ocr import levenshtein, levenshtein_reference


def A(text: str) -> str:
    return f"<think>working</think><answer>{text}</answer>"


def check(verifier, completion, gold, options=None):
    return get_verifier(verifier)(completion, gold, options or {})


def test_registry_names_and_did_you_mean():
    builtin = {n for n in VERIFIERS.names() if not n.startswith("test_")}  # test_*: registered by other tests
    assert builtin == {"math", "numeric", "integer", "choice", "exact", "ocr_exact", "ocr_anls", "ocr_cer", "box_iou",
                       "steps"}
    with pytest.raises(UnknownNameError, match="did you mean 'numeric'"):
        get_verifier("numerc")


ALL = ["math", "numeric", "integer", "choice", "exact", "ocr_exact", "ocr_anls", "ocr_cer", "box_iou"]
GOLDS = {"math": "5", "numeric": "5", "integer": "5", "choice": "A", "exact": "five", "ocr_exact": "five",
         "ocr_anls": "five", "ocr_cer": "five", "box_iou": "[0, 0, 10, 10]"}


@pytest.mark.parametrize("verifier", ALL)
@pytest.mark.parametrize("completion, reason", [
    ("<think>x</think><answer></answer>", "empty_answer"),       # the old substring hack: must never match
    ("<think>x</think><answer>   </answer>", "empty_answer"),
    ("<think><answer>{gold}</answer></think>", "no_answer"),    # right answer only inside the reasoning
    ("just text", "no_answer"),
])
def test_no_or_empty_answer_never_matches(verifier, completion, reason):
    s = check(verifier, completion.format(gold=GOLDS[verifier]), GOLDS[verifier])
    assert (s.accuracy, s.error) == (0.0, reason)


@pytest.mark.parametrize("verifier", ALL)
def test_gold_itself_scores_one(verifier):
    assert check(verifier, A(GOLDS[verifier]), GOLDS[verifier]).accuracy == 1.0


@pytest.mark.parametrize("pred, gold, options, acc, error", [
    ("3.5", "3.5", {}, 1.0, None),
    ("1,234", "1234", {}, 1.0, None),
    ("-2", "-2.0", {}, 1.0, None),
    ("1/2", "0.5", {}, 1.0, None),
    ("\\frac{1}{2}", "0.5", {}, 1.0, None),
    ("$0.5$", "1/2", {}, 1.0, None),
    ("\\boxed{7}", "7", {}, 1.0, None),
    ("2.5e-3", "0.0025", {}, 1.0, None),
    ("2.5 \\times 10^{-3}", "0.0025", {}, 1.0, None),
    ("−3", "-3", {}, 1.0, None),                        # unicode minus
    ("50%", "50", {}, 1.0, None),                       # % as a dropped unit
    ("50%", "0.5", {}, 1.0, None),                      # % as a proportion
    ("0.5", "50%", {}, 1.0, None),
    ("50", "50%", {}, 1.0, None),
    ("50%", "50%", {}, 1.0, None),
    ("5%", "50%", {}, 0.0, None),
    ("3.5", "3.6", {}, 0.0, None),
    ("3.5000001", "3.5", {}, 1.0, None),                # within rel_tol 1e-6
    ("3.51", "3.5", {"rel_tol": 0.01}, 1.0, None),
    ("104", "100", {"relaxed": True}, 1.0, None),       # ChartQA 5%
    ("106", "100", {"relaxed": True}, 0.0, None),
    ("0", "0", {"relaxed": True}, 1.0, None),
    ("1e-12", "0", {}, 1.0, None),                      # abs_tol 1e-9
    ("1,23", "123", {}, 0.0, None),                     # a decimal comma (1.23), not a malformed 123
    ("1,23", "1.23", {}, 1.0, None),
    ("3 or 4", "3", {}, 0.0, "parse_error"),
    ("five", "5", {}, 0.0, "parse_error"),
    ("1/0", "5", {}, 0.0, "parse_error"),
    ("1e999999", "5", {}, 0.0, "out_of_range"),        # absurd exponent: refused, not computed
    ("1e99999999", "5", {}, 0.0, "out_of_range"),
    ("9" * 5000, "5", {}, 0.0, "parse_error"),
    ("5", "n/a", {}, 0.0, "bad_gold"),
])
def test_numeric(pred, gold, options, acc, error):
    s = check("numeric", A(pred), gold, options)
    assert (s.accuracy, s.error) == (acc, error)


@pytest.mark.parametrize("pred, gold, acc, error", [
    ("5", "5", 1.0, None),
    ("5.0", "5", 1.0, None),
    ("five", "5", 1.0, None),
    ("Twenty", "20", 1.0, None),
    ("zero", "0", 1.0, None),
    ("1,000", "1000", 1.0, None),
    ("$12$", "12", 1.0, None),
    ("12.", "12", 1.0, None),
    ("-3", "-3", 1.0, None),
    ("5.5", "5", 0.0, None),          # a number, not an integer: wrong
    ("6", "5", 0.0, None),
    ("5 6", "5", 0.0, "parse_error"),  # more than one integer
    ("5 apples", "5", 0.0, "parse_error"),
    ("twenty-one", "21", 0.0, "parse_error"),
    ("1e5", "100000", 0.0, None),     # scientific notation is a number but not "exactly one integer"
    ("3", "three", 1.0, None),
    ("3", "3.5", 0.0, "bad_gold"),
])
def test_integer(pred, gold, acc, error):
    s = check("integer", A(pred), gold)
    assert (s.accuracy, s.error) == (acc, error)


CHOICES = {"choices": ["London", "Paris", "Berlin", "Rome"]}


@pytest.mark.parametrize("pred, gold, options, acc, error", [
    ("B", "B", CHOICES, 1.0, None),
    ("(B)", "B", CHOICES, 1.0, None),
    ("B.", "B", CHOICES, 1.0, None),
    ("b", "B", CHOICES, 1.0, None),
    ("Option B", "B", CHOICES, 1.0, None),
    ("The answer is B", "B", CHOICES, 1.0, None),
    ("Answer: (B)", "B", CHOICES, 1.0, None),
    ("B. Paris", "B", CHOICES, 1.0, None),
    ("paris", "B", CHOICES, 1.0, None),
    ("Paris.", "Paris", CHOICES, 1.0, None),          # gold as option text
    ("B", "paris", CHOICES, 1.0, None),
    ("\\boxed{B}", "B", CHOICES, 1.0, None),
    ("**B**", "B", CHOICES, 1.0, None),
    ("C", "B", CHOICES, 0.0, None),
    ("B. Berlin", "B", CHOICES, 0.0, "parse_error"),   # letter and text disagree
    ("A, B", "B", CHOICES, 0.0, "parse_error"),        # several letters
    ("A and B", "B", CHOICES, 0.0, "parse_error"),
    ("B C", "B", CHOICES, 0.0, "parse_error"),
    ("E", "B", CHOICES, 0.0, "parse_error"),           # out of range
    ("Madrid", "B", CHOICES, 0.0, "parse_error"),
    ("B", "B", {}, 1.0, None),                         # no choices: letters only
    ("B", "Paris", {}, 0.0, "bad_gold"),
])
def test_choice(pred, gold, options, acc, error):
    s = check("choice", A(pred), gold, options)
    assert (s.accuracy, s.error) == (acc, error)


@pytest.mark.parametrize("pred, gold, options, acc", [
    ("Hello  World.", "hello world", {}, 1.0),
    ("ＨＥＬＬＯ", "hello", {}, 1.0),                    # NFKC folds full-width letters
    ("\u0430pple", "apple", {}, 0.0),                    # Cyrillic 'а' is not Latin 'a'
    ("Аpple", "Apple", {}, 0.0),                         # Cyrillic capital А
    ("apple", "Apple", {"case_sensitive": True}, 0.0),
    ("Apple", "Apple", {"case_sensitive": True}, 1.0),
    ("red apple", "apple", {}, 0.0),                     # no substring credit
    ("apple", "red apple", {}, 0.0),
    ("pomme", "apple", {"alternatives": ["pomme"]}, 1.0),
])
def test_exact(pred, gold, options, acc):
    assert check("exact", A(pred), gold, options).accuracy == acc


def test_exact_empty_gold_is_bad_gold():
    assert check("exact", A("x"), "  ").error == "bad_gold"


@pytest.mark.parametrize("verifier, pred, gold, options, acc", [
    ("ocr_exact", "Hello  World", "Hello World", {}, 1.0),
    ("ocr_exact", "hello world", "Hello World", {}, 0.0),     # case-sensitive by default
    ("ocr_exact", "x²", "x2", {}, 0.0),                       # NFC keeps superscripts distinct
    ("ocr_exact", "Hello World.", "Hello World", {}, 0.0),    # punctuation is part of a transcription
    ("ocr_anls", "hello world", "Hello World", {}, 1.0),       # ANLS is case-insensitive
    ("ocr_anls", "helo world", "Hello World", {}, 1 - 1 / 11),
    ("ocr_anls", "abcdef", "abcxyz", {}, 0.0),                 # NL = 0.5 → 0 (strict <)
    ("ocr_anls", "abcdeg", "abcdef", {}, 1 - 1 / 6),
    ("ocr_anls", "bonjour", "hello", {"alternatives": ["bonjour"]}, 1.0),
    ("ocr_cer", "hello", "hello", {}, 1.0),
    ("ocr_cer", "helo", "hello", {}, 0.8),
    ("ocr_cer", "completely different text", "abc", {}, 0.0),  # CER > 1 clipped
])
def test_ocr(verifier, pred, gold, options, acc):
    assert check(verifier, A(pred), gold, options).accuracy == pytest.approx(acc)


def test_ocr_cer_details_and_too_long():
    assert check("ocr_cer", A("helo"), "hello").details["cer"] == pytest.approx(0.2)
    t = time.perf_counter()
    s = check("ocr_anls", A("x" * 1_000_000), "short")
    assert (s.accuracy, s.error) == (0.0, "too_long") and time.perf_counter() - t < 1.0


def test_levenshtein_matches_reference():
    rng = random.Random(0)
    for _ in range(400):
        a = "".join(rng.choice("abcd ") for _ in range(rng.randint(0, 15)))
        b = "".join(rng.choice("abce ") for _ in range(rng.randint(0, 90)))  # past 64 bits
        assert levenshtein(a, b) == levenshtein_reference(a, b) == levenshtein(b, a)
    assert levenshtein("kitten", "sitting") == 3


def test_levenshtein_is_fast_on_long_strings():
    rng = random.Random(1)
    a = "".join(rng.choice("abcdefgh ") for _ in range(2000))
    b = "".join(rng.choice("abcdefgh ") for _ in range(20000))
    t = time.perf_counter()
    levenshtein(a, b)
    assert time.perf_counter() - t < 1.0


@pytest.mark.parametrize("pred, gold, acc, error", [
    ("[0, 0, 10, 10]", "[0, 0, 10, 10]", 1.0, None),
    ('{"bbox_2d": [0, 0, 10, 10]}', "[0, 0, 10, 10]", 1.0, None),
    ("(0, 0, 10, 10)", "[0, 0, 10, 10]", 1.0, None),
    ("[0, 0, 10, 10]", "[0, 0, 10, 20]", 0.5, None),
    ("[0, 0, 10, 10]", "[20, 20, 30, 30]", 0.0, None),
    ("[0, 0, 10, 10], [20, 20, 30, 30]", "[[0, 0, 10, 10], [20, 20, 30, 30]]", 1.0, None),
    ("[0, 0, 10, 10]", "[[0, 0, 10, 10], [20, 20, 30, 30]]", 0.5, None),
    ("[0,0,10,10] [0,0,10,10] [5,5,6,6] [7,7,8,8]", "[0, 0, 10, 10]", 0.25, None),  # spam: count factor
    ("[10, 10, 0, 0]", "[0, 0, 10, 10]", 0.0, None),          # inverted box overlaps nothing
    ("[0, 0, 1e999, 10]", "[0, 0, 10, 10]", 0.0, "parse_error"),
    ("[0, 0, " + "9" * 400 + ", 10]", "[0, 0, 10, 10]", 0.0, None),  # infinite coordinate → degenerate
    ("no box", "[0, 0, 10, 10]", 0.0, "parse_error"),
    ("[0, 0, 10]", "[0, 0, 10, 10]", 0.0, "parse_error"),
    ("[0, 0, 10, 10]", "not json", 0.0, "bad_gold"),
    ("[0, 0, 10, 10]", "[0, 0, 10]", 0.0, "bad_gold"),
    ("[0, 0, 10, 10]", "[10, 10, 0, 0]", 0.0, "bad_gold"),
    ("[0, 0, 10, 10]", "[]", 0.0, "bad_gold"),
])
def test_box_iou(pred, gold, acc, error):
    s = check("box_iou", A(pred), gold)
    assert (s.accuracy, s.error) == (pytest.approx(acc), error)


def test_box_iou_refuses_too_many_boxes():
    s = check("box_iou", A("[0,0,1,1] " * 500), "[0, 0, 1, 1]")
    assert (s.accuracy, s.error) == (0.0, "parse_error")


NASTY = ["{" * 10_000 + "5" + "}" * 10_000, "(" * 10_000 + "5" + ")" * 10_000, "[" * 10_000, "\\boxed{" * 5_000,
         "1e99999999", "10^{10^{10}}", "9" * 20_000, "<answer>" * 2_000, "5 " * 10_000, "\u200b5", "\x00"]


@pytest.mark.parametrize("verifier", ALL)
@pytest.mark.parametrize("nasty", NASTY, ids=lambda s: repr(s[:12]))
def test_adversarial_answers_are_fast_zeros(verifier, nasty):
    t = time.perf_counter()
    s = check(verifier, A(nasty), GOLDS[verifier])
    assert s.accuracy == 0.0 and time.perf_counter() - t < 1.0


@pytest.mark.parametrize("verifier, pred, gold, options, acc", [
    ("choice", "В", "B", CHOICES, 0.0),          # Cyrillic В is not the letter B
    ("choice", "(Β)", "B", CHOICES, 0.0),        # nor is Greek Β
    ("ocr_exact", "Аpple", "Apple", {}, 0.0),
    ("ocr_anls", "раypal", "paypal", {}, 1 - 2 / 6),  # two look-alikes cost two edits
    ("numeric", "５", "5", {}, 1.0),               # full-width digits are digits (NFKC)
    ("integer", "５", "5", {}, 1.0),
    ("numeric", "٥", "5", {}, 0.0),                # other scripts' digits are not read
    ("math", "５", "5", {}, 0.0),
])
def test_look_alike_unicode(verifier, pred, gold, options, acc):
    assert check(verifier, A(pred), gold, options).accuracy == pytest.approx(acc)
