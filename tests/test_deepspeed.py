"""Real DeepSpeed on CPU: two processes over gloo, launched with torchrun, against the one-process trainer.

The worker (tests/ds_worker.py) trains on fixed global batches whose last two prompt groups are text-only, so
with two ranks rank 1 trains on text-only micro-batches while rank 0's carry images — the case that hangs
ZeRO-3 unless every rank runs the vision tower. Every launch has a timeout (and the process group one of its
own), so a hang is a failure, not a stuck CI job.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.distributed

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "ds_worker.py"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "DS_ACCELERATOR": "cpu",
       "PYTHONPATH": str(ROOT / "tests")}


def launch(nproc: int, args: list[str], timeout: int = 400) -> subprocess.CompletedProcess:
    if nproc == 1:
        cmd = [sys.executable, str(WORKER), *args]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               str(WORKER), *args]
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=timeout, cwd=ROOT)
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-5000:])
    return r


@pytest.fixture(scope="module")
def runs(tmp_path_factory, sft_model_dir, count_data):
    """The one-process reference and ZeRO-2 / ZeRO-3 with two ranks, on the same three global batches."""
    root = tmp_path_factory.mktemp("ds")
    common = ["--model", sft_model_dir, "--train", count_data["train"], "--heldout", count_data["heldout"]]
    out = {}
    for name, nproc, stage in (("single", 1, -1), ("zero2", 2, 2), ("zero3", 2, 3)):
        d = root / name
        launch(nproc, ["--mode", "update", "--stage", str(stage), "--out", str(d), *common])
        out[name] = (json.loads((d / "result.json").read_text()), torch.load(d / "weights.pt"))
    out["common"], out["root"] = common, root
    return out


@pytest.mark.parametrize("name", ["zero2", "zero3"])
def test_two_ranks_match_one_process_on_the_same_global_batch(runs, name):
    ref, ref_w = runs["single"]
    got, got_w = runs[name]
    assert got["world_size"] == 2 and ref["world_size"] == 1
    assert any(s["grad_norm"] > 0 for s in ref["steps"])  # the batches carry signal
    for a, b in zip(ref["steps"], got["steps"]):
        assert b["loss"] == pytest.approx(a["loss"], rel=2e-3, abs=1e-6)
        assert b["grad_norm"] == pytest.approx(a["grad_norm"], rel=2e-3, abs=1e-6)
    assert set(ref_w) == set(got_w)
    worst = max((ref_w[k] - got_w[k]).abs().max().item() for k in ref_w)
    assert worst < 5e-4, worst  # three AdamW steps at lr 1e-3; fp32 reduction order differs across ranks


def test_zero3_checkpoint_resume_equals_uninterrupted_and_exports(runs):
    d = runs["root"] / "resume3"
    launch(2, ["--mode", "resume", "--stage", "3", "--out", str(d), *runs["common"]])
    got = json.loads((d / "result.json").read_text())
    ref, ref_w = runs["zero3"]
    for a, b in zip(ref["steps"], got["steps"]):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-6, abs=1e-9)
    w = torch.load(d / "weights.pt")
    assert max((ref_w[k] - w[k]).abs().max().item() for k in w) < 1e-6
    ckpt = Path(got["checkpoint"])
    assert (ckpt / "COMPLETE").is_file() and (ckpt / "rng_rank1.pt").is_file()
    assert len(list((ckpt / "deepspeed" / "deepspeed").glob("*optim_states.pt"))) == 2  # sharded optimizer
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model = AutoModelForImageTextToText.from_pretrained(ckpt / "model")
    proc = AutoProcessor.from_pretrained(ckpt / "model")
    ids = proc.tokenizer("How many shapes?", return_tensors="pt")["input_ids"]
    assert model.generate(ids, max_new_tokens=4, do_sample=False).shape[1] == ids.shape[1] + 4
    # `mmreason export` consolidates DeepSpeed's shards offline: the same weights as the gathered model/
    out = d / "exported"
    r = subprocess.run([sys.executable, "-m", "mmreason", "export", str(ckpt), "--out", str(out)],
                       capture_output=True, text=True, env=ENV, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    exported = AutoModelForImageTextToText.from_pretrained(out).state_dict()
    assert all(torch.equal(exported[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize("option, allowed", [("model.freeze_vision=true", lambda n: "visual" not in n),
                                             ("model.lora.enabled=true", lambda n: "lora_" in n)])
def test_frozen_vision_and_lora_change_only_their_parameters(runs, option, allowed):
    d = runs["root"] / option.split(".")[1]
    launch(2, ["--mode", "options", "--stage", "2", "--out", str(d), "--steps", "1", *runs["common"],
               "--extra", option])
    r = json.loads((d / "result.json").read_text())
    assert r["changed"], "the update changed nothing"
    assert all(allowed(n) for n in r["changed"]), [n for n in r["changed"] if not allowed(n)][:5]
    assert set(r["changed"]) <= set(r["trainable"])


def test_train_cli_under_torchrun_with_zero3_and_a_text_only_source(tmp_path, sft_model_dir, count_data):
    text = tmp_path / "gsm.jsonl"
    text.write_text("".join(json.dumps({"question": f"What is {a} + {a}?", "answer": f"{a} + {a} = {2 * a}\n#### {2 * a}"})
                            + "\n" for a in range(1, 9)))
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "mmreason",
           "train", "configs/demo.yaml", f"run.out_dir={run}", f"model.path={sft_model_dir}", "data.build=[]",
           f"data.train=[{{name: count, adapter: puzzles, path: '{count_data['train']}'}}, "
           f"{{name: gsm, adapter: text_math, path: '{text}'}}]",
           f"data.eval=[{{name: held, adapter: puzzles, path: '{count_data['heldout']}'}}]",
           "sft.steps=0", "train.steps=2", "train.save_every=1", "rollout.prompts_per_step=4", "rollout.group_size=4",
           "eval.n=8", "deepspeed.enabled=true", "deepspeed.zero_stage=3", "deepspeed.timeout_s=300"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=400, cwd=ROOT)
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-5000:])
    summary = json.loads((run / "summary.json").read_text())
    assert summary["world_size"] == 2 and "heldout_accuracy/greedy/rl" in summary
    rl = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rl = [m for m in rl if m.get("phase") == "rl"]
    assert [m["step"] for m in rl] == [1, 2] and all("accuracy/source/gsm" in m or "accuracy/source/count" in m
                                                       for m in rl)
    assert (run / "final_model" / "config.json").is_file()
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["rl-000001", "rl-000002"]


PPO = ["critic.enabled=true", "algorithm.advantage=gae", "algorithm.aggregation=token_mean", "critic.warmup_steps=0"]


def test_ppo_with_a_critic_under_zero3_matches_one_process_and_resumes_exactly(runs):
    """PPO's value head lives on the sharded trunk: two ZeRO-3 ranks equal one process on the same batches, and a
    save → load → step equals the uninterrupted run (head included); the saved policy holds no head."""
    from safetensors.torch import load_file

    got = {}
    for name, nproc, stage, mode in (("ppo_single", 1, -1, "update"), ("ppo_zero3", 2, 3, "update"),
                                     ("ppo_resume3", 2, 3, "resume")):
        d = runs["root"] / name
        launch(nproc, ["--mode", mode, "--stage", str(stage), "--out", str(d), *runs["common"], "--extra", *PPO])
        got[name] = (json.loads((d / "result.json").read_text()), torch.load(d / "weights.pt"))
    (ref, ref_w), (z3, z3_w), (res, res_w) = got["ppo_single"], got["ppo_zero3"], got["ppo_resume3"]
    assert all(s["critic/value_loss"] > 0 for s in ref["steps"]) and any("value_head" in k for k in ref_w)
    for a, b in zip(ref["steps"], z3["steps"]):
        for k in ("loss", "grad_norm", "critic/value_loss"):
            assert b[k] == pytest.approx(a[k], rel=2e-3, abs=1e-6), k
    assert max((ref_w[k] - z3_w[k]).abs().max().item() for k in ref_w) < 5e-4
    for a, b in zip(z3["steps"], res["steps"]):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5, abs=1e-7)
    assert all(torch.equal(z3_w[k], res_w[k]) for k in z3_w)
    saved = load_file(Path(res["checkpoint"]) / "model" / "model.safetensors")
    assert not any(k.startswith("value_head") for k in saved)
