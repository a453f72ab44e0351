"""Advantage estimators against numbers worked out by hand."""

import math

import pytest
import torch

from mmreason.algorithms import ADVANTAGES

# The (2, 4) example used throughout (P = 2 prompts, G = 4 samples):
#   group 0: r = [1, 0, 0, 0]   mean 0.25  centred [0.75, -0.25, -0.25, -0.25]
#            unbiased var = (0.75² + 3·0.25²) / 3 = (0.5625 + 0.1875) / 3 = 0.25  -> std 0.5
#            (population std would be sqrt(0.75 / 4) = 0.4330)
#   group 1: r = [1, 1, 0, 0]   mean 0.5   centred [0.5, 0.5, -0.5, -0.5]
#            unbiased var = 4·0.25 / 3 = 1/3  -> std 0.57735   (population std would be 0.5)
R = torch.tensor([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]], dtype=torch.float64)
S3 = math.sqrt(3) / 2  # 0.5 / sqrt(1/3) = 0.8660254


def adv(name, rewards, **kw):
    a, metrics = ADVANTAGES.get(name)(rewards, **kw)
    return a, metrics


def test_registered_names():
    assert ADVANTAGES.names() == ["dr_grpo", "grpo", "kimi", "reinforce_pp", "rloo"]


def test_grpo_uses_unbiased_std():
    # group 0: [0.75, -0.25, -0.25, -0.25] / 0.5 = [1.5, -0.5, -0.5, -0.5]
    # group 1: ±0.5 / 0.57735 = ±0.8660254   (population std would give ±1.0 and 1.732 — not these)
    a, m = adv("grpo", R, eps=0.0)
    torch.testing.assert_close(a, torch.tensor([[1.5, -0.5, -0.5, -0.5], [S3, S3, -S3, -S3]], dtype=torch.float64))
    assert m["adv/max"] == pytest.approx(1.5)
    assert m["adv/min"] == pytest.approx(-S3)
    assert m["adv/mean"] == pytest.approx(0.0, abs=1e-12)  # (1.5 - 1.5 + 0) / 8
    assert m["frac_zero_std_groups"] == 0.0


def test_grpo_default_eps_is_added_to_std():
    # 0.75 / (0.5 + 1e-6) = 1.499997
    a, _ = adv("grpo", R)
    assert a[0, 0].item() == pytest.approx(1.499997, abs=1e-7)


def test_dr_grpo_and_kimi_subtract_group_mean_only():
    want = torch.tensor([[0.75, -0.25, -0.25, -0.25], [0.5, 0.5, -0.5, -0.5]], dtype=torch.float64)
    for name in ("dr_grpo", "kimi"):
        a, _ = adv(name, R)
        torch.testing.assert_close(a, want)


def test_rloo_leave_one_out_baseline():
    # group 0: r0=1, others [0,0,0] mean 0 -> 1;   r1=0, others [1,0,0] mean 1/3 -> -1/3
    # group 1: r0=1, others [1,0,0] mean 1/3 -> 2/3; r2=0, others [1,1,0] mean 2/3 -> -2/3
    a, _ = adv("rloo", R)
    t = 1 / 3
    torch.testing.assert_close(a, torch.tensor([[1, -t, -t, -t], [2 * t, 2 * t, -2 * t, -2 * t]], dtype=torch.float64))


def test_reinforce_pp_global_std():
    # centred values over the batch: [0.75, -0.25, -0.25, -0.25, 0.5, 0.5, -0.5, -0.5], mean 0
    # sum of squares 0.75 + 1.0 = 1.75; unbiased var 1.75 / 7 = 0.25 -> std 0.5
    a, _ = adv("reinforce_pp", R, eps=0.0)
    torch.testing.assert_close(a, torch.tensor([[1.5, -0.5, -0.5, -0.5], [1.0, 1.0, -1.0, -1.0]], dtype=torch.float64))


@pytest.mark.parametrize("name", ["grpo", "dr_grpo", "rloo", "reinforce_pp", "kimi"])
def test_zero_variance_groups_are_exactly_zero(name):
    # 0.1 three times: the float32 mean need not equal 0.1 to the last bit; the advantage must be exactly 0.
    r = torch.tensor([[0.1, 0.1, 0.1], [1.0, 0.0, 0.0], [0.7, 0.7, 0.7]], dtype=torch.float32)
    a, m = adv(name, r)
    assert torch.equal(a[0], torch.zeros(3)) and torch.equal(a[2], torch.zeros(3))
    assert (a[1] != 0).all()
    assert m["frac_zero_std_groups"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("name", ["grpo", "dr_grpo", "rloo", "reinforce_pp", "kimi"])
def test_group_of_one_gives_zero(name):
    a, m = adv(name, torch.tensor([[1.0], [0.0], [0.5]]))
    assert torch.equal(a, torch.zeros(3, 1))
    assert m["frac_zero_std_groups"] == 1.0


@pytest.mark.parametrize("name", ["grpo", "reinforce_pp"])
def test_all_groups_constant_no_nan(name):
    a, m = adv(name, torch.ones(2, 4))
    assert torch.equal(a, torch.zeros(2, 4))
    assert m["adv/std"] == 0.0


def test_integer_and_bool_rewards_accepted():
    a, _ = adv("dr_grpo", torch.tensor([[True, False]]))
    torch.testing.assert_close(a, torch.tensor([[0.5, -0.5]]))


def test_nan_reward_is_not_silently_zeroed():
    a, _ = adv("grpo", torch.tensor([[1.0, float("nan")], [1.0, 0.0]]))
    assert torch.isnan(a[0]).all() and not torch.isnan(a[1]).any()


def test_wrong_shape_rejected():
    with pytest.raises(ValueError, match=r"\(P, G\)"):
        adv("grpo", torch.ones(4))
