"""train.share_prompts: a group's rows run their common prompt (and its images) once; the logprobs, entropies,
hidden states, loss and every gradient equal the padded forward over full copies, on the tiny VLM with prompts of
different lengths, images of different sizes, a text-only prompt and responses of different lengths."""

import copy

import pytest
import torch
from PIL import Image

from helpers import clipped_loss_and_grads, prompt_encoder, scripted_rl_step
from mmreason.config import load_config
from mmreason.errors import ConfigError
from mmreason.model import load_policy
from mmreason.trainer.batch import sft_batch_of
from mmreason.trainer.logprobs import batched_logprobs, forward_response
from mmreason.trainer.shared_prompt import share_plan, shared_prompt_forward
from mmreason.types import ImagePart, Sample, user

ATOL = 1e-5
RESPONSES = ["<think>" + " ".join(["count them one by one"] * 6) + "</think><answer>3</answer>", "3",
             "<think>a a</think><answer>1</answer>", "<answer>yellow</answer>"]


@pytest.fixture(scope="module")
def case(tiny_model_dir):
    """A fresh fp32 tiny policy and 10 rows over 3 distinct prompts (an image prompt, a text-only prompt, a prompt
    with two images of other sizes), interleaved, with responses of 1 to ~40 tokens."""
    policy = load_policy(tiny_model_dir)
    enc = prompt_encoder(policy.processor)
    samples = [
        Sample(id="img", messages=[user(ImagePart(), "How many circles are there, counting every one?")],
               images=[Image.new("RGB", (112, 112), "red")], answer="3"),
        Sample(id="text", messages=[user("Say 2.")], answer="2"),
        Sample(id="two", messages=[user("Two", ImagePart(), "images", ImagePart())],
               images=[Image.new("RGB", (84, 56), "green"), Image.new("RGB", (56, 56), "white")], answer="4"),
    ]
    prompts = [enc.encode(s) for s in samples]
    owners = [0, 1, 0, 2, 1, 0, 2, 0, 1, 2]
    targets = [enc.encode_completion(RESPONSES[i % len(RESPONSES)]) for i in range(len(owners))]
    batch = sft_batch_of([prompts[o] for o in owners], targets, policy.processor.tokenizer.pad_token_id)
    policy.model.train()
    return policy.model, enc, batch, owners


def test_the_case_has_padding_on_both_sides_and_shared_prompts(case):
    _, _, batch, owners = case
    prompt_lens = batch.attention_mask[:, :batch.prompt_len].sum(1)
    assert len(set(prompt_lens.tolist())) == 3                       # left padding in the prompt part
    assert len(set(batch.response_mask.sum(1).tolist())) == 4         # right padding in the response part
    reps, owner = share_plan(batch.prompts)
    assert reps == [0, 1, 3] and owner.tolist() == owners


def test_no_plan_when_no_prompt_is_shared(case):
    _, _, batch, _ = case
    assert share_plan([batch.prompts[0], batch.prompts[1], batch.prompts[3]]) is None
    a, b = copy.copy(batch.prompts[0]), copy.copy(batch.prompts[0])   # equal content, different objects
    assert share_plan([a, b]) is None


def test_shared_outputs_equal_the_padded_outputs(case):
    model, enc, batch, _ = case
    with torch.no_grad():
        want = forward_response(model, batch, with_entropy=True, with_hidden=True, image_token_id=enc.image_token_id)
        got = shared_prompt_forward(model, batch, "cpu", with_entropy=True, with_hidden=True)
    assert got is not None                                            # the shared path ran (no silent fallback)
    valid = batch.response_mask.bool()
    assert valid.sum() > 100
    for w, g in zip(want, got):
        assert g.shape == w.shape
        assert torch.allclose(g[valid], w[valid], atol=ATOL, rtol=0)


def test_each_distinct_prompt_and_image_runs_once(case):
    """The vision tower sees the 3 distinct images once each (not 13 copies); the language model sees the distinct
    prompts once plus every response: U·Tp + B·Tr tokens instead of B·(Tp + Tr)."""
    model, _, batch, _ = case
    seen = {"patches": 0, "tokens": 0}

    def count_patches(module, args, kwargs):
        seen["patches"] += len(args[0] if args else kwargs["hidden_states"])

    def count_tokens(module, args, kwargs):
        seen["tokens"] += kwargs["inputs_embeds"].shape[:2].numel()

    visual = next(m for n, m in model.named_modules() if n.endswith("visual"))
    lm = next(m for n, m in model.named_modules() if n.endswith("language_model"))
    hooks = [visual.register_forward_pre_hook(count_patches, with_kwargs=True),
             lm.register_forward_pre_hook(count_tokens, with_kwargs=True)]
    try:
        with torch.no_grad():
            shared_prompt_forward(model, batch, "cpu")
        shared = dict(seen)
        seen.update(patches=0, tokens=0)
        with torch.no_grad():
            forward_response(model, batch)
    finally:
        for h in hooks:
            h.remove()
    distinct_patches = sum(int(p.pixel_values.shape[0]) for p in (batch.prompts[0], batch.prompts[3]))
    B, Tp, Tr = len(batch), batch.prompt_len, batch.input_ids.shape[1] - batch.prompt_len
    assert shared["patches"] == distinct_patches < seen["patches"]
    assert shared["tokens"] == 3 * Tp + B * Tr and seen["tokens"] == B * (Tp + Tr)


def _loss_and_grads(model, batch, enc, share):
    model.zero_grad(set_to_none=True)
    if share:
        out = shared_prompt_forward(model, batch, "cpu")
        assert out is not None                                        # the shared path ran (no silent fallback)
        lp = out[0]
    else:
        lp, _, _ = forward_response(model, batch, image_token_id=enc.image_token_id)
    return clipped_loss_and_grads(model, lp, batch.response_mask)


def test_loss_and_every_gradient_equal_the_padded_ones(case):
    model, enc, batch, _ = case
    loss_pad, grads_pad = _loss_and_grads(model, batch, enc, share=False)
    loss_shared, grads_shared = _loss_and_grads(model, batch, enc, share=True)
    model.zero_grad(set_to_none=True)
    assert torch.allclose(loss_shared, loss_pad, atol=ATOL, rtol=0)
    assert grads_pad.keys() == grads_shared.keys() and len(grads_pad) == len(list(model.parameters()))
    for name, g in grads_pad.items():
        assert torch.allclose(grads_shared[name], g, atol=ATOL, rtol=1e-4), name


def test_batched_logprobs_with_shared_prompts_equal_the_padded_ones(case, monkeypatch):
    import mmreason.trainer.logprobs as logprobs_module

    model, enc, batch, _ = case
    want = batched_logprobs(model, batch, 4, image_token_id=enc.image_token_id, share_prompts=False)
    ran = []
    real = logprobs_module.shared_prompt_forward
    monkeypatch.setattr(logprobs_module, "shared_prompt_forward", lambda *a, **k: ran.append(1) or real(*a, **k))
    got = batched_logprobs(model, batch, 4, image_token_id=enc.image_token_id, share_prompts=True)
    assert len(ran) == 3                                              # 10 rows in micro-batches of 4
    valid = batch.response_mask.bool()
    assert torch.allclose(got[valid], want[valid], atol=ATOL, rtol=0)


def test_gradient_checkpointing_falls_back_to_the_padded_forward(tiny_model_dir):
    policy = load_policy(tiny_model_dir)
    enc = prompt_encoder(policy.processor)
    p = enc.encode(Sample(id="t", messages=[user("Say 2.")], answer="2"))
    batch = sft_batch_of([p, p], [enc.encode_completion("<answer>2</answer>")] * 2,
                         policy.processor.tokenizer.pad_token_id)
    policy.model.gradient_checkpointing_enable()
    policy.model.train()
    assert shared_prompt_forward(policy.model, batch, "cpu") is None          # training: no cache to share
    with torch.no_grad():                                                   # no gradient: the cache is kept
        assert shared_prompt_forward(policy.model, batch, "cpu") is not None
    lp = batched_logprobs(policy.model, batch, 2, share_prompts=True)
    assert torch.isfinite(lp[batch.response_mask.bool()]).all()


def test_packing_takes_precedence_and_models_without_mrope_run_padded(case, monkeypatch):
    import mmreason.trainer.logprobs as logprobs_module
    import mmreason.trainer.shared_prompt as shared_module

    model, enc, batch, _ = case
    ran = []
    real = logprobs_module.shared_prompt_forward
    monkeypatch.setattr(logprobs_module, "shared_prompt_forward", lambda *a, **k: ran.append(1) or real(*a, **k))
    forward_response(model, batch, image_token_id=enc.image_token_id, packing=True, share_prompts=True)
    assert ran == []                          # packing decides per micro-batch: never mixed with sharing
    monkeypatch.setattr(shared_module, "rope_owner", lambda m: None)
    assert shared_prompt_forward(model, batch, "cpu") is None


def test_the_option_defaults_on_and_is_validated():
    assert load_config(None, []).train.share_prompts is True
    assert load_config(None, ["train.share_prompts=false"]).train.share_prompts is False
    cfg = load_config(None, [])
    cfg.train.share_prompts = "yes"
    with pytest.raises(ConfigError, match="train.share_prompts"):
        cfg.train.validate("train")


def _one_step(tmp_path, tiny_policy, share):
    return scripted_rl_step(tmp_path, tiny_policy, ["train.minibatches=2", f"train.share_prompts={share}"],
                            words_per_prompt=5)


def test_an_rl_step_with_shared_prompts_matches_the_padded_step(tmp_path, tiny_policy, monkeypatch):
    """π_old (tis_cap), the reference (kl_beta) and the update (two minibatches) all share their prompts."""
    import mmreason.trainer.logprobs as logprobs_module

    calls = []
    real = logprobs_module.shared_prompt_forward

    def counting(*a, **k):
        out = real(*a, **k)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(logprobs_module, "shared_prompt_forward", counting)
    off = _one_step(tmp_path / "off", tiny_policy, False)
    assert calls == []
    on = _one_step(tmp_path / "on", tiny_policy, True)
    assert len(calls) == 6 and all(calls)   # 16 rows in micro-batches of 8: π_old, reference, update
    for k in ("loss", "grad_norm", "kl", "entropy", "tis/weight_mean", "logprob_gap/trainer_vs_rollout"):
        assert on[k] == pytest.approx(off[k], rel=1e-4, abs=1e-6), k
