"""The B-set families (dice, cards, money, ruler, gauge, calendar, balance, sequence, visual_analogy,
spot_difference; OCR: receipt, table_units): generic trust checks (self-check through the trainer's verifiers,
no answer in the question, balance, determinism, split disjointness, difficulty that moves, short level-1
traces) and an independent re-derivation of every answer (tests/solvers_b.py: pixels of the written PNGs, Python's
datetime, a brute-force sequence solver, separate parsers of the drawn text). Multi-image rows go through the
writer, the `puzzles` adapter and the tiny model's processor."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

import solvers_b
from data_builders import build_dataset, check_overlap, families, read_rows
from data_builders.selfcheck import completion_for, wrong_answer

PUZZLES_B = ["dice", "cards", "money", "ruler", "gauge", "calendar", "balance", "sequence", "visual_analogy",
             "spot_difference"]
OCR_B = ["receipt", "table_units"]
PER_LEVEL = 6


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("famb")
    return {"puzzles": build_dataset("puzzles", root / "p", n=len(PUZZLES_B) * 5 * PER_LEVEL, seed=21,
                                     families=PUZZLES_B),
            "ocr": build_dataset("ocr", root / "o", n=len(OCR_B) * 5 * PER_LEVEL, seed=21, families=OCR_B,
                                 format="parquet")}


@pytest.fixture(scope="module")
def tiny_tokenizer():
    from mmreason.tiny_model import train_tokenizer

    return train_tokenizer(1024)


def all_rows(builds):
    return [(d, r) for d in builds.values() for r in read_rows(d)]


def test_families_are_registered_with_five_levels():
    assert set(PUZZLES_B) <= set(families("puzzles")) and set(OCR_B) <= set(families("ocr"))
    from data_builders.core import get_family

    for kind, names in (("puzzles", PUZZLES_B), ("ocr", OCR_B)):
        for name in names:
            assert sorted(get_family(kind, name).knobs) == [1, 2, 3, 4, 5]


def test_every_row_self_checks_and_never_leaks(builds):
    from mmreason.rewards import get_verifier

    seen = set()
    for _, r in all_rows(builds):
        seen.add((r["family"], r["difficulty"]))
        verify = get_verifier(r["verifier"])
        assert verify(completion_for(r["reasoning"], r["answer"]), r["answer"], {}).accuracy == 1.0, r["id"]
        wrong = wrong_answer(r["verifier"], r["answer"], [], None)
        assert verify(completion_for(r["reasoning"], wrong), r["answer"], {}).accuracy == 0.0, (r["id"], wrong)
        q, a = r["question"].lower(), r["answer"].lower()
        assert not re.search(rf"(?<![\w.]){re.escape(a)}(?![\w])", q), (r["id"], r["question"], r["answer"])
    assert seen == {(f, lv) for f in PUZZLES_B + OCR_B for lv in range(1, 6)}
    for d in builds.values():
        m = json.loads((d / "manifest.json").read_text())
        assert m["balance"]["ok"] and m["self_check"]["passed"] == m["n"]


@pytest.mark.parametrize("family", PUZZLES_B + OCR_B)
def test_answers_rederived_independently(builds, family):
    """A second solver that never calls the family's code must reach the gold answer on every row."""
    rows = [(d, r) for d, r in all_rows(builds) if r["family"] == family]
    assert len(rows) == 5 * PER_LEVEL
    for d, r in rows:
        got = solvers_b.SOLVERS[family](r, d)
        assert solvers_b.agrees(r, got), (r["id"], r["question"], r["answer"], got)


def test_independent_solvers_catch_a_wrong_gold(builds):
    """The re-derivations are not rubber stamps: a row whose gold is changed no longer agrees."""
    for d, r in all_rows(builds):
        if r["family"] in ("dice", "gauge", "ruler", "spot_difference", "balance"):
            got = solvers_b.SOLVERS[r["family"]](r, d)
            bad = dict(r, answer="left" if r["answer"] == "right" else
                       "right" if r["answer"] in ("left", "neither") else str(float(r["answer"]) + 1))
            assert solvers_b.agrees(r, got) and not solvers_b.agrees(bad, got), r["id"]


def test_same_seed_same_bytes_and_splits_are_disjoint(tmp_path):
    def digest(d: Path) -> dict:
        return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}
    names = PUZZLES_B
    a = build_dataset("puzzles", tmp_path / "a", n=len(names) * 2, seed=5, difficulty="3", families=names)
    b = build_dataset("puzzles", tmp_path / "b", n=len(names) * 2, seed=5, difficulty="3", families=names)
    assert digest(a) == digest(b)
    o1 = build_dataset("ocr", tmp_path / "o1", n=6, seed=5, difficulty="4", families=OCR_B)
    o2 = build_dataset("ocr", tmp_path / "o2", n=6, seed=5, difficulty="4", families=OCR_B)
    assert digest(o1) == digest(o2)
    held = build_dataset("puzzles", tmp_path / "h", n=len(names) * 2, seed=5, difficulty="1-2", split="heldout",
                         families=names)
    train = build_dataset("puzzles", tmp_path / "t", n=len(names) * 4, seed=6, difficulty="1-2", families=names)
    assert check_overlap(train, held) == 0
    for r in read_rows(held):
        assert int(r["state_hash"], 16) % 10 == 0 and r["split"] == "heldout"
    probe = json.loads((held / "manifest.json").read_text())["overlap_check"]
    assert probe["rows_outside_split"] == 0 and probe["probe"]["shared"] == 0


def test_difficulty_moves(builds):
    rows = [r for _, r in all_rows(builds)]
    for fam, key in [("dice", "n_dice"), ("cards", "n_cards"), ("money", "n_items"), ("ruler", "ruler_cm"),
                     ("balance", "n_weights"), ("sequence", "n_terms"), ("spot_difference", "n_objects"),
                     ("table_units", "n_rows"), ("visual_analogy", "changes")]:
        means = [np.mean([r["meta"][key] for r in rows if r["family"] == fam and r["difficulty"] == lv])
                 for lv in range(1, 6)]
        assert all(x <= y for x, y in zip(means, means[1:])) and means[0] < means[-1], (fam, means)


def test_level1_traces_fit_the_tiny_generation_budget(builds, tiny_tokenizer):
    tok = tiny_tokenizer
    for _, r in all_rows(builds):
        if r["difficulty"] == 1:
            n = len(tok(completion_for(r["reasoning"], r["answer"]))["input_ids"])
            assert n <= 60, (r["id"], n, r["reasoning"])


def test_multi_image_rows_through_writer_adapter_and_processor(builds, tmp_path, tiny_tokenizer):
    """spot_difference rows hold two images: both files exist (jsonl and parquet), the `puzzles` adapter makes a
    two-image Sample, and the tiny model's processor gives both images their tokens."""
    from modalities import get_adapter, load_samples
    from mmreason.prompts import PromptEncoder
    from mmreason.tiny_model import SIZES, build_processor

    pq = build_dataset("puzzles", tmp_path / "pq", n=4, seed=2, families=["spot_difference"], format="parquet")
    for d in (builds["puzzles"], pq):
        rows = [r for r in read_rows(d) if r["family"] == "spot_difference"]
        assert rows and all(len(r["images"]) == 2 and r["images"][0] != r["images"][1] for r in rows)
        assert all((d / p).is_file() for r in rows for p in r["images"])
    samples, _ = load_samples(get_adapter("puzzles"), str(pq), source="b")
    assert all(len(s.images) == 2 for s in samples)
    enc = PromptEncoder(build_processor(tiny_tokenizer, SIZES["tiny"]), max_prompt_length=1024)
    p = enc.encode(samples[0])
    assert p.image_grid_thw.shape[0] == 2 and p.input_ids.count(enc.image_token_id) == 2 * 16
