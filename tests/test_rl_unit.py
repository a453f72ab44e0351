"""The RL trainer as a unit: a scripted engine and a rule reward, so every number of the hand-off is known.

The engine is a registered class like the real ones (the seam a new engine plugs into); the model, the update and
the backend are the real tiny VLM on the CPU.
"""

import copy

import pytest
import torch

from helpers import prompt_encoder, rule_reward
from mmreason.backends import TorchBackend
from mmreason.config import load_config
from mmreason.data import Mixture
from mmreason.data.samplers import MixtureSampler
from mmreason.model import Policy
from mmreason.rollout import SamplingParams, make_engine
from mmreason.trainer.evaluate import evaluate
from mmreason.trainer.metrics import PhaseTimer
from mmreason.trainer.optim import make_optimizer, make_scheduler
from mmreason.trainer.rl import RLTrainer
from mmreason.types import Sample, user


def samples():
    return [Sample(id=f"q{i}", messages=[user(f"Say {i % 4}.")], answer=str(i % 4), difficulty=1 + i % 2,
                   source="text") for i in range(8)]


@pytest.fixture()
def trainer(tiny_policy, tmp_path):
    cfg = load_config(None, [f"run.out_dir={tmp_path}", "rollout.group_size=4", "rollout.prompts_per_step=2",
                             "train.micro_batch_size=4", "train.minibatches=2", "optim.lr=1e-3"])
    policy = Policy(copy.deepcopy(tiny_policy.model), tiny_policy.processor)
    engine = make_engine("scripted", policy, separate_weights=True)
    opt = make_optimizer(policy.model, cfg.optim.lr)
    return RLTrainer(cfg, policy, engine, prompt_encoder(policy.processor), rule_reward,
                     MixtureSampler(Mixture([("text", 1.0, samples())], seed=0)), TorchBackend(policy.model, opt, 1.0),
                     make_scheduler(opt, 0, 10, "constant"))


def test_the_scored_groups_carry_p_by_g_results_for_a_sampler(trainer):
    scored, metrics = trainer.collect(PhaseTimer())
    assert trainer.engine.calls == [(2, trainer.sampling)] and trainer.sampling.n == 4
    assert scored.rewards.shape == (2, 4) and scored.group_size == 4 and len(scored) == 2
    gold = [int(s.answer) for s in scored.samples]
    want = torch.zeros(2, 4)
    want[0, gold[0]] = want[1, gold[1]] = 1.0                   # completion k answers k: one right answer per group
    assert torch.equal(scored.rewards, want) and torch.equal(scored.accuracy, want)
    results = scored.results()
    assert [r.prompt_id for r in results] == [s.id for s in scored.samples]
    assert all(r.source == "text" and r.difficulty in (1, 2) and r.success_rate == 0.25 for r in results)
    assert results[0].accuracy == tuple(want[0].tolist())
    assert metrics["reward/mean"] == 0.25 and metrics["accuracy/source/text"] == 0.25
    assert metrics["zero_std_groups_frac"] == 0.0


def test_one_step_hands_off_to_the_update_and_pushes_weights(trainer):
    before = {n: p.detach().clone() for n, p in trainer.policy.model.named_parameters()}
    m = trainer.step()
    for phase in ("rollout", "reward", "logprobs", "advantages", "update", "sync"):
        assert m[f"time/{phase}"] >= 0.0
    # GRPO on [0, 0, 1, 0]-like groups: mean 1/4, unbiased std 1/2 → advantages 1.5 (right) and −0.5 (wrong)
    assert m["adv/max"] == pytest.approx(1.5, abs=1e-5) and m["adv/min"] == pytest.approx(-0.5, abs=1e-5)
    assert m["optimizer_steps"] == 2.0 and trainer.step_count == 1
    after = dict(trainer.policy.model.named_parameters())
    assert any(not torch.equal(before[n], after[n]) for n in before)
    assert len(trainer.engine.pushed) == 1                        # the engine holds its own weights: one push
    pushed = trainer.engine.pushed[0]
    assert set(pushed) == set(after) and all(torch.equal(pushed[n], after[n]) for n in after)


def test_evaluation_scores_one_completion_per_sample_by_source_and_family(trainer):
    engine, enc = trainer.engine, trainer.encoder
    data = samples()[:4]                                           # golds 0, 1, 2, 3
    for s in data:
        s.meta["family"] = "even" if int(s.answer) % 2 == 0 else "odd"
    data[1].source = "other"
    res = evaluate(engine, enc, rule_reward, data, SamplingParams(temperature=0.0, max_new_tokens=8), batch_size=3)
    # n=1 → every sample gets completion 0, right only for gold "0"
    assert res["count"] == 4 and res["accuracy/mean"] == 0.25
    assert res["accuracy/family/even"] == 0.5 and res["accuracy/family/odd"] == 0.0
    assert res["accuracy/source/text"] == pytest.approx(1 / 3) and res["accuracy/source/other"] == 0.0
    assert [n for n, _ in engine.calls] == [3, 1]                  # batches of 3
