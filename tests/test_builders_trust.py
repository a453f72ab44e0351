"""Trust features of the builders: minimal pairs, matched versions of one state, sealed test states and checkable
intermediate steps (with the `steps` verifier), each checked from the written dataset alone."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_builders import BuildError, build_dataset, read_rows
from mmreason.rewards import get_verifier

PAIR_FAMILIES = ["count", "clock", "dice", "cards", "money", "ruler", "gauge", "balance", "visual_analogy",
                 "spot_difference"]
ROOT = Path(__file__).resolve().parents[1]


def groups(rows):
    out = {}
    for r in rows:
        out.setdefault(r["meta"]["group_id"], []).append(r)
    return out


def _multiset_diff(a: list, b: list) -> tuple[Counter, Counter]:
    ca, cb = Counter(json.dumps(x) for x in a), Counter(json.dumps(x) for x in b)
    return ca - cb, cb - ca


def one_controlled_change(family: str, a: dict, b: dict) -> bool:
    """True when state b differs from state a in exactly the one change the family's minimal pairs make."""
    if family == "count":
        gone, new = _multiset_diff(a["objects"], b["objects"])
        return sum(gone.values()) + sum(new.values()) == 1
    if family == "clock":
        return {k for k in a if a[k] != b[k]} == {"time"}
    if family == "spot_difference":
        gone, new = _multiset_diff(a["second"], b["second"])
        return a["first"] == b["first"] and 1 <= sum(gone.values()) + sum(new.values()) <= 2
    if family == "visual_analogy":
        return a["A"] == b["A"] and a["B"] == b["B"] and sum(x != y for x, y in zip(a["C"], b["C"])) == 1
    if family == "gauge":
        return {k for k in a if a[k] != b[k]} == {"value"}
    key = {"dice": "dice", "cards": "cards", "money": "items", "ruler": "bars", "balance": "weights"}[family]
    if {k for k in a if a[k] != b[k]} != {key}:
        return False
    xs, ys = a[key], b[key]
    if family == "balance":  # one weight moved or re-weighed: the other weights are untouched
        gone, new = _multiset_diff(xs, ys)
        return sum(gone.values()) == sum(new.values()) == 1
    same_slot = [x for x, y in zip(xs, ys) if x != y]
    return len(xs) == len(ys) and len(same_slot) == 1 and sum(u != v for u, v in zip(
        same_slot[0], next(y for x, y in zip(xs, ys) if x != y))) == 1


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    return build_dataset("puzzles", tmp_path_factory.mktemp("pairs") / "p", n=len(PAIR_FAMILIES) * 5 * 2, seed=3,
                         families=PAIR_FAMILIES, minimal_pairs=True, steps=True)


def test_minimal_pairs_differ_in_one_controlled_change(pairs):
    rows = read_rows(pairs)
    gs = groups(rows)
    assert len(gs) == len(PAIR_FAMILIES) * 5 * 2 and len(rows) == 2 * len(gs)
    for gid, (base, variant) in gs.items():
        assert [base["meta"]["group_role"], variant["meta"]["group_role"]] == ["base", "variant"], gid
        assert base["question"] == variant["question"], gid
        assert base["answer"] != variant["answer"] and base["meta"]["change"] == variant["meta"]["change"]
        assert base["state_hash"] != variant["state_hash"] and base["split"] == variant["split"] == "train"
        a, b = json.loads(base["meta"]["state"]), json.loads(variant["meta"]["state"])
        assert one_controlled_change(base["family"], a, b), (gid, base["meta"]["change"], a, b)
        ia = np.asarray(Image.open(pairs / base["images"][-1]).convert("RGB"), dtype=np.int16)
        ib = np.asarray(Image.open(pairs / variant["images"][-1]).convert("RGB"), dtype=np.int16)
        changed = (np.abs(ia - ib).max(axis=2) > 30).mean()
        assert 0 < changed < 0.2, (gid, changed)  # visible, and local: nothing else in the picture moved
        if base["family"] == "spot_difference":
            assert (pairs / base["images"][0]).read_bytes() == (pairs / variant["images"][0]).read_bytes()
    m = json.loads((pairs / "manifest.json").read_text())
    assert m["trust"]["options"]["minimal_pairs"] and m["balance"]["ok"]
    assert all(all(f["balance_by_role"].values()) for f in m["trust"]["families"].values())


def test_minimal_pairs_refuse_families_without_them(tmp_path):
    with pytest.raises(BuildError, match="do not support minimal pairs.*families of kind 'puzzles' that do: "):
        build_dataset("puzzles", tmp_path / "x", n=2, families=["sequence"], minimal_pairs=True)
    with pytest.raises(BuildError, match="cannot be combined"):
        build_dataset("puzzles", tmp_path / "y", n=2, families=["dice"], minimal_pairs=True, matched=True)


def test_matched_versions_share_state_and_answer(tmp_path):
    from modalities import get_adapter, load_samples

    fams = ["dice", "money", "count", "clock", "calendar", "balance"]
    d = build_dataset("puzzles", tmp_path / "m", n=len(fams) * 2, seed=1, difficulty="1-2", families=fams,
                      matched=True)
    gs = groups(read_rows(d))
    assert len(gs) == len(fams) * 2
    for gid, rows in gs.items():
        by = {r["meta"]["modality"]: r for r in rows}
        assert sorted(by) == ["image", "text", "text_image"], gid
        assert len({(r["answer"], r["verifier"], r["state_hash"]) for r in rows}) == 1, gid
        stem = by["image"]["question"]
        assert by["text"]["images"] == [] and by["text"]["question"].endswith("\n" + stem)
        assert by["text_image"]["question"].endswith(stem) and len(by["text_image"]["images"]) == 1
        assert (d / by["text_image"]["images"][0]).read_bytes() != (d / by["image"]["images"][0]).read_bytes()
        if by["image"]["family"] == "dice":  # the words alone determine the answer: re-solve from the text
            faces = by["text"]["question"].split("reading order: ")[1].split(".")[0].split(", ")
            assert sum(int(f.split()[1]) for f in faces) == int(by["text"]["answer"])
    samples, _ = load_samples(get_adapter("puzzles"), str(d), source="m")
    assert Counter(len(s.images) for s in samples) == {1: 2 * len(gs), 0: len(gs)}


SEALED = {"count": ("2-5", lambda s: any(o[0] == "triangle" and o[1] == "red" for o in s["objects"])),
          "clock": ("1-5", lambda s: s["time"].startswith("7:")),
          "dice": ("2-5", lambda s: sum(d[1] == 6 for d in s["dice"]) >= 2),
          "calendar": ("1-5", lambda s: s["month"] == 2 and s["year"] % 4 == 0),
          "money": ("4-5", lambda s: {50, 500} <= {v for _, v in s["items"]})}


@pytest.mark.parametrize("family", sorted(SEALED))
def test_sealed_states_never_reach_train(tmp_path, family):
    levels, rule = SEALED[family]
    sealed = build_dataset("puzzles", tmp_path / "s", n=8, seed=2, split="sealed", difficulty=levels,
                           families=[family])
    train = build_dataset("puzzles", tmp_path / "t", n=40, seed=2, difficulty=levels, families=[family], sealed=True)
    plain = build_dataset("puzzles", tmp_path / "p", n=150, seed=2, difficulty=levels, families=[family], steps=True)
    assert all(rule(json.loads(r["meta"]["state"])) and r["split"] == "sealed" and r["meta"]["sealed"]
               for r in read_rows(sealed))
    assert not any(rule(json.loads(r["meta"]["state"])) for r in read_rows(train))
    assert any(rule(json.loads(r["meta"]["state"])) for r in read_rows(plain))  # the rule is not vacuous
    m = json.loads((sealed / "manifest.json").read_text())
    assert m["trust"]["families"][family]["sealed_rule"]["description"] and m["config"]["trust"]["sealed"]
    assert m["overlap_check"]["rows_outside_split"] == 0 and m["overlap_check"]["probe"]["shared"] == 0


def test_sealed_split_refuses_families_without_a_rule(tmp_path):
    with pytest.raises(BuildError, match="do not support a sealed split.*calendar"):
        build_dataset("puzzles", tmp_path / "x", n=2, split="sealed", families=["ruler"])


def test_reference_traces_state_every_step(pairs, tmp_path):
    """The steps verifier scores each row's own reference reasoning 1.0 (steps and traces agree), and count's
    row steps agree with the pixels of each row band (an independent check of the step values)."""
    verify = get_verifier("steps")
    fams, more = ["receipt", "table_units"], ["sequence", "calendar"]
    ocr = build_dataset("ocr", tmp_path / "o", n=20, seed=4, families=fams, steps=True)
    rest = build_dataset("puzzles", tmp_path / "r", n=30, seed=4, families=more, steps=True)
    rows = read_rows(pairs) + read_rows(ocr) + read_rows(rest)
    with_steps = [r for r in rows if r["meta"]["steps"]]
    assert {r["family"] for r in with_steps} == set(PAIR_FAMILIES) | set(fams) | set(more)
    for r in with_steps:
        s = verify(f"<think>{r['reasoning']}</think><answer>{r['answer']}</answer>", r["answer"],
                   {"steps": r["meta"]["steps"]})
        assert s.accuracy == 1.0, (r["id"], r["reasoning"], r["meta"]["steps"], s)
        if r["family"] == "count" and r["difficulty"] == 1:
            px = np.asarray(Image.open(pairs / r["images"][0]).convert("L")) < 200
            band = px.shape[0] // 4
            for k, step in enumerate(r["meta"]["steps"]):
                assert step["name"] == f"row {k + 1}"
                assert px[k * band + 2:(k + 1) * band - 2].any() == (step["value"] != "0"), (r["id"], k)


ROWS = [{"name": "row 1", "value": "1"}, {"name": "row 2", "value": "0"}, {"name": "row 3", "value": "2"},
        {"name": "row 4", "value": "0"}]


@pytest.mark.parametrize("completion,steps,accuracy,error", [
    ("<think>Rows: 1, 0, 2, 0. 1 + 0 + 2 + 0 = 3.</think><answer>3</answer>", ROWS, 1.0, None),
    ("<think>Rows: 1, 1, 2, 0. So 4.</think><answer>4</answer>", ROWS, 0.75, None),
    ("<think>Row 1: 1. Row 3: 2, no wait, row 3 is 3.</think><answer>4</answer>", ROWS, 0.25, None),
    ("<think>Row 1 has 1 shape and row 2 has 0.</think><answer>1</answer>", ROWS, 0.5, None),
    ("<answer>3</answer>", ROWS, 0.0, "empty_answer"),
    ("Left: 3 × 2 = 6. Right: 5 × 2 = 10. 10 > 6, so right. <answer>right</answer>",
     [{"name": "left", "value": "6"}, {"name": "right", "value": "10"}], 1.0, None),
    ("<think>Tea: 3 × $3.20 = $9.60. Jam: 1.50</think>", '[{"name": "tea", "value": "9.6"}, '
                                                          '{"name": "jam", "value": "1.5"}]', 1.0, None),
    ("<think>The 2nd sits in column We. So Wednesday.</think>", [{"name": "column", "value": "We"}], 1.0, None),
    ("<think>The 2nd sits in column Th.</think>", [{"name": "column", "value": "We"}], 0.0, None),
    ("<think>The long minute hand is 2 ticks past 5 (25 + 2 = 27 minutes).</think>",
     [{"name": "minutes", "value": "27"}], 1.0, None),
    ("<think>Flour: 1.5 kg = 1500 g. Sugar: 250 g.</think>",
     [{"name": "flour", "value": "1500"}, {"name": "sugar", "value": "250"}], 1.0, None),
    ("<think>x</think>", [], 0.0, "bad_gold"),
    ("<think>x</think>", [{"name": "a"}], 0.0, "bad_gold"),
    ("<think>" + "row 1: 1. " * 3000 + "</think>", ROWS, 0.0, "too_long"),
])
def test_steps_verifier_on_hand_written_completions(completion, steps, accuracy, error):
    opts = {} if isinstance(steps, str) else {"steps": steps}
    s = get_verifier("steps")(completion, steps if isinstance(steps, str) else "3", opts)
    assert (s.accuracy, s.error) == (accuracy, error), s
    assert 0.0 <= s.accuracy <= 1.0


def test_cli_trust_flags(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = tmp_path / "cli"
    p = subprocess.run([sys.executable, "-m", "mmreason", "build", "puzzles", "--families", "clock,money", "--n", "4",
                        "--difficulty", "4", "--split", "sealed", "--minimal-pairs", "--steps", "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["config"]["trust"] == {"minimal_pairs": True, "matched": False, "sealed": True, "steps": True}
    rows = read_rows(out)
    assert len(rows) == 8 and all(r["split"] == "sealed" and r["meta"]["steps"] for r in rows)
    p = subprocess.run([sys.executable, "-m", "mmreason", "build", "puzzles", "--families", "ruler", "--n", "2",
                        "--split", "sealed", "--out", str(tmp_path / "bad")], capture_output=True, text=True,
                       cwd=ROOT, env=env, timeout=300)
    assert p.returncode != 0 and "do not support a sealed split" in p.stderr and "Traceback" not in p.stderr
