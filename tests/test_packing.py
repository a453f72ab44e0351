"""train.packing: the update's forward on sequences packed without padding gives the padded forward's logprobs,
entropies, hidden states, loss and gradients, on the tiny VLM with images of different sizes and a text-only row."""


import pytest
import torch
from PIL import Image

from helpers import clipped_loss_and_grads, prompt_encoder, scripted_rl_step
from mmreason.config import load_config
from mmreason.errors import ConfigError
from mmreason.model import load_policy
from mmreason.trainer.batch import sft_batch_of
from mmreason.trainer.logprobs import batched_logprobs, forward_response
from mmreason.trainer.packing import pack_batch, plan_rows, response_outputs, row_budget
from mmreason.types import ImagePart, Sample, user

ATOL = 1e-5


def _image(w, h, colour):
    return Image.new("RGB", (w, h), colour)


@pytest.fixture(scope="module")
def case(tiny_model_dir):
    """A fresh fp32 tiny policy and a batch of 6 rows: different prompt and response lengths, 5 images of 4 sizes
    (one row with two), one text-only row, one response of a single token."""
    policy = load_policy(tiny_model_dir)
    enc = prompt_encoder(policy.processor)
    rows = [
        ([ImagePart(), "How many circles are there in the picture, counting every one?"], [_image(112, 112, "red")],
         "<think>" + " ".join(["count them one by one then add them all up and check"] * 8) + "</think><answer>3</answer>"),
        (["Say 2."], [], "<answer>2</answer>"),
        ([ImagePart(), "Count."], [_image(56, 84, "blue")], "<think>a a</think><answer>1</answer>"),
        (["Two", ImagePart(), "images", ImagePart()], [_image(84, 56, "green"), _image(56, 56, "white")], "4"),
        ([ImagePart(), "What?"], [_image(56, 56, "black")], "<answer>0</answer>"),
        ([ImagePart(), "Which colour?"], [_image(112, 56, "yellow")], "<think>a</think><answer>yellow</answer>"),
    ]
    samples = [Sample(id=f"s{i}", messages=[user(*parts)], images=ims, answer="0") for i, (parts, ims, _) in
               enumerate(rows)]
    batch = sft_batch_of([enc.encode(s) for s in samples], [enc.encode_completion(t) for _, _, t in rows],
                         policy.processor.tokenizer.pad_token_id)
    policy.model.train()
    return policy.model, enc, batch


def _outputs(model, batch, enc, budget="default"):
    """(logprobs, entropy, hidden) of the padded forward (budget None: packing off) or a packed layout."""
    if budget == "default":
        return forward_response(model, batch, with_entropy=True, with_hidden=True,
                                image_token_id=enc.image_token_id, packing=True)
    packed = pack_batch(model, batch, "cpu", budget)
    out = model(**packed.inputs, use_cache=False, output_hidden_states=True)
    return response_outputs(packed, out, with_entropy=True, with_hidden=True)


def test_the_case_really_mixes_lengths_images_and_text(case):
    _, _, batch = case
    prompt_lens = batch.attention_mask[:, :batch.prompt_len].sum(1)
    resp_lens = batch.response_mask.sum(1)
    assert len(set(prompt_lens.tolist())) == len(batch) and len(set(resp_lens.tolist())) >= 5
    assert [p.pixel_values is None for p in batch.prompts] == [False, True, False, False, False, False]
    grids = torch.cat([p.image_grid_thw for p in batch.prompts if p.image_grid_thw is not None])
    assert len({tuple(g) for g in grids.tolist()}) == 5
    assert 1.0 - batch.attention_mask.float().mean() > 0.3    # plenty of padding to remove


def test_rows_are_planned_first_fit_decreasing_within_the_budget():
    assert plan_rows([5, 3, 9], None) == [[0, 1, 2]]
    assert plan_rows([5, 3, 9, 4, 1], 10) == [[2, 4], [0, 3], [1]]
    assert plan_rows([12, 3], 10) == [[0], [1]]                 # a sequence longer than the budget: its own row


@pytest.mark.parametrize("budget", ["default", None, 160])
def test_packed_outputs_equal_the_padded_outputs(case, budget):
    model, enc, batch = case
    with torch.no_grad():
        want = forward_response(model, batch, with_entropy=True, with_hidden=True, image_token_id=enc.image_token_id)
        got = _outputs(model, batch, enc, budget)
    valid = batch.attention_mask[:, batch.prompt_len:].bool()
    for w, g in zip(want, got):
        assert g.shape == w.shape and g.dtype == w.dtype
        assert torch.allclose(g[valid], w[valid], atol=ATOL, rtol=0), (g[valid] - w[valid]).abs().max()
        assert (g[~valid] == 0).all()                            # past a response's end: 0


def test_the_packed_layouts_remove_padding(case):
    model, _, batch = case
    B, T = batch.input_ids.shape
    default = pack_batch(model, batch, "cpu", row_budget(model, T))
    R, L = default.inputs["input_ids"].shape
    assert R < B and L <= T and R * L < B * T                   # fewer rows, none longer than the padded width
    one = pack_batch(model, batch, "cpu", None)
    assert one.inputs["input_ids"].shape == (1, int(batch.attention_mask.sum())) and one.pad_fraction == 0.0


def test_a_micro_batch_that_cannot_share_rows_runs_padded(case):
    model, enc, batch = case
    pair = batch.select([0, 2])                                  # 270 + 78 tokens: no room beside the longest
    assert pack_batch(model, pair, "cpu", row_budget(model, pair.input_ids.shape[1])) is None
    with torch.no_grad():
        want = forward_response(model, pair, with_entropy=True, image_token_id=enc.image_token_id)
        got = forward_response(model, pair, with_entropy=True, image_token_id=enc.image_token_id, packing=True)
    assert all(torch.equal(g, w) for g, w in zip(got[:2], want[:2]))


def test_positions_are_each_sequence_alone_and_attention_is_block_diagonal(case):
    model, enc, batch = case
    packed = pack_batch(model, batch, "cpu", None)
    pos = packed.inputs["position_ids"][:, 0]                    # (4, N) one row
    rope = model.model.get_rope_index
    offset = 0
    for b in range(len(batch)):
        alone = batch.select([b]).model_inputs()
        keep = alone["attention_mask"][0].bool()
        ids = alone["input_ids"][:, keep]
        want, _ = rope(ids, mm_token_type_ids=alone["mm_token_type_ids"][:, keep],
                       image_grid_thw=alone.get("image_grid_thw"))
        n = ids.shape[1]
        assert torch.equal(pos[1:, offset:offset + n], want[:, 0])
        assert torch.equal(pos[0, offset:offset + n], torch.arange(n))
        offset += n
    # the check is sensitive: the same packed row without its text positions attends across sequences
    crossing = dict(packed.inputs, position_ids=packed.inputs["position_ids"][1:])
    with torch.no_grad():
        leaky, _, _ = response_outputs(packed, model(**crossing, use_cache=False))
        want, _, _ = forward_response(model, batch, image_token_id=enc.image_token_id)
    valid = batch.attention_mask[:, batch.prompt_len:].bool()
    assert (leaky[valid] - want[valid]).abs().max() > 1e-2


def _loss_and_grads(model, batch, enc, packing):
    """The RL loss (clipped ratio against a fixed π_old, token-mean) and every parameter's gradient."""
    model.zero_grad(set_to_none=True)
    lp, _, _ = forward_response(model, batch, image_token_id=enc.image_token_id, packing=packing)
    return clipped_loss_and_grads(model, lp, batch.response_mask)


def test_loss_and_every_gradient_equal_the_padded_ones(case):
    model, enc, batch = case
    loss_pad, grads_pad = _loss_and_grads(model, batch, enc, packing=False)
    loss_packed, grads_packed = _loss_and_grads(model, batch, enc, packing=True)
    model.zero_grad(set_to_none=True)
    assert torch.allclose(loss_packed, loss_pad, atol=ATOL, rtol=0)
    assert grads_pad.keys() == grads_packed.keys() and len(grads_pad) == len(list(model.parameters()))
    for name, g in grads_pad.items():
        assert torch.allclose(grads_packed[name], g, atol=ATOL, rtol=1e-4), name


def test_batched_logprobs_with_packing_equal_the_padded_ones(case):
    model, enc, batch = case
    want = batched_logprobs(model, batch, 4, image_token_id=enc.image_token_id)
    got = batched_logprobs(model, batch, 4, image_token_id=enc.image_token_id, packing=True)
    valid = batch.attention_mask[:, batch.prompt_len:].bool()
    assert torch.allclose(got[valid], want[valid], atol=ATOL, rtol=0)


def test_the_option_defaults_off_and_is_validated():
    assert load_config(None, []).train.packing is False
    assert load_config(None, ["train.packing=true"]).train.packing is True
    cfg = load_config(None, [])
    cfg.train.packing = "yes"
    with pytest.raises(ConfigError, match="train.packing"):
        cfg.train.validate("train")


def _one_step(tmp_path, tiny_policy, packing):
    # prompts of very different lengths (no instruction), so that short sequences share rows beside long ones
    return scripted_rl_step(tmp_path, tiny_policy, [f"train.packing={packing}"], words_per_prompt=9)


def test_an_rl_step_with_packing_matches_the_padded_step(tmp_path, tiny_policy, monkeypatch):
    """π_old (tis_cap), the reference (kl_beta) and the update all go through the packed forward."""
    import mmreason.trainer.logprobs as logprobs_module

    calls = []
    real = logprobs_module.response_outputs
    monkeypatch.setattr(logprobs_module, "response_outputs", lambda *a, **k: calls.append(1) or real(*a, **k))
    off = _one_step(tmp_path / "off", tiny_policy, False)
    assert calls == []
    on = _one_step(tmp_path / "on", tiny_policy, True)
    assert len(calls) == 6   # 16 rows in micro-batches of 8, every one packed: π_old, reference, update
    for k in ("loss", "grad_norm", "kl", "entropy", "tis/weight_mean", "logprob_gap/trainer_vs_rollout"):
        assert on[k] == pytest.approx(off[k], rel=1e-4, abs=1e-6), k
