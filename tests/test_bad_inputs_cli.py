"""The bad-input corpus (tests/badinputs.py) through `mmreason show-samples`, `eval` and `train` as subprocesses:
without `data.skip_bad_rows` each stops with exit code 2 and one line naming file, row and field (never a
traceback); with it each finishes, reports the skipped rows per reason at the end (and in eval.json /
summary.json), and the odd-but-valid images go through the real processor (show-samples saves them, train
samples them)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from badinputs import write_corpus

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("badinputs"))


def overrides(run_dir, model_dir, corpus, *extra):
    src = f"adapter: vqa, path: '{corpus.path}'"
    return [f"run.out_dir={run_dir}", f"model.path={model_dir}", f"data.train=[{{name: corpus, {src}}}]",
            f"data.eval=[{{name: held, {src}}}]", "rollout.group_size=2", "rollout.prompts_per_step=2",
            "rollout.max_new_tokens=8", "train.micro_batch_size=4", "eval.n=2", "eval.sampled=false",
            "sft.steps=0", "reward.workers=1", "log.progress=quiet", *extra]


def mmreason(*args, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "mmreason", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def assert_one_line_error(r, corpus):
    row, reason, field = corpus.first_bad
    assert r.returncode == 2, r.stderr[-3000:]
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: {corpus.path}, row {row}, field '{field}': {reason}: "
                      + errors[0].split(f"{reason}: ", 1)[-1]], r.stderr[-3000:]
    assert "Traceback" not in r.stderr


def skipped_line(corpus, source):
    reasons = ", ".join(f"{n} × {r}" for r, n in sorted(corpus.reasons.items(), key=lambda x: (-x[1], x[0])))
    return f"[data] source '{source}': skipped {corpus.bad} bad rows, kept {corpus.good} ({reasons})"


@pytest.mark.parametrize("command", ["show-samples", "train"])  # `eval` loads through the same code as `train`
def test_without_skip_bad_rows_each_command_stops_with_one_line(tmp_path, tiny_model_dir, corpus, command):
    r = mmreason(command, *overrides(tmp_path / "run", tiny_model_dir, corpus, "train.steps=1"), cwd=tmp_path)
    assert_one_line_error(r, corpus)


def test_show_samples_skips_counts_and_renders_the_odd_images(tmp_path, tiny_model_dir, corpus):
    out = tmp_path / "shown"
    r = mmreason("show-samples", *overrides(tmp_path / "run", tiny_model_dir, corpus, "data.skip_bad_rows=true"),
                 "--n", str(corpus.good), "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"source 'corpus': skipped {corpus.bad} bad rows (kept {corpus.good})" in r.stdout
    for reason, n in corpus.reasons.items():
        assert f"  {n} × {reason} (first: {corpus.path}, row " in r.stdout
    assert r.stdout.count("=== sample ") == corpus.good and "REFUSED" not in r.stdout
    for name in corpus.odd:  # every odd image drawn (one epoch), converted and saved
        assert f"corpus/img_{name} ===" in r.stdout
    assert len(list(out.glob("*.png"))) == corpus.good


def test_eval_skips_and_reports_the_skipped_rows_at_the_end(tmp_path, tiny_model_dir, corpus):
    r = mmreason("eval", *overrides(tmp_path / "run", tiny_model_dir, corpus, "data.skip_bad_rows=true"),
                 cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.splitlines()[-2] == skipped_line(corpus, "held")
    saved = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert saved["skipped_rows"]["held"] == {"source": "held", "kept": corpus.good, "skipped": corpus.bad,
                                             "reasons": dict(corpus.reasons)}
    assert saved["eval"]["greedy"]["items"] == 2


def test_train_skips_counts_in_summary_and_trains_on_the_odd_images(tmp_path, tiny_model_dir, corpus):
    r = mmreason("train", *overrides(tmp_path / "run", tiny_model_dir, corpus, "data.skip_bad_rows=true",
                                     f"train.steps={corpus.good // 2}", "train.record_rollouts_every=1"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert skipped_line(corpus, "corpus") in r.stdout.splitlines()
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["skipped_rows"]["corpus"]["reasons"] == dict(corpus.reasons)
    assert summary["skipped_rows"]["held"]["skipped"] == corpus.bad
    metrics = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if m.get("phase") == "rl"] == list(range(1, corpus.good // 2 + 1))
    drawn = {json.loads(line)["prompt_id"] for f in (tmp_path / "run" / "rollouts").glob("step_*.jsonl")
             for line in f.read_text().splitlines()}
    assert {f"corpus/img_{name}" for name in corpus.odd} <= drawn  # one epoch: every kept row, odd images included
