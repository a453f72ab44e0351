"""Answer extraction and format checks, including adversarial layouts and huge inputs."""

import time

import pytest

from mmreason.rewards import extract_answer, format_score, format_score_plain

T = "<think>reasoning</think>"


@pytest.mark.parametrize("completion, expected", [
    (f"{T}<answer>42</answer>", "42"),
    (f"{T}\n<answer>  42 \n</answer>\n", "42"),
    (f"{T}<answer>1</answer><answer>2</answer>", None),                     # two different answers: a hedge, none
    (f"{T}<answer>2</answer><answer> 2 </answer>", "2"),                    # the same answer twice is one
    ("<think>maybe <answer>7</answer></think>", None),                         # only inside the reasoning
    ("<think>a <answer>7</answer></think><answer>8</answer>", "8"),
    ("<think>a</think><answer>8</answer><think>no wait <answer>9</answer></think>", "8"),
    ("<think>unclosed <answer>7</answer>", None),                              # unclosed reasoning runs to the end
    ("prompt-opened reasoning <answer>7</answer></think><answer>3</answer>", "3"),
    ("reasoning with answer <answer>7</answer></think> no tags", None),
    (f"{T}<answer></answer>", ""),                                             # empty answer is "" (never None)
    (f"{T}<answer> \n </answer>", ""),
    ("no tags at all", None),
    ("<answer>5", None),
    ("5</answer>", None),
    ("</answer>5<answer>", None),
    ("<answer><answer>5</answer>", "5"),
    ("<answer>1</answer><think>x</think>", "1"),
])
def test_extract_answer_tags(completion, expected):
    assert extract_answer(completion, fallbacks=()) == expected


@pytest.mark.parametrize("completion, fallbacks, expected", [
    ("so \\boxed{\\frac{1}{2}} done", ("boxed",), "\\frac{1}{2}"),
    ("\\boxed{1} then \\boxed{2}", ("boxed",), None),                       # two different boxes: a hedge
    ("\\boxed{2} so \\boxed{2}", ("boxed",), "2"),
    ("\\boxed{a{b}c}", ("boxed",), "a{b}c"),
    ("\\boxed{1} and \\boxed{unbalanced", ("boxed",), "1"),
    ("<think>\\boxed{3}</think> nothing", ("boxed",), None),                  # boxed inside reasoning ignored
    ("<answer>4</answer> \\boxed{3}", ("boxed",), "4"),                       # the answer tag beats fallbacks
    ("the total is 1,234.5 apples", ("last_number",), "1,234.5"),
    ("values 3 then -7/2.", ("last_number",), "-7/2"),
    ("first line\nlast line  \n\n", ("last_line",), "last line"),
    ("no box here", ("boxed", "last_number"), None),
    ("x \\boxed{} y", ("boxed",), ""),
])
def test_extract_answer_fallbacks(completion, fallbacks, expected):
    assert extract_answer(completion, fallbacks=fallbacks) == expected


def test_configurable_tags_and_unknown_fallback():
    c = "<reason><ans>1</ans></reason><ans>2</ans>"
    assert extract_answer(c, answer_tag="ans", think_tag="reason") == "2"
    assert extract_answer("<think>x</think><answer>1</answer>", think_tag=None) == "1"
    with pytest.raises(ValueError, match="unknown answer fallback"):
        extract_answer("x", fallbacks=("nope",))


@pytest.mark.parametrize("completion, expected", [
    ("<think>r</think><answer>a</answer>", 1.0),
    ("  <think>r</think>\n\n<answer> a </answer>\n", 1.0),
    ("<think></think><answer>a</answer>", 1.0),
    ("<think>r</think><answer></answer>", 0.0),                 # empty answer
    ("<think>r</think><answer>  </answer>", 0.0),
    ("<think>r</think>text<answer>a</answer>", 0.0),            # text between
    ("<think>r</think><answer>a</answer>trailing", 0.0),
    ("lead<think>r</think><answer>a</answer>", 0.0),
    ("<think>r</think><answer>a</answer><answer>b</answer>", 0.0),
    ("<think>r <answer>x</answer></think><answer>a</answer>", 1.0),  # answer tags in the reasoning are text
    ("<think>r</think><think>s</think><answer>a</answer>", 0.0),
    ("<answer>a</answer><think>r</think>", 0.0),
    ("<think>r<answer>a</answer>", 0.0),
    ("", 0.0),
])
def test_format_score_r1(completion, expected):
    assert format_score(completion) == expected


@pytest.mark.parametrize("completion, expected", [
    ("<answer>a</answer>", 1.0),
    ("\n <answer> a </answer>\n", 1.0),
    ("some reasoning\n<answer>a</answer>\n", 0.0),         # "give only the final answer"
    ("<think>r</think><answer>a</answer>", 0.0),
    ("<answer></answer>", 0.0),
    ("<answer>a</answer> more", 0.0),
    ("<answer>a</answer><answer>b</answer>", 0.0),
    ("no answer", 0.0),
])
def test_format_score_plain(completion, expected):
    assert format_score_plain(completion) == expected


def test_huge_inputs_are_linear():
    big = "<answer>" * 200_000 + "</think>" * 100_000 + "\\boxed{" * 100_000 + "{" * 200_000
    boxes = "\\boxed{" * 50 + "{" * 1_000_000
    t = time.perf_counter()
    extract_answer(big, fallbacks=("boxed", "last_number", "last_line"))
    format_score(big)
    assert extract_answer(boxes, fallbacks=("boxed",)) is None
    extract_answer("1 " * 300_000, fallbacks=("last_number",))
    assert time.perf_counter() - t < 2.0
