"""The text-only family `word_math`: no image, an answer re-derived by a parser of the question written here, and
rows the `puzzles` adapter turns into text-only samples."""

import re

import pytest

from data_builders import build_dataset
from helpers import state_hashes
from modalities import get_adapter, load_samples


def solve(question: str) -> int:
    """An independent reading of the question: the expression, or the sentences of a word problem."""
    m = re.fullmatch(r"What is (.+)\?", question)
    if m:
        tokens = m.group(1).split()
        total = int(tokens[0])
        for op, n in zip(tokens[1::2], tokens[2::2]):
            total = {"+": total + int(n), "-": total - int(n), "×": total * int(n)}[op]
        return total
    total = int(re.search(r"has (\d+) ", question).group(1))
    for verb, n in re.findall(r"(gets|gives away) (\d+)", question):
        total += int(n) if verb == "gets" else -int(n)
    return total


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_dataset("text", tmp_path_factory.mktemp("wm") / "d", n=100, seed=3, difficulty="1-5",
                         families=["word_math"])


def test_every_answer_is_rederived_from_the_question(built):
    samples, _ = load_samples(get_adapter("puzzles"), str(built))
    assert len(samples) == 100 and {s.difficulty for s in samples} == {1, 2, 3, 4, 5}
    for s in samples:
        assert s.images == [] and s.verifier == "integer"
        assert solve(s.question) == int(s.answer), s.question
        assert s.reasoning.endswith(f"= {s.answer}.")
        assert s.answer not in re.findall(r"\d+", s.question)     # the question never holds the answer
    assert any("gives away" in s.question for s in samples) and any("×" in s.question for s in samples)


def test_heldout_states_are_disjoint(built, tmp_path):
    held = build_dataset("text", tmp_path / "h", n=40, seed=3, difficulty="2-5", families=["word_math"],
                         split="heldout")
    a, b = state_hashes(built), state_hashes(held)
    assert a and b and not a & b
