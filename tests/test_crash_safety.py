"""Crash safety with SIGKILL: `mmreason train` (a subprocess in its own process group) is killed with real timing,
found by polling the run directory — while it writes a checkpoint (its staging directory `.rl-000003.tmp` has
appeared) and in the middle of a step — and `train.resume=true` then continues from the last complete checkpoint
and reproduces the uninterrupted run: the same per-step metrics and bit-identical final weights."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from helpers import rl_overrides
from mmreason.safe_load import load_state_file
from mmreason.trainer.checkpoint import latest_checkpoint

ROOT = Path(__file__).resolve().parents[1]
STEPS = 4
EXTRA = (f"train.steps={STEPS}", "train.save_every=1", "train.keep_checkpoints=2", "optim.schedule=cosine",
         "optim.warmup_steps=1", "eval.n=2", "eval.sampled=false", "sft.steps=0", "log.progress=plain")
COMPARED = ("reward/mean", "accuracy/mean", "loss", "entropy", "grad_norm", "response_length/mean")


def args(run_dir, model_dir, data, *extra):
    return ["train", *rl_overrides(run_dir, model_dir, data, *EXTRA, *extra)]


def env():
    return {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def rl_metrics(run: Path) -> dict[int, dict]:
    """The last logged metrics of each RL step (a killed run may have logged a step that is then redone)."""
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    return {m["step"]: m for m in lines if m.get("phase") == "rl"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory, sft_model_dir, count_data):
    """The uninterrupted run."""
    run = tmp_path_factory.mktemp("uninterrupted") / "run"
    r = subprocess.run([sys.executable, "-m", "mmreason", *args(run, sft_model_dir, count_data)], cwd=ROOT, env=env(),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return run


def kill_when(run_args, ready, timeout=300.0):
    """Start `mmreason train`, poll `ready()` every 2 ms, SIGKILL the process group when it is true."""
    proc = subprocess.Popen([sys.executable, "-m", "mmreason", *run_args], cwd=ROOT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + timeout
        while not ready():
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.time() < deadline, "the moment to kill never came"
            time.sleep(0.002)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the trainer and its verifier workers
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def resume_and_compare(run, reference, sft_model_dir, count_data, resumed_from: int):
    r = subprocess.run([sys.executable, "-m", "mmreason", *args(run, sft_model_dir, count_data, "train.resume=true")],
                       cwd=ROOT, env=env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert re.search(rf"\[resume\] from \S+rl-0*{resumed_from} \(step {resumed_from}\)", r.stdout), r.stdout[-2000:]
    a, b = rl_metrics(reference), rl_metrics(run)
    assert sorted(b) == list(range(1, STEPS + 1))
    for step in range(1, STEPS + 1):
        for k in COMPARED:
            assert b[step][k] == pytest.approx(a[step][k], rel=1e-6, abs=1e-7), (step, k)
    from safetensors.torch import load_file

    fa, fb = (load_file(x / "final_model" / "model.safetensors") for x in (reference, run))
    assert fa.keys() == fb.keys() and all(torch.equal(fa[k], fb[k]) for k in fa)
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")]  # leftovers cleaned


def test_killed_while_writing_a_checkpoint_keeps_the_previous_one_and_resumes_exactly(
        tmp_path, reference, sft_model_dir, count_data):
    run = tmp_path / "run"
    staging = run / "checkpoints" / ".rl-000003.tmp"
    kill_when(args(run, sft_model_dir, count_data), staging.exists)
    assert staging.is_dir() and not (staging / "COMPLETE").exists()        # killed mid-write
    assert not (run / "checkpoints" / "rl-000003").exists()
    previous = run / "checkpoints" / "rl-000002"
    assert latest_checkpoint(run) == previous and (previous / "COMPLETE").read_text() == "rl 2\n"
    assert load_state_file(previous / "trainer_state.pt")["step"] == 2     # intact and loadable
    resume_and_compare(run, reference, sft_model_dir, count_data, resumed_from=2)


def test_killed_mid_step_resumes_from_the_last_checkpoint_exactly(tmp_path, reference, sft_model_dir, count_data):
    run = tmp_path / "run"
    complete = run / "checkpoints" / "rl-000002" / "COMPLETE"
    started: list[float] = []

    def mid_step_3():  # 0.1 s after checkpoint 2 was completed: step 3 is rolling out or updating
        if not started and complete.exists():
            started.append(time.time())
        return bool(started) and time.time() - started[0] > 0.1

    kill_when(args(run, sft_model_dir, count_data), mid_step_3)
    assert latest_checkpoint(run).name == "rl-000002" and 3 not in rl_metrics(run)
    resume_and_compare(run, reference, sft_model_dir, count_data, resumed_from=2)
