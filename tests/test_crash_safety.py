"""Crash safety with SIGKILL: `mmreason train` (a subprocess in its own process group) is killed with real timing,
found by polling the run directory — while it writes a checkpoint (its staging directory `.rl-000003.tmp` has
appeared), in the middle of a step, right after a data epoch ended, and with two DeepSpeed ranks under torchrun —
and `train.resume=true` then continues from the last complete checkpoint and reproduces the uninterrupted run: the
same per-step metrics and bit-identical final weights."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
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


DS = ("deepspeed.enabled=true", "deepspeed.zero_stage=2", "deepspeed.timeout_s=300")
TORCHRUN = ("-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "mmreason")


def env():
    return {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "DS_ACCELERATOR": "cpu",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def train(run_args, launcher=("-m", "mmreason")) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, *launcher, *run_args], cwd=ROOT, env=env(), capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    return r


def rl_metrics(run: Path) -> dict[int, dict]:
    """The last logged metrics of each RL step (a killed run may have logged a step that is then redone)."""
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    return {m["step"]: m for m in lines if m.get("phase") == "rl"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory, sft_model_dir, count_data):
    """The uninterrupted run."""
    run = tmp_path_factory.mktemp("uninterrupted") / "run"
    train(args(run, sft_model_dir, count_data))
    return run


def kill_when(run_args, ready, timeout=300.0, launcher=("-m", "mmreason")):
    """Start `mmreason train`, poll `ready()` every 2 ms, then SIGKILL its process group and those of its children
    (torchrun starts each rank in a session of its own): the trainer(s), the launcher and the verifier workers."""
    proc = subprocess.Popen([sys.executable, *launcher, *run_args], cwd=ROOT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + timeout
        while not ready():
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.time() < deadline, "the moment to kill never came"
            time.sleep(0.002)
    finally:
        groups = {proc.pid}
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                groups.add(os.getpgid(child.pid))
            except ProcessLookupError:
                pass
        for g in groups:
            try:
                os.killpg(g, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def mid_step_after(run: Path, step: int):
    """True 0.1 s after checkpoint `step` was completed: step + 1 is rolling out or updating."""
    complete = run / "checkpoints" / f"rl-{step:06d}" / "COMPLETE"
    started: list[float] = []

    def ready():
        if not started and complete.exists():
            started.append(time.time())
        return bool(started) and time.time() - started[0] > 0.1
    return ready


def resume_and_compare(run, reference, sft_model_dir, count_data, resumed_from: int, launcher=("-m", "mmreason"),
                       extra=()):
    r = train(args(run, sft_model_dir, count_data, "train.resume=true", *extra), launcher)
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
    return r


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
    kill_when(args(run, sft_model_dir, count_data), mid_step_after(run, 2))
    assert latest_checkpoint(run).name == "rl-000002" and 3 not in rl_metrics(run)
    resume_and_compare(run, reference, sft_model_dir, count_data, resumed_from=2)


@pytest.fixture(scope="module")
def eight_rows(tmp_path_factory, count_data):
    """Eight training rows: with 4 prompts per step, data epoch 0 ends exactly with step 2 (checkpoint rl-000002)."""
    from data_builders import build_dataset

    train_dir = build_dataset("puzzles", tmp_path_factory.mktemp("eight") / "train", n=8, seed=5, split="train",
                              difficulty="1", families=["count"], image_size=112)
    return {"train": str(train_dir), "heldout": count_data["heldout"]}


def test_killed_right_after_a_data_epoch_ended_resumes_into_the_next_epoch_exactly(
        tmp_path, sft_model_dir, eight_rows):
    reference = tmp_path / "uninterrupted"
    train(args(reference, sft_model_dir, eight_rows))
    run = tmp_path / "run"
    kill_when(args(run, sft_model_dir, eight_rows), mid_step_after(run, 2))
    assert latest_checkpoint(run).name == "rl-000002" and 3 not in rl_metrics(run)
    saved = load_state_file(run / "checkpoints" / "rl-000002" / "trainer_state.pt")["mixture"]["mixture"]
    assert saved["sources"]["count"] | {"weight": 1} == {"epoch": 0, "pos": 8, "size": 8, "weight": 1,
                                                         "current_weight": 1.0}  # on the boundary
    resume_and_compare(run, reference, sft_model_dir, eight_rows, resumed_from=2)
    assert [rl_metrics(run)[s]["data/epochs/count"] for s in range(1, STEPS + 1)] == [0.5, 1.0, 1.5, 2.0]


@pytest.mark.distributed
def test_killed_mid_step_under_two_deepspeed_ranks_resumes_exactly(tmp_path, sft_model_dir, count_data):
    """torchrun, two ZeRO-2 ranks: every process SIGKILLed during step 3; resuming under torchrun reproduces the
    uninterrupted two-rank run (DeepSpeed's sharded optimizer state and both ranks' RNG files come back)."""
    reference = tmp_path / "uninterrupted"
    train(args(reference, sft_model_dir, count_data, *DS), TORCHRUN)
    run = tmp_path / "run"
    kill_when(args(run, sft_model_dir, count_data, *DS), mid_step_after(run, 2), launcher=TORCHRUN)
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(run) in " ".join(p.info["cmdline"] or [])]
    ckpt = latest_checkpoint(run)
    assert ckpt.name == "rl-000002" and 3 not in rl_metrics(run)
    assert (ckpt / "rng_rank0.pt").is_file() and (ckpt / "rng_rank1.pt").is_file()
    r = resume_and_compare(run, reference, sft_model_dir, count_data, resumed_from=2, launcher=TORCHRUN, extra=DS)
    assert json.loads((run / "summary.json").read_text())["world_size"] == 2, r.stdout[-500:]
