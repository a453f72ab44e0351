"""The token layout of update batches, checked against tensors written out by hand."""

import torch

from mmreason.prompts import EncodedPrompt
from mmreason.trainer.batch import build_sequences, rollout_batch
from mmreason.types import Completion


def _prompt(ids, mm=None):
    return EncodedPrompt(sample_id="p", text="", input_ids=ids, mm_token_type_ids=mm)


def test_prompts_left_padded_and_responses_right_padded():
    prompts = [_prompt([11, 12, 13], [0, 1, 0]), _prompt([14])]
    seq = build_sequences(prompts, [[21], [22, 23]], pad_id=0)
    assert seq["prompt_len"] == 3
    assert seq["input_ids"].tolist() == [[11, 12, 13, 21, 0], [0, 0, 14, 22, 23]]
    assert seq["attention_mask"].tolist() == [[1, 1, 1, 1, 0], [0, 0, 1, 1, 1]]
    assert seq["mm_token_type_ids"].tolist() == [[0, 1, 0, 0, 0], [0, 0, 0, 0, 0]]
    assert seq["response_mask"].tolist() == [[1.0, 0.0], [1.0, 1.0]]


def test_an_empty_response_keeps_one_masked_column():
    seq = build_sequences([_prompt([5, 6])], [[]], pad_id=9)
    assert seq["input_ids"].tolist() == [[5, 6, 9]] and seq["response_mask"].tolist() == [[0.0]]


def test_rollout_rows_in_group_order_with_their_logprobs():
    a, b = _prompt([1, 2]), _prompt([3])
    groups = [[Completion(token_ids=[7], text="", logprobs=[-0.5]),
               Completion(token_ids=[8, 9], text="", logprobs=[-0.25, -1.0])],
              [Completion(token_ids=[6, 6, 6], text="", logprobs=[-2.0, -3.0, -4.0])]]
    batch = rollout_batch([a, b], groups, pad_id=0)
    assert batch.prompts == [a, a, b]
    assert batch.input_ids.tolist() == [[1, 2, 7, 0, 0], [1, 2, 8, 9, 0], [0, 3, 6, 6, 6]]
    assert batch.rollout_logprobs.tolist() == [[-0.5, 0.0, 0.0], [-0.25, -1.0, 0.0], [-2.0, -3.0, -4.0]]
    assert torch.equal(batch.response_mask, torch.tensor([[1.0, 0, 0], [1, 1, 0], [1, 1, 1]]))
