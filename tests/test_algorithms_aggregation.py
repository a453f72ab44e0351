"""Loss aggregations by hand, and the micro-batch (gradient accumulation) equality."""

import pytest
import torch

from mmreason.registry import declared_options
from mmreason.algorithms import AGGREGATIONS, minibatch_totals

NAN = float("nan")

# Per-token losses (B = 4, T = 4); x marks masked entries (garbage there).
#   row 0: [1, 2, 3, x]  n=3  sum 6  mean 2
#   row 1: [4, x, x, x]  n=1  sum 4  mean 4
#   row 2: [x, x, x, x]  n=0  (empty: contributes 0, not counted in the default num_seqs)
#   row 3: [1, 1, 1, 1]  n=4  sum 4  mean 1
# valid sequences 3, valid tokens 8, total sum 14
LOSS = torch.tensor([[1.0, 2.0, 3.0, 99.0], [4.0, NAN, NAN, NAN], [NAN, 7.0, NAN, 7.0], [1.0, 1.0, 1.0, 1.0]],
                    dtype=torch.float64)
MASK = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]], dtype=torch.bool)
NAMES = ["seq_mean_token_mean", "token_mean", "seq_mean_token_sum_norm", "seq_mean_token_sum"]


def agg(name, loss, mask, **kw):
    """Called as the trainer calls it: offered the totals and the constant, given those it declares."""
    kw.setdefault("norm_constant", 4)
    fn = AGGREGATIONS.get(name)
    return fn(loss, mask, **declared_options(fn, kw))


def test_registered_names():
    assert AGGREGATIONS.names() == sorted(NAMES)


@pytest.mark.parametrize("name,want", [
    ("seq_mean_token_mean", 7 / 3),          # (2 + 4 + 1) / 3
    ("token_mean", 1.75),                    # 14 / 8
    ("seq_mean_token_sum_norm", 3.5 / 3),    # (14 / 4) / 3 = 1.166667
    ("seq_mean_token_sum", 14 / 3),          # 14 / 3
])
def test_values_by_hand(name, want):
    out = agg(name, LOSS, MASK)
    assert out.dim() == 0
    assert out.item() == pytest.approx(want)


def test_explicit_num_seqs_counts_empty_rows_if_asked():
    # (2 + 4 + 1) / 4 and 14 / 4
    assert agg("seq_mean_token_mean", LOSS, MASK, num_seqs=4).item() == pytest.approx(1.75)
    assert agg("seq_mean_token_sum", LOSS, MASK, num_seqs=4).item() == pytest.approx(3.5)
    assert agg("token_mean", LOSS, MASK, num_tokens=16).item() == pytest.approx(14 / 16)


def test_minibatch_totals():
    assert minibatch_totals(MASK) == {"num_seqs": 3.0, "num_tokens": 8.0}
    assert minibatch_totals(MASK.float()) == {"num_seqs": 3.0, "num_tokens": 8.0}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("split", [[2, 2], [1, 3], [3, 1], [1, 1, 1, 1]])
def test_micro_batches_sum_to_minibatch(name, split):
    totals = minibatch_totals(MASK)
    full_in = LOSS.clone().requires_grad_()
    full = agg(name, full_in, MASK, **totals)
    full.backward()
    micro_in = LOSS.clone().requires_grad_()
    parts = [agg(name, lo, mo, **totals) for lo, mo in zip(micro_in.split(split), MASK.split(split))]
    for p in parts:
        p.backward()  # gradient accumulation
    assert sum(p.item() for p in parts) == pytest.approx(full.item(), rel=1e-12)
    torch.testing.assert_close(micro_in.grad, full_in.grad)
    assert torch.isfinite(full_in.grad).all()


def test_micro_batches_by_hand_and_naive_means_differ():
    # seq_mean_token_mean with minibatch totals (num_seqs 3): rows 0-1 -> (2 + 4)/3 = 2, rows 2-3 -> 1/3; sum 7/3.
    # Without totals each micro-batch averages over itself: (2 + 4)/2 + 1/1 = 4 != 7/3.
    t = minibatch_totals(MASK)
    a = agg("seq_mean_token_mean", LOSS[:2], MASK[:2], **t).item()
    b = agg("seq_mean_token_mean", LOSS[2:], MASK[2:], **t).item()
    assert (a, b) == (pytest.approx(2.0), pytest.approx(1 / 3))
    naive = agg("seq_mean_token_mean", LOSS[:2], MASK[:2]).item() + agg("seq_mean_token_mean", LOSS[2:], MASK[2:]).item()
    assert naive == pytest.approx(4.0)


@pytest.mark.parametrize("name", NAMES)
def test_all_empty_gives_attached_zero(name):
    x = torch.full((2, 3), NAN, requires_grad=True)
    mask = torch.zeros(2, 3)
    out = agg(name, x, mask, **minibatch_totals(mask))
    assert out.item() == 0.0
    out.backward()
    assert torch.equal(x.grad, torch.zeros(2, 3))


def test_dr_grpo_needs_norm_constant():
    with pytest.raises(ValueError, match="norm_constant"):
        AGGREGATIONS.get("seq_mean_token_sum_norm")(LOSS, MASK)


def test_shape_mismatch_rejected():
    with pytest.raises(ValueError, match="share one"):
        agg("token_mean", LOSS, MASK[:, :3])
