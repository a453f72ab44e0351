"""Dynamic sampling, truncation masks, DAPO overlong shaping and the Kimi length reward, by hand."""

import pytest
import torch

from mmreason.algorithms import informative_groups, kimi_length_reward, overlong_penalty, truncation_mask


def test_informative_groups():
    # all right / mixed / all wrong / differs by 1e-9 < atol / NaN
    r = torch.tensor([[1.0, 1.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.5, 0.5 + 1e-9, 0.5],
                      [1.0, float("nan"), 0.0]], dtype=torch.float64)
    assert informative_groups(r).tolist() == [False, True, False, False, False]
    assert informative_groups(r, atol=0.0).tolist() == [False, True, False, True, False]
    assert informative_groups(torch.tensor([[1.0], [0.0]])).tolist() == [False, False]  # G = 1
    assert informative_groups(torch.tensor([[1, 0], [2, 2]])).tolist() == [True, False]  # ints


def test_truncation_mask_from_strings_and_bools():
    assert truncation_mask(["stop", "length", "stop", "abort"]).tolist() == [True, False, True, True]
    assert truncation_mask(torch.tensor([False, True])).tolist() == [True, False]
    rm = torch.tensor([[1.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    out = truncation_mask(["length", "stop", "length"], response_mask=rm)
    assert out.dtype == rm.dtype
    torch.testing.assert_close(out, torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]))


def test_truncation_mask_rejects_bad_input():
    with pytest.raises(TypeError):
        truncation_mask(["stop", None])
    with pytest.raises(ValueError):
        truncation_mask(torch.tensor([0, 1]))
    with pytest.raises(ValueError):
        truncation_mask(["stop"], response_mask=torch.ones(2, 3))


def test_overlong_penalty_by_hand():
    # L_max 20, L_cache 4 -> ramp starts after 16
    # 10 -> 0;  16 -> 0;  17 -> (16-17)/4 = -0.25;  18 -> -0.5;  20 -> -1;  21 -> -1 (beyond);  100 -> -1
    out = overlong_penalty(torch.tensor([10, 16, 17, 18, 20, 21, 100]), max_len=20, cache_len=4)
    torch.testing.assert_close(out, torch.tensor([0.0, 0.0, -0.25, -0.5, -1.0, -1.0, -1.0]))


def test_overlong_penalty_without_cache_is_a_step():
    # L_cache 0: 0 up to L_max, -1 beyond
    torch.testing.assert_close(overlong_penalty(torch.tensor([10, 11]), 10, 0), torch.tensor([0.0, -1.0]))
    with pytest.raises(ValueError):
        overlong_penalty(torch.tensor([1]), max_len=4, cache_len=4)


def test_kimi_length_reward_by_hand():
    # group 0: lengths [10, 20, 30], min 10, max 30: λ = 0.5 - [0, 0.5, 1] = [0.5, 0, -0.5]
    #          correct [T, T, F] -> [0.5, 0, min(0, -0.5) = -0.5]
    # group 1: all lengths 5 -> [0, 0, 0]
    # group 2: lengths [8, 4, 6], min 4, max 8: λ = 0.5 - [1, 0, 0.5] = [-0.5, 0.5, 0]
    #          correct [T, F, T] -> [-0.5, min(0, 0.5) = 0, 0]   (a short wrong answer earns nothing)
    lengths = torch.tensor([[10, 20, 30], [5, 5, 5], [8, 4, 6]])
    correct = torch.tensor([[True, True, False], [True, False, True], [True, False, True]])
    out = kimi_length_reward(lengths, correct)
    torch.testing.assert_close(out, torch.tensor([[0.5, 0.0, -0.5], [0.0, 0.0, 0.0], [-0.5, 0.0, 0.0]]))


def test_kimi_length_reward_correct_short_positive():
    # lengths [4, 12], correct both: λ = [0.5, -0.5]
    out = kimi_length_reward(torch.tensor([[4, 12]]), torch.tensor([[1, 1]]))
    torch.testing.assert_close(out, torch.tensor([[0.5, -0.5]]))
