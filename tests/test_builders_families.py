"""Per-family trust checks: self-check of every family × difficulty through the project's verifiers, answer
balance, no answer in the question, multiple-choice options, difficulty that moves, legibility at the model's
input size, and independent re-solves (pixel counts, clock format, code execution, equation substitution)."""

import json
import re
from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from data_builders import BuildError, build_dataset, families, read_rows
from data_builders.balance import LETTERS, balanced_ok
from data_builders.fonts import covers
from data_builders.selfcheck import completion_for, scorer, wrong_answer
from data_builders.visibility import View, count_components, ink_mask

PUZZLES, OCR = families("puzzles"), families("ocr")


@pytest.fixture(scope="module")
def open_builds(tmp_path_factory):
    """One open-ended build per kind covering every family × level (4 items each)."""
    root = tmp_path_factory.mktemp("fam")
    return {kind: build_dataset(kind, root / kind, n=len(families(kind)) * 5 * 4, seed=11)
            for kind in ("puzzles", "ocr")}


@pytest.fixture(scope="module")
def mc_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("mc")
    return build_dataset("puzzles", root / "mc", n=len(PUZZLES) * 5 * 4, seed=3, multiple_choice=True)


def test_enough_families():
    assert len(PUZZLES) >= 30 and "count" in PUZZLES
    assert {"words", "numbers", "equations", "code", "tables", "receipt", "table_units"} <= set(OCR)
    assert len(PUZZLES) + len(OCR) >= 39  # 14 families before, 25 added


@pytest.mark.parametrize("kind", ["puzzles", "ocr"])
def test_every_family_and_level_self_checks(open_builds, kind):
    """Gold scores 1 and a wrong answer 0 through the trainer's verifiers, for every family × level."""
    assert scorer()[0] == "mmreason.rewards"
    from mmreason.rewards import get_verifier

    rows = read_rows(open_builds[kind])
    seen = {(r["family"], r["difficulty"]) for r in rows}
    assert seen == {(f, lv) for f in families(kind) for lv in range(1, 6)}
    for r in rows:
        verify = get_verifier(r["verifier"])
        assert verify(completion_for(r["reasoning"], r["answer"]), r["answer"], {}).accuracy == 1.0, r["id"]
        wrong = wrong_answer(r["verifier"], r["answer"], [], None)
        assert verify(completion_for(r["reasoning"], wrong), r["answer"], {}).accuracy == 0.0, (r["id"], wrong)
    manifest = json.loads((open_builds[kind] / "manifest.json").read_text())
    assert manifest["self_check"] == {"ran": True, "verifiers": "mmreason.rewards", "items": len(rows),
                                      "passed": len(rows)}


@pytest.mark.parametrize("kind", ["puzzles", "ocr"])
def test_question_never_contains_the_answer(open_builds, kind):
    for r in read_rows(open_builds[kind]):
        q, a = r["question"].lower(), r["answer"].lower()
        assert not re.search(rf"(?<![\w.]){re.escape(a)}(?![\w])", q), (r["id"], r["question"], r["answer"])
        assert r["options"] is None and r["answer_type"] != "choice"


def test_answers_are_balanced(tmp_path):
    d = build_dataset("puzzles", tmp_path / "bal", n=len(PUZZLES) * 5 * 30, seed=4)
    m = json.loads((d / "manifest.json").read_text())
    assert m["balance"]["ok"]
    for fam, per_level in m["answer_histograms_by_level"].items():
        for level, hist in per_level.items():
            assert balanced_ok(hist), (fam, level, hist)
            assert len(hist) >= 3, (fam, level, hist)  # no degenerate level
    assert set(m["answer_histograms_by_level"]["count"]["1"]) == {str(v) for v in range(1, 7)}


def test_multiple_choice(mc_build):
    rows = read_rows(mc_build)
    letters = [r["answer"] for r in rows]
    for r in rows:
        opts = r["options"]
        assert r["verifier"] == "choice" and r["answer_type"] == "choice" and len(opts) == 4
        assert len({o.lower() for o in opts}) == 4
        assert opts[LETTERS.index(r["answer"])] == r["meta"]["answer_value"]
        assert r["question"].startswith(r["meta"]["stem"]) and "A. " in r["question"]
        numeric = [re.fullmatch(r"-?\d+(\.\d+)?", o) is not None for o in opts]
        assert all(numeric) or not any(numeric), opts  # distractors have the answer's type
    counts = [letters.count(c) for c in LETTERS]
    assert max(counts) - min(counts) <= 0.2 * len(rows), counts
    from mmreason.rewards import get_verifier

    r = rows[0]
    verify = get_verifier("choice")
    assert verify(completion_for("", r["answer"]), r["answer"], {"choices": r["options"]}).accuracy == 1.0
    assert verify(completion_for("", r["meta"]["answer_value"]), r["answer"], {"choices": r["options"]}).accuracy == 1


def test_count_level1_is_the_demo_task(tmp_path):
    d = build_dataset("puzzles", tmp_path / "demo", n=60, seed=0, difficulty="1", families=["count"], image_size=112)
    for r in read_rows(d):
        assert r["question"] == "How many shapes are in the image?" and r["verifier"] == "integer"
        assert 1 <= int(r["answer"]) <= 6 and r["answer_type"] == "integer"
        # row-by-row trace: "Rows: a, b, c, d. a + b + c + d = N." with the rows summing to the answer
        m = re.fullmatch(r"Rows: (\d), (\d), (\d), (\d)\. (\d) \+ (\d) \+ (\d) \+ (\d) = (\d+)\.", r["reasoning"])
        assert m, r["reasoning"]
        rows = [int(x) for x in m.groups()[:4]]
        assert rows == [int(x) for x in m.groups()[4:8]] and sum(rows) == int(m.group(9)) == int(r["answer"])
        im = Image.open(d / r["images"][0])
        assert im.size == (112, 112) and im.getpixel((0, 0)) == (255, 255, 255)
        # objects sit one per cell of a 4×4 grid: the non-white pixels of each row band hold that row's count
        px = np.asarray(im.convert("L")) < 200
        for band, want in enumerate(rows):
            strip = px[band * 28 + 2:(band + 1) * 28 - 2]
            assert (strip.any() if want else not strip.any()), (r["id"], band, want)


def test_count_pixels_agree_at_model_size(open_builds):
    """Independent re-solve from the files: blobs in the processor-resized image = objects in the scene."""
    view = View(224)
    root = open_builds["puzzles"]
    for r in read_rows(root):
        if r["family"] == "count":
            small = view.to_model(Image.open(root / r["images"][0]).convert("RGB"))
            assert count_components(ink_mask(small)) == r["meta"]["n_objects"]


def test_clock_answers_are_canonical(tmp_path):
    d = build_dataset("puzzles", tmp_path / "clk", n=300, seed=1, families=["clock"])
    answers = [r["answer"] for r in read_rows(d)]
    assert all(re.fullmatch(r"(1[0-2]|[1-9]):[0-5]\d", a) for a in answers)
    assert any(a.startswith("12:") for a in answers)


def test_code_answers_match_execution(open_builds):
    from data_builders.ocr.code import run_snippet

    rows = [r for r in read_rows(open_builds["ocr"]) if r["family"] == "code"]
    assert {r["meta"]["question_type"] for r in rows} == {"output", "transcribe"}
    for r in rows:
        if r["meta"]["question_type"] == "output":
            assert run_snippet(r["meta"]["code"]) == r["answer"]
        else:
            assert r["answer"] == r["meta"]["code"] and run_snippet(r["answer"]).strip()


def test_equations_answers_satisfy_the_rendered_text(open_builds):
    for r in read_rows(open_builds["ocr"]):
        if r["family"] != "equations":
            continue
        expr = r["meta"]["expression"].replace("\u2212", "-").replace("\u00d7", "*")
        expr = re.sub(r"(\d)x", r"\1*x", expr)
        x = Fraction(r["answer"])
        env = {"x": x, "__builtins__": {}}
        if "=" in expr:
            lhs, rhs = expr.split("=")
            assert eval(lhs, env) == eval(rhs, env), r  # noqa: S307  (our own generated text)
        else:
            assert eval(expr, env) == x, r  # noqa: S307


def test_ocr_fonts_cover_their_text(open_builds):
    for r in read_rows(open_builds["ocr"]):
        if r["verifier"].startswith("ocr_"):
            assert covers(r["meta"]["font"], r["answer"].replace("\n", "")), r


def test_difficulty_moves(tmp_path):
    """Measured size (objects, grid, bars, words, rows, lines) grows with the level."""
    fams = {"puzzles": ["count", "spatial", "maze", "bar_chart", "attribute"], "ocr": ["words", "tables", "code"]}
    rows = [r for kind, names in fams.items()
            for r in read_rows(build_dataset(kind, tmp_path / kind, n=len(names) * 5 * 24, seed=8, families=names))]
    for fam, key in [("count", "n_objects"), ("spatial", "n_objects"), ("maze", "grid"), ("bar_chart", "n_bars"),
                     ("words", "n_words"), ("tables", "n_rows"), ("code", "n_lines"), ("attribute", "n_objects")]:
        means = [np.mean([r["meta"][key] for r in rows if r["family"] == fam and r["difficulty"] == lv])
                 for lv in range(1, 6)]
        assert all(a <= b for a, b in zip(means, means[1:])) and means[0] < means[-1], (fam, means)


def test_illegible_sizes_are_rejected(tmp_path):
    """At a 56-pixel canvas text cannot reach the minimum cap height: every draw is refused, loudly."""
    with pytest.raises(BuildError, match="visibility"):
        build_dataset("ocr", tmp_path / "tiny", n=2, seed=0, difficulty="5", families=["words"], image_size=56)
    d = build_dataset("puzzles", tmp_path / "ok", n=20, seed=0, difficulty="5", families=["count"])
    vis = json.loads((d / "manifest.json").read_text())["visibility_check"]["families"]["count"]
    assert vis["accepted"] == 20 and 0 < vis["acceptance_rate"] <= 1
