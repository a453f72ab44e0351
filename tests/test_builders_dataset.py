"""Dataset-level contracts: byte-identical rebuilds, both file formats load with `datasets`, atomic writes,
overwrite protection, train/heldout disjointness (and an overlap check that can fail), the manifest."""

import json
import os
from pathlib import Path

import pytest

from data_builders import FAMILIES, BuildError, build_dataset, check_overlap, overlap_report, read_rows
from data_builders.core import Puzzle, Rendered, load_families, split_of
from data_builders.writer import ROW_FIELDS


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_same_seed_same_bytes(tmp_path, fmt):
    kw = dict(n=24, seed=5, difficulty="1-5", format=fmt, families=["count", "clock", "maze", "geometry"])
    a = build_dataset("puzzles", tmp_path / "a", **kw)
    b = build_dataset("puzzles", tmp_path / "b", **kw)
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys() and len(fa) == 24 + 2
    assert fa == fb
    o1 = build_dataset("ocr", tmp_path / "o1", n=10, seed=1, format=fmt)
    o2 = build_dataset("ocr", tmp_path / "o2", n=10, seed=1, format=fmt)
    assert _files(o1) == _files(o2)


def test_seeds_share_almost_nothing(tmp_path):
    kw = dict(n=60, difficulty="2-5", families=["count", "spatial", "maze"])
    a = build_dataset("puzzles", tmp_path / "s0", seed=0, **kw)
    b = build_dataset("puzzles", tmp_path / "s1", seed=1, **kw)
    assert check_overlap(a, b) <= 1
    qa = [(r["question"], r["answer"]) for r in read_rows(a)]
    qb = [(r["question"], r["answer"]) for r in read_rows(b)]
    assert sum(x == y for x, y in zip(qa, qb)) < len(qa) // 3  # not shifted copies of each other


def test_both_formats_load_with_datasets(tmp_path):
    import datasets

    j = build_dataset("puzzles", tmp_path / "j", n=18, seed=2, format="jsonl")
    p = build_dataset("ocr", tmp_path / "p", n=15, seed=2, format="parquet", multiple_choice=True)
    dj = datasets.load_dataset("json", data_files=str(j / "data.jsonl"), split="train")
    dp = datasets.load_dataset("parquet", data_files=str(p / "data.parquet"), split="train")
    assert len(dj) == 18 and len(dp) == 15
    for ds, root in ((dj, j), (dp, p)):
        assert set(ROW_FIELDS) <= set(ds.column_names)
        row = ds[0]
        assert (root / row["images"][0]).is_file() and isinstance(row["meta"], dict)
    assert all(len(o) == 4 for o in dp["options"]) and all(o is None for o in dj["options"])
    assert read_rows(p)[3]["options"] == dp[3]["options"]


def test_rows_follow_the_contract(tmp_path):
    d = build_dataset("puzzles", tmp_path / "d", n=27, seed=3)
    m = json.loads((d / "manifest.json").read_text())
    rows = read_rows(d)
    assert len(rows) == 27 and len({r["id"] for r in rows}) == 27
    for r in rows:
        assert list(r) == ROW_FIELDS
        assert r["images"] == [f"images/{r['id']}.png"] and (d / r["images"][0]).is_file()
        assert r["kind"] == "puzzles" and r["split"] == "train" and 1 <= r["difficulty"] <= 5
        assert r["config_hash"] == m["config_hash"] and r["generator_version"] == m["generator_version"]
        assert split_of(r["state_hash"]) == "train" and r["reasoning"]
    for key in ["generator_version", "kind", "config_hash", "seed", "split", "n", "difficulty", "families",
                "answer_histograms", "overlap_check", "visibility_check", "self_check", "knobs", "balance"]:
        assert key in m
    assert m["difficulty"] == {"min": 1, "max": 5, "levels": [1, 2, 3, 4, 5]}
    assert m["self_check"]["passed"] == 27 and m["balance"]["ok"]
    assert m["visibility_check"]["model_input"]["model_hw"] == [112, 112]
    assert sum(sum(h.values()) for h in m["answer_histograms"].values()) == 27


def test_train_and_heldout_are_disjoint(tmp_path):
    """Low difficulty (small state spaces, where Procgen saw 10-24% overlap): no shared state, no shared image."""
    for kind, nf in (("puzzles", 9), ("ocr", 5)):
        train = build_dataset(kind, tmp_path / f"{kind}-train", n=nf * 2 * 20, seed=0, difficulty="1-2")
        held = build_dataset(kind, tmp_path / f"{kind}-held", n=nf * 2 * 10, seed=0, difficulty="1-2",
                             split="heldout", check_against=train)
        assert overlap_report(train, held) == {"shared_state": 0, "shared_image": 0, "shared": 0}
        assert check_overlap(held, train) == 0
        m = json.loads((held / "manifest.json").read_text())
        assert m["overlap_check"]["against"]["shared"] == 0
        assert m["overlap_check"]["rows_outside_split"] == 0 and m["overlap_check"]["probe"]["shared"] == 0
        assert all(split_of(r["state_hash"]) == "heldout" for r in read_rows(held))


def test_overlap_check_can_fail(tmp_path):
    """Same split, different seeds, small state space: the check finds shared puzzles."""
    a = build_dataset("puzzles", tmp_path / "a", n=60, seed=0, difficulty="1", families=["clock"])
    b = build_dataset("puzzles", tmp_path / "b", n=60, seed=1, difficulty="1", families=["clock"])
    assert check_overlap(a, b) > 0 and overlap_report(a, b)["shared_image"] > 0
    rep = overlap_report(a, a)
    assert rep["shared"] == rep["shared_state"] == rep["shared_image"] == 60


def test_refuses_to_overwrite(tmp_path):
    out = build_dataset("puzzles", tmp_path / "x", n=9, seed=0)
    before = _files(out)
    with pytest.raises(BuildError, match="already exists"):
        build_dataset("puzzles", out, n=9, seed=1)
    assert _files(out) == before
    build_dataset("puzzles", out, n=9, seed=1, overwrite=True)
    assert _files(out) != before
    assert sorted(os.listdir(tmp_path)) == ["x"]  # no temp dirs left behind


class _Explode:
    """A family that fails on its third item, to simulate a crash mid-build."""
    name, kind = "explode", "puzzles"
    knobs = {lv: {} for lv in range(1, 6)}

    def __init__(self):
        self.calls = 0

    def sample(self, rng, level):
        self.calls += 1
        if self.calls > 2:
            raise RuntimeError("boom")
        return Puzzle(state={"i": rng.random()}, question="Q?", answer="1", answer_type="integer",
                      verifier="integer", reasoning="r", distractors=["2"])

    def render(self, pz, rng, view):
        from PIL import Image

        return Rendered(Image.new("RGB", (view.size, view.size), "white"))


def test_failed_build_leaves_nothing(tmp_path):
    load_families()
    FAMILIES["puzzles"].register("explode", _Explode())
    try:
        with pytest.raises(RuntimeError, match="boom"):
            build_dataset("puzzles", tmp_path / "out", n=10, seed=0, families=["explode"])
        assert os.listdir(tmp_path) == []
        existing = build_dataset("puzzles", tmp_path / "keep", n=9, seed=0, families=["count"])
        before = _files(existing)
        FAMILIES["puzzles"]._items["explode"].calls = 0
        with pytest.raises(RuntimeError):
            build_dataset("puzzles", existing, n=10, seed=0, families=["explode"], overwrite=True)
        assert _files(existing) == before and sorted(os.listdir(tmp_path)) == ["keep"]
    finally:
        FAMILIES["puzzles"]._items.pop("explode", None)


@pytest.mark.parametrize("kwargs,match", [
    (dict(n=0), "n must be a positive"), (dict(n=-3), "n must be"), (dict(difficulty="0-2"), "within 1-5"),
    (dict(difficulty="6"), "within 1-5"), (dict(families=["clok"]), "did you mean 'clock'"),
    (dict(split="test"), "split must be"), (dict(format="csv"), "format must be"), (dict(image_size=20), "image_size"),
])
def test_bad_options(tmp_path, kwargs, match):
    args = dict(n=5, seed=0) | kwargs
    with pytest.raises(Exception, match=match) as e:
        build_dataset("puzzles", tmp_path / "bad", **args)
    from mmreason.errors import MMReasonError

    assert isinstance(e.value, MMReasonError)
    assert not (tmp_path / "bad").exists()


def test_state_coverage_warns_when_a_level_has_few_states(tmp_path, capsys):
    """Two dice have at most 36 ordered states, so a 1-in-10 held-out split keeps a handful of them: 60 held-out
    items must be flagged as repeating few puzzles (with their answers listed), while count level 1 (positions
    and counts: thousands of states) must not be."""
    from mmreason.cli import main

    assert main(["build", "puzzles", "--out", str(tmp_path / "dice"), "--n", "60", "--split", "heldout",
                 "--difficulty", "1", "--families", "dice", "--image-size", "112"]) == 0
    cov = json.loads((tmp_path / "dice" / "manifest.json").read_text())["state_coverage"]
    dice = cov["streams"]["dice"]["1"]
    assert dice["items"] == 60 and 1 <= dice["distinct_states"] <= 36 // 4
    rows = read_rows(tmp_path / "dice")
    assert dice["distinct_states"] == len({r["state_hash"] for r in rows})
    assert dice["distinct_answers"] == len({r["answer"] for r in rows})
    assert len(cov["warnings"]) == 1 and cov["warnings"][0].startswith("dice level 1: 60 items repeat only")
    assert "warning: dice level 1" in capsys.readouterr().out
    count = build_dataset("puzzles", tmp_path / "count", n=60, split="heldout", difficulty="1", families=["count"],
                          image_size=112)
    cov = json.loads((count / "manifest.json").read_text())["state_coverage"]
    assert cov["warnings"] == [] and cov["streams"]["count"]["1"]["distinct_states"] >= 20


def test_training_keeps_a_build_only_when_it_is_the_one_asked_for(tmp_path, capsys):
    """`data.build` reuses a complete build of the same request; any other (n, level, generator version …) is a
    clear error naming the job and the fields, never stale data trained on silently."""
    from mmreason.config.schema import BuildJob
    from mmreason.errors import ConfigError
    from mmreason.wiring import build_datasets

    out = tmp_path / "count"
    job = BuildJob(kind="puzzles", out=str(out), n=6, seed=0, split="train", difficulty="1", families=["count"],
                   image_size=112)
    build_datasets([job])
    first = (out / "data.jsonl").read_bytes()
    build_datasets([job])
    assert "exists, kept" in capsys.readouterr().out and (out / "data.jsonl").read_bytes() == first
    other = BuildJob(**{**job.__dict__, "n": 8, "difficulty": "1-2"})
    with pytest.raises(ConfigError, match=r"data.build\[0\].*n: built 6, asked 8; difficulty: built \[1\], asked "
                                          r"\[1, 2\].*delete that directory"):
        build_datasets([other])
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["config"]["generator_version"] = "0.9.0"
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match=r"generator_version: built '0.9.0', asked '1"):
        build_datasets([job])
    assert (out / "data.jsonl").read_bytes() == first  # the old build is left as it was


def test_a_generator_version_bump_redraws_no_items(tmp_path, monkeypatch):
    """The item RNG is keyed to ITEM_STREAM, not to GENERATOR_VERSION: a change to one family bumps the version
    (recorded in the manifest) while every other family's items stay the ones built before."""
    import data_builders.core as core
    import data_builders.dataset as dataset
    import data_builders.generate as generate
    before = read_rows(build_dataset("puzzles", tmp_path / "a", n=8, seed=0, difficulty="1", families=["count"]))
    for mod in (core, dataset, generate):
        monkeypatch.setattr(mod, "GENERATOR_VERSION", "9.9.9")
    after = read_rows(build_dataset("puzzles", tmp_path / "b", n=8, seed=0, difficulty="1", families=["count"]))
    assert {r["generator_version"] for r in after} == {"9.9.9"}
    assert [r["state_hash"] for r in after] == [r["state_hash"] for r in before]
    monkeypatch.setattr(core, "ITEM_STREAM", "2.0.0")
    redrawn = read_rows(build_dataset("puzzles", tmp_path / "c", n=8, seed=0, difficulty="1", families=["count"]))
    assert [r["state_hash"] for r in redrawn] != [r["state_hash"] for r in before]
