"""`mmreason build ...` through a real subprocess: success, the files it writes, and one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args, cwd=None):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "mmreason", "build", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=120)


def test_cli_builds_puzzles_and_ocr(tmp_path):
    out = tmp_path / "count"
    p = _run("puzzles", "--families", "count,clock", "--n", "12", "--seed", "3", "--difficulty", "1-2",
             "--split", "train", "--out", str(out), "--format", "parquet", "--image-size", "112")
    assert p.returncode == 0, p.stderr
    assert "wrote 12 puzzles items" in p.stdout
    m = json.loads((out / "manifest.json").read_text())
    assert m["families"] == ["count", "clock"] and m["seed"] == 3 and m["config"]["image_size"] == 112
    assert (out / "data.parquet").is_file() and len(list((out / "images").glob("*.png"))) == 12
    p = _run("ocr", "--families", "words", "--n", "4", "--difficulty", "2", "--out", str(tmp_path / "w"),
             "--multiple-choice", "--split", "heldout")
    assert p.returncode == 0, p.stderr
    row = json.loads((tmp_path / "w" / "data.jsonl").read_text().splitlines()[0])
    assert row["verifier"] == "choice" and row["split"] == "heldout" and len(row["options"]) == 4


@pytest.mark.parametrize("args,needle", [
    (["puzzles", "--families", "cuont"], "did you mean 'count'"),
    (["puzzles", "--difficulty", "0-3"], "difficulty must lie within 1-5"),
    (["puzzles", "--difficulty", "7"], "difficulty must lie within 1-5"),
    (["puzzles", "--n", "0"], "n must be a positive integer"),
    (["ocr", "--families", "word"], "did you mean 'words'"),
])
def test_cli_errors_are_one_line(tmp_path, args, needle):
    p = _run(*args, "--out", str(tmp_path / "x"))
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "x").exists()


def test_cli_refuses_existing_out(tmp_path):
    out = tmp_path / "o"
    assert _run("puzzles", "--n", "3", "--families", "maze", "--out", str(out)).returncode == 0
    p = _run("puzzles", "--n", "3", "--families", "maze", "--out", str(out))
    assert p.returncode != 0 and "--overwrite" in p.stderr
    assert _run("puzzles", "--n", "3", "--families", "maze", "--out", str(out), "--overwrite").returncode == 0


def test_cli_lists_families():
    p = _run("puzzles", "--list")
    assert p.returncode == 0 and "count" in p.stdout.split() and "1:" in p.stdout
