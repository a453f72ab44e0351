"""KL estimators and the KL-in-reward fold, by hand."""

import math

import pytest
import torch

from mmreason.algorithms import kl_in_reward, kl_penalty

E = math.e
NAN, INF = float("nan"), float("inf")
# d = logπ - logπ_ref = [0, -1, 1]
LP = torch.tensor([[-1.0, -2.0, -0.5]], dtype=torch.float64)
REF = torch.tensor([[-1.0, -1.0, -1.5]], dtype=torch.float64)


def test_k1_k2_k3_by_hand():
    torch.testing.assert_close(kl_penalty(LP, REF, "k1"), torch.tensor([[0.0, -1.0, 1.0]], dtype=torch.float64))
    # ½ d² = [0, 0.5, 0.5]
    torch.testing.assert_close(kl_penalty(LP, REF, "k2"), torch.tensor([[0.0, 0.5, 0.5]], dtype=torch.float64))
    # x = -d = [0, 1, -1]; e^x - x - 1 = [0, e - 2 = 0.718282, e^-1 + 1 - 1 = 0.367879]
    torch.testing.assert_close(kl_penalty(LP, REF, "k3"),
                               torch.tensor([[0.0, E - 2, 1 / E]], dtype=torch.float64))


def test_k3_gradient():
    # ∂/∂lp [e^(ref-lp) - (ref-lp) - 1] = 1 - e^(ref-lp): [1 - 1, 1 - e, 1 - e^-1] = [0, -1.718282, 0.632121]
    lp = LP.clone().requires_grad_()
    kl_penalty(lp, REF, "k3").sum().backward()
    torch.testing.assert_close(lp.grad, torch.tensor([[0.0, 1 - E, 1 - 1 / E]], dtype=torch.float64))


def test_k3_nonnegative_and_finite_everywhere():
    g = torch.Generator().manual_seed(0)
    lp = torch.randn(64, 50, generator=g) * 30
    ref = torch.randn(64, 50, generator=g) * 30
    k3 = kl_penalty(lp, ref, "k3")
    assert torch.isfinite(k3).all() and (k3 >= 0).all()


def test_k3_clamp_values():
    # d = -100 -> x = 100 clamped to 20: e^20 - 20 - 1 = 485165174.41
    # d = +100 -> x = -100 clamped to -20: e^-20 + 20 - 1 = 2.0612e-9 + 19 = 19.0000000020612
    out = kl_penalty(torch.tensor([-100.0, 100.0], dtype=torch.float64), torch.zeros(2, dtype=torch.float64), "k3")
    assert out[0].item() == pytest.approx(485165174.41, rel=1e-9)
    assert out[1].item() == pytest.approx(19.0000000020612, rel=1e-13)


@pytest.mark.parametrize("est", ["k1", "k2", "k3"])
def test_mask_zeroes_garbage(est):
    lp = torch.tensor([[-1.0, NAN, INF]], requires_grad=True)
    ref = torch.tensor([[-2.0, -INF, NAN]])
    out = kl_penalty(lp, ref, est, mask=torch.tensor([[1, 0, 0]]))
    assert torch.isfinite(out).all() and (out[0, 1:] == 0).all() and out[0, 0] != 0
    out.sum().backward()
    assert torch.isfinite(lp.grad).all() and (lp.grad[0, 1:] == 0).all()


def test_unknown_estimator():
    with pytest.raises(ValueError, match="k4"):
        kl_penalty(LP, REF, "k4")


def test_kl_in_reward_by_hand():
    # rewards (P=2, G=2); kl rows in the order of rewards.flatten(); β = 0.1
    #   row 0: [0.2, 0.3, x]   -> Σ 0.5  -> 1   - 0.05 = 0.95
    #   row 1: [1, 1, 1]       -> Σ 3    -> 0   - 0.3  = -0.3
    #   row 2: [0, 0, 0]       -> Σ 0    -> 0.5
    #   row 3: [-0.5, 0.1, x]  -> Σ -0.4 -> 1   + 0.04 = 1.04   (k1 can be negative)
    rewards = torch.tensor([[1.0, 0.0], [0.5, 1.0]])
    kl = torch.tensor([[0.2, 0.3, NAN], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [-0.5, 0.1, INF]], requires_grad=True)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1], [1, 1, 1], [1, 1, 0]], dtype=torch.bool)
    out = kl_in_reward(rewards, kl, 0.1, mask)
    torch.testing.assert_close(out, torch.tensor([[0.95, -0.3], [0.5, 1.04]]))
    assert not out.requires_grad


def test_kl_in_reward_row_count_checked():
    with pytest.raises(ValueError, match="rows"):
        kl_in_reward(torch.zeros(2, 2), torch.zeros(3, 5), 0.1, torch.ones(3, 5))
