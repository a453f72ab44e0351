"""PPO's critic math against numbers worked out by hand: per-token rewards, GAE, the clipped value loss,
explained variance, and the pairings refused at config time."""

import pytest
import torch

from mmreason.algorithms.compat import problems
from mmreason.algorithms.gae import clipped_value_loss, explained_variance, gae, token_rewards, whiten

MASK = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])


def test_token_rewards_put_the_rule_reward_on_the_last_token_and_kl_everywhere():
    kl = torch.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 7.0]])  # 7.0 is under the mask
    got = token_rewards(torch.tensor([1.0, 0.5]), MASK, kl, beta=0.1)
    want = torch.tensor([[-0.01, -0.02, -0.03 + 1.0], [-0.04, -0.05 + 0.5, 0.0]])
    assert torch.allclose(got, want)
    assert torch.equal(token_rewards(torch.tensor([1.0, 0.5]), MASK), torch.tensor([[0, 0, 1.0], [0, 0.5, 0]]))


def test_gae_by_hand():
    # row 0: r = [0, 0, 1], V = [.5, .6, .8], γ = 1, λ = .5
    #   δ2 = 1 − .8 = .2 → A2 = .2;  δ1 = .8 − .6 = .2 → A1 = .2 + .5·.2 = .3;  δ0 = .6 − .5 = .1 → A0 = .1 + .15 = .25
    # row 1 (two tokens): r = [0, .5], V = [.2, .4, 9 (pad)]
    #   δ1 = .5 − .4 = .1 → A1 = .1;  δ0 = .4 − .2 = .2 → A0 = .2 + .5·.1 = .25
    rewards = torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.5, 0.0]])
    values = torch.tensor([[0.5, 0.6, 0.8], [0.2, 0.4, 9.0]])
    adv, ret = gae(rewards, values, MASK, gamma=1.0, lam=0.5)
    assert torch.allclose(adv, torch.tensor([[0.25, 0.3, 0.2], [0.25, 0.1, 0.0]]))
    assert torch.allclose(ret, torch.tensor([[0.75, 0.9, 1.0], [0.45, 0.5, 0.0]]))
    # λ = 1, γ = 1: the advantage is the Monte-Carlo return minus the value
    adv1, ret1 = gae(rewards, values, MASK, gamma=1.0, lam=1.0)
    assert torch.allclose(ret1, torch.tensor([[1.0, 1.0, 1.0], [0.5, 0.5, 0.0]]))
    # γ < 1 discounts: row 1 with γ = .5, λ = 1 → R0 = .5·.5 = .25
    _, ret_g = gae(rewards, values, MASK, gamma=0.5, lam=1.0)
    assert ret_g[1, 0].item() == pytest.approx(0.25)


def test_clipped_value_loss_and_explained_variance_by_hand():
    # V = 1.0, V_old = .5, R = .9, ε = .2: clip(V) = .7; (V − R)² = .01, (clip − R)² = .04 → ½·.04 = .02, clipped
    loss, m = clipped_value_loss(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.0]]), torch.tensor([[0.9, 0.0]]),
                                 torch.tensor([[1.0, 0.0]]), clip=0.2)
    assert loss[0, 0].item() == pytest.approx(0.02) and loss[0, 1].item() == 0.0 and m["vf_clip_frac"] == 1.0
    # V = [1, 2, 3], R = [1, 2, 4]: Var(R − V) = 2/9, Var(R) = 14/9 → 1 − 1/7 = 6/7
    ev = explained_variance(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[1.0, 2.0, 4.0]]), torch.ones(1, 3))
    assert ev == pytest.approx(6 / 7)
    assert torch.equal(whiten(torch.tensor([[1.0, 3.0]]), torch.tensor([[1.0, 0.0]]), 2.0, 1.0, eps=0.0),
                       torch.tensor([[-1.0, 0.0]]))


BASE = dict(advantage="grpo", loss="ppo_clip", aggregation="seq_mean_token_mean", kl_beta=0.0, kl_in_reward=False,
            ref_reset_every=0, dynamic_sampling=False, group_size=8, critic=False, overlong_max=None,
            overlong_cache=16, max_new_tokens=64)


@pytest.mark.parametrize("change, key, words", [
    ({"loss": "kimi", "aggregation": "seq_mean_token_mean"}, "algorithm.aggregation", "divide it twice"),
    ({"loss": "gspo", "aggregation": "token_mean"}, "algorithm.aggregation", "sequence-level objective"),
    ({"advantage": "gae"}, "algorithm.advantage", "need a critic"),
    ({"critic": True}, "algorithm.advantage", "need a critic"),
    ({"advantage": "gae", "critic": True, "loss": "gspo"}, "algorithm.loss", "one advantage per token"),
    ({"kl_in_reward": True}, "algorithm.kl_in_reward", "no KL to fold"),
    ({"ref_reset_every": 10}, "algorithm.ref_reset_every", "nothing to reset"),
    ({"dynamic_sampling": True, "group_size": 1}, "algorithm.dynamic_sampling", "never informative"),
    ({"overlong_max": 100, "overlong_cache": 16}, "reward.overlong_max", "never acts"),
])
def test_wrong_pairings_are_refused_with_the_reason(change, key, words):
    found = problems(**{**BASE, **change})
    assert any(k == key and words in reason for k, reason in found), found
    assert problems(**BASE) == []
    assert problems(**{**BASE, **change}, rl_steps=0) == []     # no RL stage, nothing to pair
