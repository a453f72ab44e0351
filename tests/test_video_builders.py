"""The video families (`mmreason build video`): answers re-derived from the written frames' pixels by a solver that
never calls the families' code, determinism, state-disjoint splits, balance, legibility at the model's input size,
short level-1 traces, and the `video` adapter reading the builder's output."""

import filecmp
import json
import re

import numpy as np
import pytest
from PIL import Image

from data_builders import build_dataset, check_overlap, families, read_rows
from data_builders.balance import balanced_ok
from data_builders.core import split_of
from data_builders.draw import COLORS  # the palette only: the colour a question names
from modalities import get_adapter, load_samples

FAMS = ["appear_count", "motion"]


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("video")
    kw = dict(n=len(FAMS) * 5 * 6, seed=5, difficulty="1-5", families=FAMS, image_size=112)
    return {split: build_dataset("video", root / split, split=split, **kw) for split in ("train", "heldout")}


# --- the independent solver: pixels of the PNG frames -------------------------------------------------------------
def blobs(mask: np.ndarray) -> list[np.ndarray]:
    """8-connected components of a boolean mask, each as an (n, 2) array of (row, col) pixels (plain BFS)."""
    seen = np.zeros_like(mask, dtype=bool)
    out = []
    for r0, c0 in zip(*np.nonzero(mask)):
        if seen[r0, c0]:
            continue
        stack, pix = [(r0, c0)], []
        seen[r0, c0] = True
        while stack:
            r, c = stack.pop()
            pix.append((r, c))
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < mask.shape[0] and 0 <= cc < mask.shape[1] and mask[rr, cc] and not seen[rr, cc]:
                        seen[rr, cc] = True
                        stack.append((rr, cc))
        out.append(np.array(pix))
    return out


def load(root, row) -> list[np.ndarray]:
    return [np.asarray(Image.open(root / p).convert("RGB"), dtype=np.int16) for p in row["images"]]


def ink(frame: np.ndarray) -> np.ndarray:
    return (np.abs(frame - 255).max(axis=2) > 60)


def solve_appearances(frames: list[np.ndarray]) -> int:
    """Shapes in frame t that touch no ink of frame t−1 are new; nothing moves, so the rest were there before."""
    new = 0
    for prev, cur in zip(frames, frames[1:]):
        before = ink(prev)
        new += sum(not before[b[:, 0], b[:, 1]].any() for b in blobs(ink(cur)))
    return new


def circle_centre(frame: np.ndarray, rgb) -> np.ndarray:
    """Centre of the one circle of colour `rgb`: of that colour's blobs, the one filling ≈ π/4 of its box."""
    mask = np.abs(frame - np.array(rgb)).max(axis=2) < 50
    best = None
    for b in blobs(mask):
        h, w = np.ptp(b[:, 0]) + 1, np.ptp(b[:, 1]) + 1
        fill = len(b) / (h * w)
        if abs(h - w) <= 2 and 0.66 < fill < 0.88 and (best is None or len(b) > len(best)):
            best = b
    assert best is not None, "no circle of that colour"
    return best.mean(axis=0)


def solve_direction(frames: list[np.ndarray], question: str) -> str:
    named = re.search(r"the (\w+) circle", question)
    if named:
        rgb = COLORS[named.group(1)]
    else:  # "the ball": the only object; its colour is whatever is not white
        first = frames[0][ink(frames[0])]
        rgb = tuple(int(v) for v in np.median(first, axis=0))
    (r0, c0), (r1, c1) = circle_centre(frames[0], rgb), circle_centre(frames[-1], rgb)
    if abs(c1 - c0) > abs(r1 - r0):
        return "right" if c1 > c0 else "left"
    return "down" if r1 > r0 else "up"


def test_the_video_kind_has_its_families():
    assert sorted(families("video")) == FAMS


def test_every_answer_rederived_from_the_frames(builds):
    disagree = []
    for split, root in builds.items():
        rows = read_rows(root)
        assert {(r["family"], r["difficulty"]) for r in rows} == {(f, lv) for f in FAMS for lv in range(1, 6)}
        for r in rows:
            frames = load(root, r)
            assert len(frames) == r["meta"]["n_frames"] and r["kind"] == "video"
            got = str(solve_appearances(frames)) if r["family"] == "appear_count" else solve_direction(
                frames, r["question"])
            if got != r["answer"]:
                disagree.append((r["id"], r["answer"], got))
    assert not disagree, disagree


def test_splits_are_disjoint_balanced_and_self_checked(builds):
    assert check_overlap(builds["train"], builds["heldout"]) == 0
    for split, root in builds.items():
        rows = read_rows(root)
        assert all(split_of(r["state_hash"]) == split == r["split"] for r in rows)
        m = json.loads((root / "manifest.json").read_text())
        assert m["balance"]["ok"] and m["overlap_check"]["probe"]["shared"] == 0
        assert m["self_check"]["passed"] == len(rows) == m["n"]
        for r in rows:
            assert not re.search(rf"(?<![\w.]){re.escape(r['answer'].lower())}(?![\w])", r["question"].lower())


def test_answers_are_balanced_over_a_level(tmp_path):
    d = build_dataset("video", tmp_path / "b", n=2 * 60, seed=1, difficulty="1", families=FAMS, image_size=112)
    for fam, hist in json.loads((d / "manifest.json").read_text())["answer_histograms"].items():
        assert balanced_ok(hist) and len(hist) == (4 if fam == "motion" else 4), (fam, hist)


def test_same_seed_same_bytes(tmp_path):
    a, b = (build_dataset("video", tmp_path / x, n=8, seed=3, difficulty="1-2", image_size=112) for x in "ab")
    cmp = filecmp.dircmp(a, b)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert not filecmp.dircmp(a / "images", b / "images").diff_files


def test_legibility_is_checked_at_the_model_input_size(tmp_path):
    """At 56 px small shapes fall under the minimum area in model pixels: such clips are redrawn (an item that
    cannot be drawn legibly in 3,000 attempts is refused, as for every family)."""
    d = build_dataset("video", tmp_path / "s", n=6, seed=2, difficulty="4", families=["appear_count"], image_size=56)
    vis = json.loads((d / "manifest.json").read_text())["visibility_check"]
    assert vis["model_input"]["model_hw"] == [56, 56]
    assert vis["families"]["appear_count"]["rejections"]["visibility:object_area"] > 0
    # level 5's smallest balls are under the minimum area at 56 px: most clips are redrawn there, none at 112 px
    small = build_dataset("video", tmp_path / "m", n=3, seed=2, difficulty="5", families=["motion"], image_size=56)
    big = build_dataset("video", tmp_path / "b", n=3, seed=2, difficulty="5", families=["motion"], image_size=112)
    at56, at112 = (json.loads((d / "manifest.json").read_text())["visibility_check"]["families"]["motion"]
                   for d in (small, big))
    assert at56["acceptance_rate"] < 0.1 and set(at56["rejections"]) == {"visibility:object_area"}
    assert at112["acceptance_rate"] > 10 * at56["acceptance_rate"]


def test_level_one_traces_are_short(builds, tiny_model_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    rows = [r for r in read_rows(builds["train"]) if r["difficulty"] == 1]
    # the whole cold-start target (think + answer tags around the trace) fits the video demo's 64-token budget
    lengths = {r["family"]: len(tok(f"<think>{r['reasoning']}</think><answer>{r['answer']}</answer>")["input_ids"])
               for r in rows}
    assert set(lengths) == set(FAMS) and max(lengths.values()) <= 64, lengths


def test_the_video_adapter_reads_builder_output(builds, tiny_policy):
    from helpers import prompt_encoder

    samples, _ = load_samples(get_adapter("video"), str(builds["train"]))
    rows = {r["id"]: r for r in read_rows(builds["train"])}
    enc = prompt_encoder(tiny_policy.processor, 512)
    for s in samples[:: len(samples) // 6]:
        r = rows[s.id]
        assert len(s.videos[0]) == r["meta"]["n_frames"] and s.answer == r["answer"] and s.reasoning
        assert s.verifier == r["verifier"] and s.difficulty == r["difficulty"] and s.meta["family"] == r["family"]
        p = enc.encode(s)
        assert p.num_video_tokens == (r["meta"]["n_frames"] + 1) // 2 * 16  # 112 px frames: 16 tokens per 2 frames
