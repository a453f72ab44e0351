"""`mmreason verify` run as a real subprocess: scoring, pass-through, atomic output, error paths."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_verify(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "mmreason", "verify", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


GOOD = [
    {"completion": "<think>half</think><answer>\\frac{1}{2}</answer>", "answer": "0.5", "verifier": "math", "id": "a"},
    {"completion": "<think>x</think><answer>Paris</answer>", "answer": "B", "verifier": "choice",
     "options": {"choices": ["Rome", "Paris"]}, "source": "geo"},
    {"completion": "<answer></answer>", "answer": "5", "verifier": "integer"},
    {"completion": "<think>" + "x" * 30_000 + "</think><answer>5</answer>", "answer": "5", "verifier": "math"},
]


def test_verify_scores_and_passes_fields_through(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(src, GOOD)
    res = run_verify("--input", str(src), "--output", str(out), "--workers", "1", "--timeout", "2")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["count"] == 4 and summary["accuracy/mean"] == 0.5
    errors = {k.split("/", 1)[1]: v for k, v in summary.items() if k.startswith("reward_errors/")}
    assert errors == {"empty_answer": 1, "too_long": 1} and summary["bad_rows"] == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["reward"], r["accuracy"], r["format"], r["error"]) for r in rows] == [
        (1.5, 1.0, 1.0, None), (1.5, 1.0, 1.0, None), (0.0, 0.0, 0.0, "empty_answer"), (0.0, 0.0, 0.0, "too_long")]
    assert rows[0]["id"] == "a" and rows[1]["source"] == "geo" and rows[0]["extracted"] == "\\frac{1}{2}"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".verify-")] == []  # no temp file left


@pytest.mark.parametrize("bad_line, where", [
    ("{not json", "row 2"),
    (json.dumps({"answer": "5", "verifier": "math"}), "row 2, field 'completion'"),
    (json.dumps({"completion": "x", "answer": 5, "verifier": "math"}), "row 2, field 'answer'"),
    (json.dumps({"completion": "x", "answer": "5", "verifier": "mathh"}), "row 2, field 'verifier'"),
    (json.dumps({"completion": "x", "answer": "5", "verifier": "math", "options": [1]}), "row 2, field 'options'"),
    (json.dumps(["a list"]), "row 2"),
])
def test_verify_bad_row_is_one_clear_line(tmp_path, bad_line, where):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(src, [GOOD[0], bad_line, GOOD[1]])
    res = run_verify("--input", str(src), "--output", str(out), "--workers", "0")
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and str(src) in lines[0] and where in lines[0], res.stderr
    assert "Traceback" not in res.stderr and not out.exists()
    if "verifier" in where:
        assert "did you mean 'math'" in lines[0]


def test_verify_skip_bad_rows(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(src, [GOOD[0], "{oops", "", GOOD[1]])
    res = run_verify("--input", str(src), "--output", str(out), "--workers", "0", "--skip-bad-rows",
                     "--format-weight", "0", "--template", "plain")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["count"] == 2 and summary["bad_rows"] == 1 and summary["reward/mean"] == 1.0


def test_verify_missing_input_file(tmp_path):
    res = run_verify("--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "o.jsonl"))
    assert res.returncode != 0 and "nope.jsonl" in res.stderr and "Traceback" not in res.stderr


def test_verify_unwritable_output(tmp_path):
    src = tmp_path / "in.jsonl"
    write_jsonl(src, GOOD[:1])
    res = run_verify("--input", str(src), "--output", str(tmp_path / "no_dir" / "o.jsonl"), "--workers", "0")
    assert res.returncode != 0 and "cannot write output" in res.stderr and "Traceback" not in res.stderr
