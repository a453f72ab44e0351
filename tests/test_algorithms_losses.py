"""Policy losses against numbers worked out by hand."""

import math

import pytest
import torch

from mmreason.registry import declared_options
from mmreason.algorithms import AGGREGATIONS, POLICY_LOSSES, tis_weights

NAN, INF = float("nan"), float("inf")
KW = dict(clip_low=0.2, clip_high=0.28, kimi_tau=0.1, is_weights=None)


def loss_fn(name):
    """The registered loss, called as the trainer calls it: offered every option, given those it declares."""
    fn = POLICY_LOSSES.get(name)
    return lambda *args, **kw: fn(*args, **declared_options(fn, kw))


def test_each_loss_declares_only_the_options_it_uses():
    import inspect

    opts = {n: set(inspect.signature(POLICY_LOSSES.get(n)).parameters) - {"logprobs", "old_logprobs", "advantages",
                                                                          "mask"} for n in POLICY_LOSSES.names()}
    assert opts == {"ppo_clip": {"clip_low", "clip_high", "is_weights"}, "gspo": {"clip_low", "clip_high", "is_weights"},
                    "kimi": {"kimi_tau", "is_weights"}}
L15, L05 = math.log(1.5), math.log(0.5)


def test_registered_names():
    assert POLICY_LOSSES.names() == ["gspo", "kimi", "ppo_clip"]


def ppo_case():
    # old = -1 everywhere; logprobs = old + δ. Row 1, last token is masked and holds garbage.
    delta = torch.tensor([[0.0, L15, L05], [L05, L15, 0.0]], dtype=torch.float64)
    old = torch.full((2, 3), -1.0, dtype=torch.float64)
    lp = (old + delta).clone()
    lp[1, 2], old[1, 2] = NAN, -INF
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]], dtype=torch.bool)
    adv = torch.tensor([1.0, -2.0], dtype=torch.float64)
    return lp.requires_grad_(), old, adv, mask


def test_ppo_clip_values_both_sides():
    # ε_low 0.2 -> floor 0.8; ε_high 0.28 -> ceiling 1.28
    # row 0, A = +1:  ρ=1   -> -1
    #                 ρ=1.5 -> -min(1.5, 1.28) = -1.28      (clip high active)
    #                 ρ=0.5 -> -min(0.5, 0.8)  = -0.5       (not clipped)
    # row 1, A = -2:  ρ=0.5 -> -min(-1.0, -1.6) = 1.6       (clip low active)
    #                 ρ=1.5 -> -min(-3.0, -2.56) = 3.0      (not clipped: no dual clip)
    #                 masked -> 0 although logprobs there is NaN
    lp, old, adv, mask = ppo_case()
    loss, m = loss_fn("ppo_clip")(lp, old, adv, mask, **KW)
    torch.testing.assert_close(loss, torch.tensor([[-1.0, -1.28, -0.5], [1.6, 3.0, 0.0]], dtype=torch.float64))
    # 5 valid tokens: one clipped high, one clipped low
    assert m["clip_frac"] == pytest.approx(0.4)
    assert m["clip_frac_high"] == pytest.approx(0.2)
    assert m["clip_frac_low"] == pytest.approx(0.2)
    # ratios 1, 1.5, 0.5, 0.5, 1.5 -> mean 5/5 = 1, max 1.5
    assert m["ratio_mean"] == pytest.approx(1.0)
    assert m["ratio_max"] == pytest.approx(1.5)
    # k3 = (ρ-1) - log ρ:  ρ=1: 0;  ρ=1.5: 0.5 - 0.405465 = 0.094535;  ρ=0.5: -0.5 + 0.693147 = 0.193147
    # mean = (0 + 2·0.094535 + 2·0.193147) / 5 = 0.575364 / 5 = 0.115073
    assert m["approx_kl"] == pytest.approx(0.115073, abs=1e-6)


def test_ppo_clip_gradient():
    # d/dlogprob of -ρA is -Aρ where unclipped, 0 where the clipped term is active, 0 under the mask:
    # row 0: [-1·1, 0, -1·0.5];  row 1: [0, -(-2)·1.5 = 3, 0]
    lp, old, adv, mask = ppo_case()
    loss, _ = loss_fn("ppo_clip")(lp, old, adv, mask, **KW)
    loss.sum().backward()
    torch.testing.assert_close(lp.grad, torch.tensor([[-1.0, 0.0, -0.5], [0.0, 3.0, 0.0]], dtype=torch.float64))


@pytest.mark.parametrize("name", ["ppo_clip", "gspo"])
def test_ratio_one_gives_minus_advantage(name):
    lp = torch.tensor([[-0.3, -1.2], [-2.0, -0.1]])
    adv = torch.tensor([0.5, -1.5])
    loss, m = loss_fn(name)(lp, lp.clone(), adv, torch.ones(2, 2), **KW)
    torch.testing.assert_close(loss, torch.tensor([[-0.5, -0.5], [1.5, 1.5]]))
    assert m["clip_frac"] == 0.0 and m["approx_kl"] == 0.0 and m["ratio_mean"] == 1.0


def gspo_case():
    # δ row 0: [0.3, -0.1, masked]  mean 0.1  -> s = e^0.1 = 1.105171
    # δ row 1: [0.6, 0.3, 0.0]      mean 0.3  -> s = e^0.3 = 1.349859
    # δ row 2: [-0.9, -0.3, masked] mean -0.6 -> s = e^-0.6 = 0.548812
    old = torch.tensor([[-1.0, -2.0, -1.0], [-0.5, -0.5, -0.5], [-1.0, -1.0, -3.0]], dtype=torch.float64)
    delta = torch.tensor([[0.3, -0.1, 0.0], [0.6, 0.3, 0.0], [-0.9, -0.3, 0.0]], dtype=torch.float64)
    lp = old + delta
    lp[0, 2], lp[2, 2], old[2, 2] = INF, NAN, NAN
    mask = torch.tensor([[1, 1, 0], [1, 1, 1], [1, 1, 0]], dtype=torch.float32)
    return lp.requires_grad_(), old, mask


def test_gspo_values():
    # clip 0.2/0.2 -> [0.8, 1.2]
    # row 0, A = +1: s = 1.105171 inside      -> -1.105171 on both valid tokens
    # row 1, A = +2: s = 1.349859 > 1.2       -> -min(2.699718, 2.4) = -2.4 on all three (clip high)
    # row 2, A = -1: s = 0.548812 < 0.8       -> -min(-0.548812, -0.8) = 0.8 on both valid (clip low)
    lp, old, mask = gspo_case()
    adv = torch.tensor([1.0, 2.0, -1.0], dtype=torch.float64)
    loss, m = loss_fn("gspo")(lp, old, adv, mask, clip_low=0.2, clip_high=0.2, kimi_tau=0.0)
    e = 1.1051709
    torch.testing.assert_close(loss, torch.tensor([[-e, -e, 0.0], [-2.4, -2.4, -2.4], [0.8, 0.8, 0.0]],
                                                  dtype=torch.float64), atol=1e-6, rtol=0)
    # 7 valid tokens: 3 clipped high, 2 clipped low
    assert m["clip_frac_high"] == pytest.approx(3 / 7)
    assert m["clip_frac_low"] == pytest.approx(2 / 7)
    assert m["clip_frac"] == pytest.approx(5 / 7)
    assert m["ratio_max"] == pytest.approx(1.349859, abs=1e-6)
    # token-weighted mean of s: (2·1.105171 + 3·1.349859 + 2·0.548812) / 7 = 7.357543 / 7 = 1.051078
    assert m["ratio_mean"] == pytest.approx(1.051078, abs=1e-6)


def test_gspo_gradient_is_sequence_level():
    # Sequence objective J = (1/N) Σ_i -min(s_i A_i, clip(s_i) A_i), s_i = exp(mean_t δ_it), N = 3.
    # Unclipped: ∂J/∂logprob_it = -(A_i / N) · s_i · (1 / n_i), the same for every token of the sequence.
    #   row 0 (A=+1, s=1.105171, n=2): -1.105171 / 2 / 3 = -0.184195
    # Clipped (rows 1 and 2 above): 0.
    # Token-level PPO would instead give row 0 -e^0.3/2/3 = -0.224976 and -e^-0.1/2/3 = -0.150806.
    lp, old, mask = gspo_case()
    adv = torch.tensor([1.0, 2.0, -1.0], dtype=torch.float64)
    loss, _ = loss_fn("gspo")(lp, old, adv, mask, clip_low=0.2, clip_high=0.2)
    AGGREGATIONS.get("seq_mean_token_mean")(loss, mask).backward()
    g = -0.1841952
    torch.testing.assert_close(lp.grad, torch.tensor([[g, g, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
                                                     dtype=torch.float64), atol=1e-6, rtol=0)


def test_gspo_gradient_negative_advantage_unclipped():
    # Wide clip (10) so nothing clips. N = 2 sequences.
    # row 0: A = +1, δ [0.3, -0.1], s = 1.105171, n = 2: grad -1.105171 / 2 / 2 = -0.276293
    # row 1: A = -0.5, δ [0.2, 0.2, 0.2], s = e^0.2 = 1.221403, n = 3: grad +0.5·1.221403 / 3 / 2 = 0.101784
    old = torch.tensor([[-1.0, -2.0, 0.0], [-1.0, -1.0, -1.0]], dtype=torch.float64)
    lp = (old + torch.tensor([[0.3, -0.1, 0.0], [0.2, 0.2, 0.2]], dtype=torch.float64)).requires_grad_()
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    loss, _ = loss_fn("gspo")(lp, old, torch.tensor([1.0, -0.5], dtype=torch.float64), mask,
                                        clip_low=0.9, clip_high=10.0)
    AGGREGATIONS.get("seq_mean_token_mean")(loss, mask).backward()
    a, b = -0.2762927, 0.1017836
    torch.testing.assert_close(lp.grad, torch.tensor([[a, a, 0.0], [b, b, b]], dtype=torch.float64),
                               atol=1e-6, rtol=0)


def kimi_case():
    # row 0: A = +1, lp [-1, -2, masked], old [-1.5, -2.5, garbage]: Σδ = 0.5 + 0.5 = 1, n = 2
    # row 1: A = -1, lp [-0.5, -1, -1.5], old [-0.5, -1, -0.5]:       Σδ = -1,        n = 3
    lp = torch.tensor([[-1.0, -2.0, NAN], [-0.5, -1.0, -1.5]], dtype=torch.float64, requires_grad=True)
    old = torch.tensor([[-1.5, -2.5, -INF], [-0.5, -1.0, -0.5]], dtype=torch.float64)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    return lp, old, torch.tensor([1.0, -1.0], dtype=torch.float64), mask


def test_kimi_values_sum_to_sequence_objective():
    # τ = 0.5, per token l_t = -A·lp_t + (τ/2)·(Σδ)²/n
    # row 0: -lp_t + 0.25·1/2 = -lp_t + 0.125 -> [1.125, 2.125]; sum 3.25 = -1·(-3) + 0.25·1²
    # row 1:  lp_t + 0.25·1/3                -> [-0.416667, -0.916667, -1.416667]; sum -2.75 = -(-1)(-3) + 0.25
    lp, old, adv, mask = kimi_case()
    loss, m = loss_fn("kimi")(lp, old, adv, mask, clip_low=0.2, clip_high=0.2, kimi_tau=0.5)
    torch.testing.assert_close(loss, torch.tensor([[1.125, 2.125, 0.0], [-5 / 12, -11 / 12, -17 / 12]],
                                                  dtype=torch.float64))
    assert m["seq_log_ratio_sq"] == pytest.approx(1.0)  # (1² + (-1)²) / 2


def test_kimi_gradient_matches_sequence_formula():
    # ∂L_i/∂lp_t = -A_i + τ·Σδ_i:  row 0: -1 + 0.5·1 = -0.5;  row 1: 1 + 0.5·(-1) = 0.5
    # seq_mean_token_sum over N = 2 sequences: value (3.25 - 2.75)/2 = 0.25, grads halved.
    lp, old, adv, mask = kimi_case()
    loss, _ = loss_fn("kimi")(lp, old, adv, mask, kimi_tau=0.5)
    total = AGGREGATIONS.get("seq_mean_token_sum")(loss, mask)
    assert total.item() == pytest.approx(0.25)
    total.backward()
    torch.testing.assert_close(lp.grad, torch.tensor([[-0.25, -0.25, 0.0], [0.25, 0.25, 0.25]], dtype=torch.float64))


@pytest.mark.parametrize("name", ["ppo_clip", "gspo", "kimi"])
def test_garbage_under_mask_never_leaks(name):
    lp = torch.tensor([[-1.0, INF, NAN], [-0.5, -INF, -0.2]], requires_grad=True)
    old = torch.tensor([[-1.1, NAN, -INF], [-0.4, INF, NAN]])
    mask = torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    w = torch.tensor([[2.0, NAN, INF], [1.0, NAN, NAN]])
    loss, metrics = loss_fn(name)(lp, old, torch.tensor([1.0, -1.0]), mask, is_weights=w,
                                            clip_low=0.2, clip_high=0.2, kimi_tau=0.1)
    assert torch.isfinite(loss).all()
    assert (loss[:, 1:] == 0).all()
    assert all(math.isfinite(v) for v in metrics.values())
    AGGREGATIONS.get("token_mean")(loss, mask).backward()
    assert torch.isfinite(lp.grad).all()
    assert (lp.grad[:, 1:] == 0).all() and (lp.grad[:, 0] != 0).all()


def test_is_weights_multiply_per_token_loss():
    # ratio 1 -> loss -A; weights [[2, 0.5]] -> [-2·1, -0.5·1]
    lp = torch.tensor([[-1.0, -2.0]])
    loss, _ = loss_fn("ppo_clip")(lp, lp, torch.tensor([1.0]), torch.ones(1, 2),
                                            is_weights=torch.tensor([[2.0, 0.5]]))
    torch.testing.assert_close(loss, torch.tensor([[-2.0, -0.5]]))


def test_tis_weights_truncated_and_detached():
    # old - rollout = [0, log 2, log 10, -log 2], cap 5 -> [1, 2, min(10, 5) = 5, 0.5]
    old = torch.tensor([[0.0, math.log(2), math.log(10), -math.log(2)]], requires_grad=True)
    w = tis_weights(old, torch.zeros(1, 4), cap=5.0)
    torch.testing.assert_close(w, torch.tensor([[1.0, 2.0, 5.0, 0.5]]))
    assert not w.requires_grad
    # a huge gap cannot overflow
    assert tis_weights(torch.tensor([500.0]), torch.tensor([-500.0]), 2.0).item() == pytest.approx(2.0)


def test_float_and_bool_masks_agree():
    lp, old, adv, mask = ppo_case()
    a, _ = loss_fn("ppo_clip")(lp, old, adv, mask, **KW)
    b, _ = loss_fn("ppo_clip")(lp, old, adv, mask.double(), **KW)
    torch.testing.assert_close(a, b)


def test_shape_errors():
    with pytest.raises(ValueError, match="advantages"):
        loss_fn("ppo_clip")(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(3), torch.ones(2, 3))
    with pytest.raises(ValueError, match="share one"):
        loss_fn("gspo")(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(2), torch.ones(2, 3))
