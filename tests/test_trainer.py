"""The RL trainer on the tiny VLM: a smoke run, pinned first losses, exact resume, SFT, checkpoints."""

import json
import math
import shutil
from pathlib import Path

import pytest
import torch

from helpers import rl_overrides
from mmreason.config import load_config
from mmreason.pipeline import Pipeline, run_training
from mmreason.trainer.metrics import read_metrics

COMPARED = ("reward/mean", "accuracy/mean", "format/mean", "loss", "entropy", "grad_norm", "response_length/mean",
            "clip_frac", "ratio_mean")


def rl_config(tmp_path, model_dir, count_data, *extra):
    return load_config(None, rl_overrides(tmp_path / "run", model_dir, count_data, *extra))


def test_two_step_smoke_changes_parameters_and_logs_finite_metrics(tmp_path, sft_model_dir, count_data):
    pipe = Pipeline(rl_config(tmp_path, sft_model_dir, count_data, "train.steps=2", "train.minibatches=2"))
    pipe.setup()
    try:
        trainer = pipe.make_rl_trainer()
        before = {n: p.detach().clone() for n, p in pipe.policy.model.named_parameters()}
        metrics = [trainer.step() for _ in range(2)]
    finally:
        pipe.close()
    changed = [n for n, p in pipe.policy.model.named_parameters() if not torch.equal(before[n], p.detach())]
    assert any("visual" in n for n in changed) and any("layers" in n for n in changed)
    for m in metrics:
        for k in ("time/rollout", "time/reward", "time/logprobs", "time/advantages", "time/update", "time/sync",
                  "reward/mean", "accuracy/mean", "format/mean", "accuracy/verifier/integer", "accuracy/source/count",
                  "entropy", "clip_frac", "zero_std_groups_frac", "response_length/mean", "tokens_per_s", "loss",
                  "grad_norm", "logprob_gap/trainer_vs_rollout"):
            assert k in m, k
            assert math.isfinite(m[k]), (k, m[k])
        assert m["optimizer_steps"] == 2.0  # two minibatches → two optimizer steps per rollout batch
        assert m["logprob_gap/trainer_vs_rollout"] < 1e-4


PINNED = [  # steps 1 and 2 of the fixed-seed run below (tiny model seed 0, data seed 0, run seed 0, 1 thread)
    {"reward/mean": 0.59375, "loss": -0.0004466697573661804, "entropy": 0.2630844712257385},
    {"reward/mean": 0.71875, "loss": 0.00027705729007720947, "entropy": 0.2674304430428556},
]


def test_fixed_seed_first_losses_are_pinned(tmp_path, sft_model_dir, count_data):
    pipe = Pipeline(rl_config(tmp_path, sft_model_dir, count_data, "train.steps=2", "train.minibatches=2"))
    pipe.setup()
    try:
        trainer = pipe.make_rl_trainer()
        got = [trainer.step() for _ in range(2)]
    finally:
        pipe.close()
    print(json.dumps([{k: m[k] for k in PINNED[0]} for m in got]))
    for want, m in zip(PINNED, got):
        for k, v in want.items():
            assert m[k] == pytest.approx(v, rel=1e-3, abs=1e-5), k


def test_resume_reproduces_the_uninterrupted_run(tmp_path, sft_model_dir, count_data):
    extra = ("train.steps=4", "train.save_every=2", "train.minibatches=2", "optim.schedule=cosine",
             "optim.warmup_steps=1", "eval.greedy=false")
    full = run_training(rl_config(tmp_path / "a", sft_model_dir, count_data, *extra))
    run_a = Path(full["run_dir"])
    assert sorted(d.name for d in (run_a / "checkpoints").iterdir()) == ["rl-000002", "rl-000004"]
    # an interrupted run: the same run directory as it was after step 2 (checkpoint rl-000002 complete)
    run_b = tmp_path / "b" / "run"
    shutil.copytree(run_a, run_b)
    shutil.rmtree(run_b / "checkpoints" / "rl-000004")
    shutil.rmtree(run_b / "final_model")
    lines = (run_b / "metrics.jsonl").read_text().splitlines()
    (run_b / "metrics.jsonl").write_text("\n".join(l for l in lines if json.loads(l).get("step") in (1, 2)) + "\n")
    run_training(load_config(None, rl_overrides(run_b, sft_model_dir, count_data, *extra, "train.resume=true")))
    rl = lambda run: {m["step"]: m for m in read_metrics(run / "metrics.jsonl") if m.get("phase") == "rl"}  # noqa
    a, b = rl(run_a), rl(run_b)
    assert sorted(b) == [1, 2, 3, 4]
    for step in (3, 4):
        for k in COMPARED:
            assert b[step][k] == pytest.approx(a[step][k], rel=1e-6, abs=1e-7), (step, k)
    from safetensors.torch import load_file
    fa, fb = load_file(run_a / "final_model" / "model.safetensors"), load_file(run_b / "final_model" / "model.safetensors")
    assert all(torch.equal(fa[k], fb[k]) for k in fa)


def test_checkpoint_is_a_loadable_hf_model_and_no_temp_dirs_remain(tmp_path, sft_model_dir, count_data):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    summary = run_training(rl_config(tmp_path, sft_model_dir, count_data, "train.steps=1", "eval.sampled=false"))
    run = Path(summary["run_dir"])
    ckpt = run / "checkpoints" / "rl-000001"
    assert (ckpt / "COMPLETE").is_file() and (ckpt / "trainer_state.pt").is_file()
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")]
    model = AutoModelForImageTextToText.from_pretrained(ckpt / "model")
    proc = AutoProcessor.from_pretrained(ckpt / "model")
    assert proc.image_processor is not None
    ids = proc.tokenizer("hi", return_tensors="pt")["input_ids"]
    assert model.generate(ids, max_new_tokens=3, do_sample=False).shape[1] == ids.shape[1] + 3
    s = json.loads((run / "summary.json").read_text())
    assert {"heldout_accuracy/greedy/initial", "heldout_accuracy/greedy/rl", "wall_time_s"} <= set(s)


def test_sft_learns_the_reference_answers_on_assistant_tokens_only(tmp_path, tiny_model_dir, count_data):
    from mmreason.backends import TorchBackend
    from mmreason.trainer.optim import make_optimizer, make_scheduler
    from mmreason.trainer.sft import sft_batch, sft_step

    pipe = Pipeline(rl_config(tmp_path, tiny_model_dir, count_data))
    pipe.setup()
    try:
        samples = list(pipe.train_sources[0].samples)[:8]
        texts = [pipe.parts.answer_format.target(s.answer, s.reasoning) for s in samples]
        batch = sft_batch(pipe.encoder, samples, texts)
        targets = [pipe.encoder.encode_completion(t) for t in texts]
        assert batch.response_mask.sum(1).tolist() == [float(len(t)) for t in targets]  # prompt tokens carry no loss
        model = pipe.policy.model
        opt = make_optimizer(model, 3e-3)
        sched = make_scheduler(opt, 0, 30, "constant")
        backend = TorchBackend(model, opt, grad_clip=1.0)
        losses = [sft_step(backend, pipe.encoder, samples, texts, sched, micro_batch_size=4)["loss"] for _ in range(30)]
    finally:
        pipe.close()
    assert losses[-1] < 0.3 * losses[0]


def test_dynamic_sampling_drops_all_equal_groups(tmp_path, tiny_model_dir, count_data):
    pipe = Pipeline(rl_config(tmp_path, tiny_model_dir, count_data, "algorithm.dynamic_sampling=true",
                              "algorithm.max_sampling_rounds=2"))
    pipe.setup()
    try:
        m = pipe.make_rl_trainer().step()
    finally:
        pipe.close()
    # the untrained policy gets every answer wrong: every group has equal rewards, so all are dropped and the
    # trainer samples the maximum number of extra rounds, then trains on the uninformative batch as it is
    assert m["dynamic/rounds"] == 2 and m["dynamic/groups_seen"] == 12 and m["zero_std_groups_frac"] == 1.0


def test_gradient_checkpointing_gives_the_same_gradients(tiny_model_dir, count_data):
    from mmreason.config import ModelConfig, SourceConfig
    from mmreason.data import load_sources
    from mmreason.model import load_policy, prepare_model
    from mmreason.prompts import PromptEncoder
    from mmreason.rewards import AnswerFormat
    from mmreason.trainer.logprobs import response_logprobs
    from mmreason.trainer.sft import sft_batch

    samples = list(load_sources([SourceConfig(name="c", adapter="puzzles", path=count_data["train"])])[0].samples)[:4]
    grads = []
    for ckpt in (False, True):
        pol = prepare_model(load_policy(tiny_model_dir), ModelConfig(gradient_checkpointing=ckpt))
        assert pol.model.is_gradient_checkpointing == ckpt
        fmt = AnswerFormat()
        enc = PromptEncoder(pol.processor, instruction=fmt.instruction, max_prompt_length=512)
        batch = sft_batch(enc, samples, [fmt.target(s.answer, s.reasoning) for s in samples])
        pol.model.train()
        lp, _ = response_logprobs(pol.model, batch, image_token_id=enc.image_token_id)
        (-(lp * batch.response_mask).sum()).backward()
        grads.append({n: p.grad.clone() for n, p in pol.model.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys() and len(grads[0]) > 50
    for n in grads[0]:
        assert torch.allclose(grads[0][n], grads[1][n], atol=1e-6, rtol=1e-4), n
