"""LR multiplier by hand, and through torch's LambdaLR."""

import math
from functools import partial

import pytest
import torch

from mmreason.algorithms import lr_lambda


def test_warmup_first_step_trains():
    # W = 4: (step+1)/4 = 0.25, 0.5, 0.75, 1.0, then 1
    got = [lr_lambda(s, 4, 10, "constant") for s in range(6)]
    assert got == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_no_warmup():
    assert lr_lambda(0, 0, 10, "cosine") == 1.0


def test_linear_decay():
    # W = 2, S = 12, r = 0.1: decay over S - 1 - W = 9 steps
    # step 2: p = 0 -> 1;  step 5: p = 3/9 -> 0.1 + 0.9·(2/3) = 0.7;  step 11: p = 1 -> 0.1;  step 20 -> 0.1
    f = partial(lr_lambda, warmup_steps=2, total_steps=12, schedule="linear", min_lr_ratio=0.1)
    assert f(0) == 0.5 and f(1) == 1.0
    assert f(2) == pytest.approx(1.0)
    assert f(5) == pytest.approx(0.7)
    assert f(11) == pytest.approx(0.1)
    assert f(20) == pytest.approx(0.1)


def test_cosine_decay():
    # W = 0, S = 5: decay over 4 steps; ½(1 + cos πp)
    # p = 0.25 -> ½(1 + 0.707107) = 0.853553;  p = 0.5 -> 0.5;  p = 0.75 -> 0.146447;  p = 1 -> 0
    got = [lr_lambda(s, 0, 5, "cosine") for s in range(5)]
    assert got == pytest.approx([1.0, 0.853553, 0.5, 0.146447, 0.0], abs=1e-6)
    # min_lr_ratio 0.2 at p = 0.5: 0.2 + 0.8·0.5 = 0.6
    assert lr_lambda(2, 0, 5, "cosine", 0.2) == pytest.approx(0.6)
    assert lr_lambda(4, 0, 5, "cosine", 0.2) == pytest.approx(0.2)


def test_with_lambda_lr():
    # base lr 1.0, W = 2, S = 4, linear to 0: lr before each update = 0.5, 1.0, 1.0 (p = 0), 0.0 (p = 1)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, partial(lr_lambda, warmup_steps=2, total_steps=4, schedule="linear", min_lr_ratio=0.0))
    seen = []
    for _ in range(4):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx([0.5, 1.0, 1.0, 0.0])


def test_unknown_schedule():
    with pytest.raises(ValueError, match="cosine"):
        lr_lambda(0, 0, 10, "cosin")


def test_cosine_is_monotone_and_bounded():
    vals = [lr_lambda(s, 3, 50, "cosine", 0.1) for s in range(60)]
    assert all(0.1 - 1e-12 <= v <= 1.0 for v in vals)
    decay = vals[3:]
    assert all(a >= b - 1e-12 for a, b in zip(decay, decay[1:]))
    assert not math.isnan(sum(vals))
