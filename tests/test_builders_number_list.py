"""The text-only family `number_list`: every answer re-derived by a reading of the question written here (not the
generator's predicates), answers spread over their range, traces that judge each number, disjoint splits."""

import json
import re
from collections import Counter

import pytest

from data_builders import build_dataset
from helpers import state_hashes
from modalities import get_adapter, load_samples


def solve(question: str) -> int:
    """Parse the list and the property from the question's words and apply it."""
    m = re.fullmatch(r"Numbers: ([\d, ]+)\. (How many of them are|What is the sum of the numbers that are) (.+)\?",
                     question)
    assert m, question
    numbers = [int(x) for x in m.group(1).split(", ")]
    prop = m.group(3)
    tests = {"odd": lambda x: x % 2 == 1, "even": lambda x: x % 2 == 0, "multiples of 3": lambda x: x % 3 == 0}
    if prop in tests:
        keep = tests[prop]
    elif (g := re.fullmatch(r"greater than (\d+)", prop)):
        keep = lambda x, k=int(g.group(1)): x > k  # noqa: E731
    elif (g := re.fullmatch(r"less than (\d+)", prop)):
        keep = lambda x, k=int(g.group(1)): x < k  # noqa: E731
    else:
        g = re.fullmatch(r"between (\d+) and (\d+)", prop)
        keep = lambda x, lo=int(g.group(1)), hi=int(g.group(2)): lo <= x <= hi  # noqa: E731
    picked = [x for x in numbers if keep(x)]
    return sum(picked) if m.group(2).startswith("What") else len(picked)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_dataset("text", tmp_path_factory.mktemp("nl") / "d", n=500, seed=5, difficulty="1-5",
                         families=["number_list"])


def test_every_answer_is_rederived_from_the_question(built):
    samples, _ = load_samples(get_adapter("puzzles"), str(built))
    assert len(samples) == 500 and {s.difficulty for s in samples} == {1, 2, 3, 4, 5}
    for s in samples:
        assert s.images == [] and s.verifier == "integer"
        assert solve(s.question) == int(s.answer), s.question
    kinds = Counter(re.search(r"are (odd|even|greater|less|multiples|between)", s.question).group(1) for s in samples)
    assert set(kinds) == {"odd", "even", "greater", "less", "multiples", "between"}


def test_traces_judge_every_number_in_order_and_end_on_the_answer(built):
    for s in load_samples(get_adapter("puzzles"), str(built))[0]:
        numbers = re.match(r"Numbers: ([\d, ]+)\.", s.question).group(1).split(", ")
        judged = re.findall(r"(\d+) (yes|no)", s.reasoning)
        assert [x for x, _ in judged] == numbers, (s.question, s.reasoning)
        assert s.reasoning.endswith(f"{s.answer}.")
        if "How many" in s.question:
            assert sum(v == "yes" for _, v in judged) == int(s.answer)


def test_count_answers_cover_their_range_evenly(tmp_path):
    d = build_dataset("text", tmp_path / "l1", n=600, seed=1, difficulty="1", families=["number_list"])
    answers = Counter(int(json.loads(line)["answer"]) for line in (d / "data.jsonl").read_text().splitlines())
    assert set(answers) == {0, 1, 2, 3, 4, 5}
    assert max(answers.values()) < 3 * min(answers.values()), answers


def test_heldout_states_are_disjoint(built, tmp_path):
    held = build_dataset("text", tmp_path / "h", n=100, seed=5, difficulty="1-5", families=["number_list"],
                         split="heldout")
    a, b = state_hashes(built), state_hashes(held)
    assert a and b and not a & b
