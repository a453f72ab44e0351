"""Hedged answers (several different answers) and disguised answers (hidden characters) in every verifier and in
the format checks."""

import pytest

from mmreason.rewards import format_score, format_score_plain, get_verifier
from mmreason.rewards.extract import find_answer
from mmreason.rewards.textguard import describe, hidden_character

T = "<think>reasoning</think>"

# verifier → (gold, a right answer, a wrong answer of the right kind, options)
CASES = {
    "math": ("\\frac{1}{2}", "0.5", "0.25", {}),
    "numeric": ("2.5", "2.5", "3.5", {}),
    "integer": ("51", "51", "15", {}),
    "choice": ("B", "B", "C", {"choices": ["London", "Paris", "Berlin"]}),
    "exact": ("paris", "Paris", "London", {}),
    "ocr_exact": ("Total 42", "Total 42", "Total 24", {}),
    "ocr_anls": ("invoice", "invoice", "receipt", {}),
    "ocr_cer": ("invoice", "invoice", "xyzxyzx", {}),
    "box_iou": ("[0, 0, 10, 10]", "[0, 0, 10, 10]", "[20, 20, 30, 30]", {}),
}


def run(verifier, completion):
    gold, _, _, options = CASES[verifier]
    return get_verifier(verifier)(completion, gold, options)


@pytest.mark.parametrize("completion, fallbacks, answer, reason", [
    (f"{T}<answer>5</answer><answer>6</answer>", (), None, "multiple_answers"),
    (f"{T}<answer>6</answer><answer>5</answer>", (), None, "multiple_answers"),
    (f"{T}<answer></answer><answer>5</answer>", (), None, "multiple_answers"),
    (f"{T}<answer>5</answer>\n<answer>  5 </answer>", (), "5", None),          # the same answer twice is one
    (f"<answer>5</answer>{T}<answer>6</answer>", (), None, "multiple_answers"),  # both outside the reasoning
    ("<think>I will write <answer>6</answer> at the end</think><answer>5</answer>", (), "5", None),
    ("<think>maybe \\boxed{6}</think><answer>5</answer>", ("boxed",), "5", None),
    ("draft <answer>7</answer></think><answer>3</answer>", (), "3", None),      # reasoning opened in the prompt
    (f"{T}<answer>\\boxed{{3}} or \\boxed{{4}}</answer>", (), None, "multiple_answers"),
    (f"{T}<answer>\\boxed{{3}} = \\boxed{{ 3 }}</answer>", (), "\\boxed{3} = \\boxed{ 3 }", None),
    (f"{T}<answer>\\boxed{{\\boxed{{3}}}}</answer>", (), "\\boxed{\\boxed{3}}", None),  # a nested box is one box
    (f"{T}<answer>5</answer><answer>6", (), "5", None),                        # an unclosed opener is no answer
    (f"{T}<answer>5</answer> \\boxed{{6}}", ("boxed",), "5", None),             # the block is the answer
    (f"{T} so \\boxed{{3}} and then \\boxed{{4}}", ("boxed",), None, "multiple_answers"),
    (f"{T} so \\boxed{{3}}. Final: \\boxed{{3}}", ("boxed",), "3", None),
    (f"{T} \\boxed{{3}} \\boxed{{4}} 5", ("boxed", "last_number"), None, "multiple_answers"),  # no fall-through
    (f"{T} nothing here", ("boxed",), None, "no_answer"),
])
def test_find_answer_hedges(completion, fallbacks, answer, reason):
    found = find_answer(completion, fallbacks=fallbacks)
    assert (found.answer, found.reason) == (answer, reason)


@pytest.mark.parametrize("verifier", sorted(CASES))
def test_every_verifier_refuses_a_hedge_even_when_one_answer_is_right(verifier):
    _, right, wrong, _ = CASES[verifier]
    assert run(verifier, f"{T}<answer>{right}</answer>").accuracy == 1.0
    for hedge in (f"{T}<answer>{right}</answer><answer>{wrong}</answer>",
                  f"{T}<answer>{wrong}</answer><answer>{right}</answer>",
                  f"{T}<answer>\\boxed{{{right}}} or \\boxed{{{wrong}}}</answer>",
                  f"{T} first \\boxed{{{wrong}}}, finally \\boxed{{{right}}}"):
        s = run(verifier, hedge)
        assert (s.accuracy, s.error) == (0.0, "multiple_answers"), (hedge, s)
    repeated = run(verifier, f"{T}<answer>{right}</answer><answer>{right}</answer>")
    assert (repeated.accuracy, repeated.error) == (1.0, None)
    mentioned = run(verifier, f"<think>format: <answer>{wrong}</answer></think><answer>{right}</answer>")
    assert (mentioned.accuracy, mentioned.error) == (1.0, None)


@pytest.mark.parametrize("completion, r1, plain", [
    ("<think>r</think><answer>5</answer>", 1.0, 0.0),
    ("<answer>5</answer>", 0.0, 1.0),
    ("<think>r</think><answer>5</answer><answer>6</answer>", 0.0, 0.0),
    ("<think>r</think><answer>5</answer><answer>5</answer>", 0.0, 0.0),  # one block: duplicates fail the format
    ("<think>r</think><answer>\\boxed{5} or \\boxed{6}</answer>", 0.0, 0.0),
    ("<answer>\\boxed{5} or \\boxed{6}</answer>", 0.0, 0.0),
    ("<answer>\\boxed{5}</answer>", 0.0, 1.0),
    ("<think>I answer in <answer></answer> tags</think><answer>5</answer>", 1.0, 0.0),
    ("<think>r</think><answer>5</answer> \\boxed{6}", 0.0, 0.0),
])
def test_format_checks_and_hedges(completion, r1, plain):
    assert (format_score(completion), format_score_plain(completion)) == (r1, plain)


HIDDEN = {
    "right-to-left override": "\u202e", "left-to-right override": "\u202d", "right-to-left isolate": "\u2067",
    "pop directional isolate": "\u2069", "left-to-right mark": "\u200e", "right-to-left mark": "\u200f",
    "arabic letter mark": "\u061c", "zero-width space": "\u200b", "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d", "word joiner": "\u2060", "byte order mark": "\ufeff", "soft hyphen": "\u00ad",
    "invisible times": "\u2062", "tag latin capital a": "\U000e0041", "variation selector 16": "\ufe0f",
    "combining grapheme joiner": "\u034f", "hangul filler": "\u3164", "braille blank": "\u2800",
    "nul": "\x00", "escape": "\x1b", "delete": "\x7f", "combining long solidus overlay": "\u0338",
    "combining enclosing keycap": "\u20e3",
}


@pytest.mark.parametrize("verifier", sorted(CASES))
@pytest.mark.parametrize("name", sorted(HIDDEN))
@pytest.mark.parametrize("where", ["start", "inside", "end"])
def test_hidden_characters_are_refused(verifier, name, where):
    _, right, _, _ = CASES[verifier]
    c = HIDDEN[name]
    text = {"start": c + right, "inside": right[:1] + c + right[1:], "end": right + c}[where]
    s = run(verifier, f"{T}<answer>{text}</answer>")
    assert (s.accuracy, s.error) == (0.0, "hidden_characters"), (describe(c), s)


@pytest.mark.parametrize("verifier", sorted(CASES))
def test_hidden_characters_in_gold_are_bad_gold_and_in_reasoning_harmless(verifier):
    gold, right, _, options = CASES[verifier]
    s = get_verifier(verifier)(f"{T}<answer>{right}</answer>", gold + "\u200b", options)
    assert (s.accuracy, s.error) == (0.0, "bad_gold")
    assert run(verifier, f"<think>\u202e\u200b</think><answer>{right}</answer>").accuracy == 1.0


def test_a_reversed_display_is_not_credited():
    # "\u202e15" is the text 15 shown as "51": the gold 51 must not be credited for it, nor 15 either
    for gold in ("15", "51"):
        for verifier in ("integer", "numeric", "math", "exact", "ocr_exact"):
            s = get_verifier(verifier)(f"{T}<answer>\u202e15</answer>", gold, {})
            assert (s.accuracy, s.error) == (0.0, "hidden_characters"), (verifier, gold, s)


@pytest.mark.parametrize("verifier, gold, pred", [
    ("exact", "hello world", "hello\u00a0world"), ("exact", "hello world", "hello\u3000world"),
    ("exact", "hello world", "hello\u2009world"), ("ocr_exact", "Hello World", "Hello\u202fWorld"),
    ("ocr_exact", "café", "cafe\u0301"),          # a decomposed accent composes (NFC): not a hidden mark
    ("ocr_anls", "Hello World", "hello\u00a0world"), ("numeric", "1000", "1\u00a0000"),
    ("integer", "5", "\uff15"),                    # full-width digit (NFKC)
    ("exact", "hello", "\uff28\uff25\uff2c\uff2c\uff2f"),
])
def test_safe_normalisation_still_credits(verifier, gold, pred):
    s = get_verifier(verifier)(f"{T}<answer>{pred}</answer>", gold, {})
    assert (s.accuracy, s.error) == (1.0, None), s


def test_hidden_character_scanner():
    assert hidden_character("plain ascii 123 \t\n") is None
    assert hidden_character("naïve café ½ — x²") is None
    assert hidden_character("5\u0338") == "\u0338" and hidden_character("é\u0338") is None  # overlay on a non-ASCII
    assert hidden_character("a\x00") == "\x00" and hidden_character("\u202e51") == "\u202e"
    assert describe("\u202e") == "U+202E RIGHT-TO-LEFT OVERRIDE"
