"""Unit tests of the data builders' building blocks: item RNG keys, option parsing, the resize rule, the pixel
component counter, colours, fonts, answer balance and multiple-choice options."""

import itertools
import random

import numpy as np
import pytest

from data_builders import BuildError
from data_builders.balance import LETTERS, Balancer, ChoiceMaker, balanced_ok
from data_builders.core import item_rng, parse_difficulty, resolve_families, split_of, state_hash
from data_builders.draw import COLORS, WHITE, delta_e
from data_builders.fonts import covers, fonts_for
from data_builders.visibility import MIN_CONTRAST, View, contrast, count_components, smart_resize
from mmreason.errors import MMReasonError


def test_item_rng_is_keyed_not_offset():
    """Neighbouring seeds must not share items (the Reasoning Gym `seed + idx` bug)."""
    a = item_rng("puzzles", "count", "train", 1, 1, 0, 0).random()
    b = item_rng("puzzles", "count", "train", 1, 0, 1, 0).random()
    c = item_rng("puzzles", "count", "train", 1, 1, 0, 0).random()
    assert a == c and a != b
    draws = {item_rng("puzzles", "count", "train", 1, i, s, 0).random() for i in range(50) for s in range(4)}
    assert len(draws) == 200
    state = random.getstate()
    item_rng("ocr", "words", "heldout", 3, 7, 9, 2).random()
    assert random.getstate() == state  # never touches the global RNG


def test_split_is_a_function_of_state():
    hs = [state_hash("puzzles", "clock", {"t": i}) for i in range(2000)]
    frac = sum(split_of(h) == "heldout" for h in hs) / len(hs)
    assert 0.07 < frac < 0.13
    assert state_hash("puzzles", "clock", {"a": 1, "b": 2}) == state_hash("puzzles", "clock", {"b": 2, "a": 1})


@pytest.mark.parametrize("text,levels", [("3", [3]), ("1-5", [1, 2, 3, 4, 5]), (" 2-4 ", [2, 3, 4]), (5, [5])])
def test_parse_difficulty(text, levels):
    assert parse_difficulty(text) == levels


@pytest.mark.parametrize("bad", ["0", "6", "0-3", "4-2", "1-9", "easy", "", "2-"])
def test_parse_difficulty_rejects(bad):
    with pytest.raises(BuildError):
        parse_difficulty(bad)


def test_unknown_family_suggests():
    with pytest.raises(MMReasonError, match="did you mean 'count'"):
        resolve_families("puzzles", ["cuont"])
    assert "count" in resolve_families("puzzles", [])
    assert resolve_families("ocr", "words,tables") == ["words", "tables"]


def test_smart_resize_matches_transformers():
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize as reference

    for h, w in itertools.product(range(28, 900, 37), range(28, 900, 53)):
        for lo, hi in [(56 * 56, 112 * 112), (56 * 56, 224 * 224), (3136, 1003520)]:
            assert smart_resize(h, w, min_pixels=lo, max_pixels=hi) == reference(h, w, factor=28, min_pixels=lo,
                                                                                 max_pixels=hi)
    assert View(224).model_hw == (112, 112) and View(224, max_pixels=224 * 224).model_hw == (224, 224)


def _flood_count(m):
    m = m.copy()
    n = 0
    for r, c in zip(*np.nonzero(m)):
        if not m[r, c]:
            continue
        n += 1
        stack = [(r, c)]
        m[r, c] = False
        while stack:
            y, x = stack.pop()
            for dy, dx in itertools.product((-1, 0, 1), repeat=2):
                yy, xx = y + dy, x + dx
                if 0 <= yy < m.shape[0] and 0 <= xx < m.shape[1] and m[yy, xx]:
                    m[yy, xx] = False
                    stack.append((yy, xx))
    return n


def test_count_components_matches_flood_fill():
    rng = np.random.default_rng(0)
    for _ in range(200):
        m = rng.random((int(rng.integers(1, 25)), int(rng.integers(1, 25)))) < rng.uniform(0.1, 0.6)
        assert count_components(m) == _flood_count(m)


def test_palette_distinguishable():
    for a, b in itertools.combinations(COLORS, 2):
        assert delta_e(COLORS[a], COLORS[b]) >= 45, (a, b)
    assert contrast((0, 0, 0), WHITE) > 20 and contrast(COLORS["yellow"], WHITE) < MIN_CONTRAST


def test_font_coverage_check():
    assert covers("DejaVuSans", "3 × 4 − 2 = x")
    assert not covers("cmr10", "<{x}>")  # its cmap maps '<' to '¡' and '{' to an em dash
    assert not covers("cmtt10", "−")
    assert "cmr10" not in fonts_for("a < b", ["DejaVuSerif", "cmr10"])


def test_balancer_keeps_invariant():
    rng = random.Random(0)
    bal = Balancer()
    for _ in range(2000):
        a = str(min(int(rng.expovariate(0.5)), 9))  # heavily skewed source
        if bal.admits(a):
            bal.add(a)
    assert balanced_ok(dict(bal.counts))
    assert not balanced_ok({"1": 10, "2": 5})


def test_choice_maker_numeric_and_text():
    cm = ChoiceMaker()
    rng = random.Random(1)
    letters = []
    for a in range(1, 200):
        opts, letter = cm.make(rng, str(a % 12 + 1), [str(v) for v in range(0, 15)])
        assert len(set(opts)) == 4 and opts[LETTERS.index(letter)] == str(a % 12 + 1)
        assert all(int(o) >= 0 for o in opts) and opts == sorted(opts, key=int)
        letters.append(letter)
    counts = [letters.count(c) for c in LETTERS]
    assert max(counts) - min(counts) <= 0.15 * len(letters)
    opts, letter = cm.make(rng, "red", ["blue", "green", "yellow", "purple"])
    assert opts[LETTERS.index(letter)] == "red" and len(set(opts)) == 4
    assert cm.make(rng, "red", ["blue"]) is None
