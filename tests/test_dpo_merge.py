"""DPO: the sigmoid loss and its gradient against numbers worked out by hand, and the stage on the tiny VLM
(reference frozen, loss log 2 at the start, the margin grows). Merging: two known state dicts by hand, refusals,
and two saved models merged into one that `from_pretrained` loads."""

import copy
import math
from pathlib import Path

import pytest
import torch

from mmreason.algorithms.dpo import dpo_loss
from mmreason.errors import ModelError
from mmreason.merge import merge_models, merge_state_dicts


def sig(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_dpo_loss_and_gradient_by_hand():
    pc = torch.tensor([-1.0, -4.0], requires_grad=True)
    pr = torch.tensor([-3.0, -2.0], requires_grad=True)
    rc, rr = torch.tensor([-2.0, -4.0]), torch.tensor([-2.0, -3.0])
    losses, m = dpo_loss(pc, pr, rc, rr, beta=0.5)
    # pair 0: r_w = 0.5·(−1 + 2) = 0.5, r_l = 0.5·(−3 + 2) = −0.5, margin 1 → −log σ(1) = log(1 + e^−1) = 0.313262
    # pair 1: r_w = 0.5·(−4 + 4) = 0,   r_l = 0.5·(−2 + 3) = 0.5,  margin −0.5 → log(1 + e^0.5) = 0.974077
    assert losses.tolist() == pytest.approx([math.log(1 + math.exp(-1)), math.log(1 + math.exp(0.5))])
    assert losses.tolist() == pytest.approx([0.313262, 0.974077], abs=1e-6)
    assert m["dpo/margin"] == pytest.approx(0.25) and m["dpo/accuracy"] == 0.5
    assert m["dpo/reward_chosen"] == pytest.approx(0.25) and m["dpo/reward_rejected"] == pytest.approx(0.0)
    losses.mean().backward()
    # ∂(mean L)/∂s_w = −β·σ(−margin)/B, ∂/∂s_l = +β·σ(−margin)/B with B = 2
    g0, g1 = 0.5 * sig(-1.0) / 2, 0.5 * sig(0.5) / 2                     # 0.067235, 0.155615
    assert pc.grad.tolist() == pytest.approx([-g0, -g1]) and pr.grad.tolist() == pytest.approx([g0, g1])
    assert pc.grad.tolist() == pytest.approx([-0.067235, -0.155615], abs=1e-6)


def test_dpo_with_the_chosen_nll_term_by_hand():
    """RPO: + α·(−s_θ(y_w)/|y_w|). Pair 0 of the test above with α = 2 and a 4-token chosen response:
    L = log(1 + e^−1) + 2·(1/4) = 0.813262; ∂L/∂s_w = −β·σ(−1) − α/|y_w| = −0.134470 − 0.5 = −0.634470."""
    pc = torch.tensor([-1.0], requires_grad=True)
    pr = torch.tensor([-3.0], requires_grad=True)
    losses, m = dpo_loss(pc, pr, torch.tensor([-2.0]), torch.tensor([-2.0]), beta=0.5, sft_weight=2.0,
                         chosen_tokens=torch.tensor([4.0]))
    assert losses.item() == pytest.approx(0.813262, abs=1e-6) and m["dpo/nll_chosen"] == pytest.approx(0.25)
    losses.sum().backward()
    assert pc.grad.item() == pytest.approx(-0.634470, abs=1e-6)
    assert pr.grad.item() == pytest.approx(0.5 * sig(-1.0), abs=1e-6)              # the DPO term alone: 0.134470
    with pytest.raises(ValueError, match="chosen_tokens"):
        dpo_loss(pc, pr, pc.detach(), pr.detach(), beta=0.5, sft_weight=1.0)


def test_dpo_reference_is_a_constant_and_shapes_must_agree():
    ref = torch.tensor([-1.0], requires_grad=True)
    losses, _ = dpo_loss(torch.tensor([-1.0]), torch.tensor([-1.0]), ref, torch.tensor([-1.0]), beta=0.1)
    assert losses.item() == pytest.approx(math.log(2)) and not losses.requires_grad
    with pytest.raises(ValueError, match="same shape"):
        dpo_loss(torch.zeros(2), torch.zeros(3), torch.zeros(2), torch.zeros(2), 0.1)


def test_dpo_stage_on_the_tiny_vlm(tmp_path, tiny_model_dir, count_data):
    from mmreason.config import load_config
    from mmreason.config.schema import SourceConfig
    from mmreason.data import load_sources
    from mmreason.data.writer import write_dataset
    from mmreason.stages.single import execute_stage

    src = load_sources([SourceConfig(name="count", adapter="puzzles", path=count_data["train"])])[0].samples[:8]
    rows = [(s, {"meta": {"chosen": f"<think>x</think><answer>{s.answer}</answer>",
                          "rejected": "<think>x</think><answer>9</answer>"}}) for s in src]
    pairs = write_dataset(tmp_path / "pairs", rows, {"kind": "pairs"})
    cfg = load_config(None, [f"run.out_dir={tmp_path / 'run'}", f"model.path={tiny_model_dir}",
                             f"data.train=[{{name: p, adapter: puzzles, path: '{pairs}'}}]",
                             f"data.eval=[{{name: held, adapter: puzzles, path: '{count_data['heldout']}'}}]",
                             "dpo.steps=6", "dpo.batch_size=4", "dpo.micro_batch_size=2", "dpo.lr=3e-3",
                             "dpo.beta=0.5", "eval.n=4", "eval.sampled=false", "rollout.max_new_tokens=16",
                             "train.save_every=3"])
    res = execute_stage(cfg, "dpo", "dpo")
    logs = [__import__("json").loads(l) for l in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    steps = [m for m in logs if m.get("phase") == "dpo"]
    assert len(steps) == 6 and steps[0]["loss"] == pytest.approx(math.log(2), abs=1e-5)   # θ = ref at the start
    assert steps[-1]["dpo/margin"] > 0.5 and steps[-1]["dpo/accuracy"] == 1.0
    assert (Path(res["outputs"]["model"]) / "config.json").is_file()
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == ["dpo-000003", "dpo-000006"]


def test_merge_of_two_known_state_dicts():
    a = {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor([[4.0]], dtype=torch.float64),
         "ids": torch.tensor([1, 2])}
    b = {"w": torch.tensor([3.0, -2.0]), "b": torch.tensor([[0.0]], dtype=torch.float64),
         "ids": torch.tensor([1, 2])}
    out = merge_state_dicts(a, b, 0.25)                     # 0.25·a + 0.75·b
    assert out["w"].tolist() == [2.5, -1.0] and out["b"].tolist() == [[1.0]] and out["b"].dtype == torch.float64
    assert torch.equal(out["ids"], a["ids"])
    assert merge_state_dicts(a, b, 1.0)["w"].tolist() == [1.0, 2.0]
    with pytest.raises(ModelError, match="'w' has shape"):
        merge_state_dicts(a, {**b, "w": torch.zeros(3)}, 0.5)
    with pytest.raises(ModelError, match="only in B"):
        merge_state_dicts(a, {**b, "extra": torch.zeros(1)}, 0.5)
    with pytest.raises(ModelError, match="'ids'"):
        merge_state_dicts(a, {**b, "ids": torch.tensor([1, 3])}, 0.5)


def test_merged_model_is_the_average_and_loads_with_from_pretrained(tmp_path, tiny_model_dir, tiny_policy):
    from transformers import AutoModelForImageTextToText

    from mmreason.trainer.checkpoint import save_model

    other = copy.deepcopy(tiny_policy.model)
    with torch.no_grad():
        for p in other.parameters():
            p.add_(0.5)
    save_model(other, tiny_policy.processor, tmp_path / "b")
    out = merge_models(tiny_model_dir, tmp_path / "b", 0.75, tmp_path / "merged")
    merged = AutoModelForImageTextToText.from_pretrained(out)
    base = dict(tiny_policy.model.named_parameters())
    for name, p in merged.named_parameters():
        assert torch.allclose(p, base[name] + 0.25 * 0.5, atol=1e-6), name   # 0.75·θ + 0.25·(θ + 0.5)
    with pytest.raises(ModelError, match="not a model directory"):
        merge_models(tiny_model_dir, tmp_path / "nothing", 0.5, tmp_path / "x")
