"""Mixtures that stay balanced: per-source advantage normalisation, source-weight schedules and success balancing,
and the start-up check of token budgets."""

import pytest
import torch

from mmreason.algorithms.advantages import normalize_per_label
from mmreason.data import Mixture
from mmreason.data.samplers import MixtureSampler, scheduled_weight
from mmreason.trainer.scored import PromptResult
from mmreason.types import Sample, user


def test_per_source_normalisation_by_hand():
    adv = torch.tensor([[1.0, -1.0], [2.0, -2.0], [0.5, -0.5], [0.0, 0.0]])
    out, m = normalize_per_label(adv, ["a", "a", "b", "b"], eps=0.0)
    # source a: values 1, -1, 2, -2 → population std √((1+1+4+4)/4) = √2.5; source b: .5, -.5, 0, 0 → √(.5/4)
    sa, sb = 2.5 ** 0.5, (0.5 / 4) ** 0.5
    assert torch.allclose(out[:2], adv[:2] / sa) and torch.allclose(out[2:], adv[2:] / sb)
    assert m["adv/std_before/a"] == pytest.approx(sa) and m["adv/std_before/b"] == pytest.approx(sb)
    zero, _ = normalize_per_label(torch.zeros(2, 3), ["x", "y"])
    assert torch.equal(zero, torch.zeros(2, 3))                      # no signal stays no signal


def test_weight_schedule_is_piecewise_linear_and_constant_outside():
    pts = [[10, 3.0], [0, 1.0], [20, 3.0]]
    assert [scheduled_weight(pts, s) for s in (-5, 0, 5, 10, 15, 20, 99)] == [1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0]


def samples(name, n):
    return [Sample(id=f"{name}{i}", messages=[user("q")], answer="1", source=name) for i in range(n)]


def test_success_balancing_moves_prompts_to_the_source_that_fails():
    def sampler():
        return MixtureSampler(Mixture([("easy", 1.0, samples("easy", 50)), ("hard", 1.0, samples("hard", 50))],
                                      seed=3), balance="success", floor=0.1, ema=1.0)
    s = sampler()
    s.observe([PromptResult("e", "easy", None, (1.0, 1.0)), PromptResult("h", "hard", None, (0.0, 0.0))])
    assert s.weights(0) == {"easy": 0.1, "hard": 1.0}                 # max(floor, 1 − 1) and max(floor, 1 − 0)
    batch = s.next_batch(400, step=0)
    hard = sum(x.source == "hard" for x in batch) / len(batch)
    assert 0.85 < hard < 0.97                                         # 1 / 1.1 ≈ 0.91 expected
    assert s.metrics()["sampler/weight/hard"] == pytest.approx(1 / 1.1)
    again = sampler()
    again.load_state_dict(s.state_dict())                              # exact on resume: the same next prompts
    assert [x.id for x in again.next_batch(20, 1)] == [x.id for x in s.next_batch(20, 1)]


def test_a_schedule_shifts_the_mix_over_steps():
    s = MixtureSampler(Mixture([("a", 1.0, samples("a", 40)), ("b", 1.0, samples("b", 40))], seed=0),
                       schedules={"b": [[0, 0.25], [100, 4.0]]})
    early = sum(x.source == "b" for x in s.next_batch(300, step=0)) / 300     # 0.25 / 1.25 = 0.2
    late = sum(x.source == "b" for x in s.next_batch(300, step=100)) / 300     # 4 / 5 = 0.8
    assert early < 0.3 and late > 0.7


def test_budget_check_names_source_family_numbers_and_key(tmp_path, tiny_model_dir, count_data):
    from helpers import rl_overrides
    from mmreason.config import load_config
    from mmreason.errors import ConfigError
    from mmreason.pipeline import Pipeline
    from mmreason.stages.budget import budget_findings, check_budgets

    def findings(*extra):
        pipe = Pipeline(load_config(None, rl_overrides(tmp_path / "run", tiny_model_dir, count_data, *extra)))
        parts = pipe.setup()
        try:
            return pipe, budget_findings(pipe.cfg, parts.encoder, parts.answer_format, parts.train_sources,
                                         [("held", 1.0, parts.eval_set)])
        finally:
            pipe.close()

    _, ok = findings("rollout.max_new_tokens=96")
    assert ok == []
    pipe, lines = findings("rollout.max_new_tokens=20", "eval.max_new_tokens=96", "prompt.max_prompt_length=40")
    train = [l for l in lines if l.startswith("train source 'count', family count: ")]
    assert len(train) == 2 and "longer than rollout.max_new_tokens=20" in train[0]
    assert "raise rollout.max_new_tokens to at least" in train[0]
    # the count traces are ~40 tokens: every one of the 48 is over 20, and the numbers say so
    assert "48/48 reference answers" in train[0]
    assert "prompt.max_prompt_length=40" in train[1] and "lower model.max_pixels" in train[1]
    assert not any("eval source 'held'" in l and "max_new_tokens" in l for l in lines)  # eval's budget is 96
    pipe.cfg.data.budget_check = "error"
    parts = pipe.setup()
    try:
        with pytest.raises(ConfigError, match="token budgets do not fit"):
            check_budgets(pipe.ctx, parts)
    finally:
        pipe.close()
