"""The transformers rollout engine: grouping, left padding, logprobs, finish reasons, banned vision tokens."""

import copy

import pytest
import torch
from PIL import Image, ImageDraw

from mmreason.model import Policy
from helpers import prompt_encoder
from mmreason.prompts import collate_prompts
from mmreason.rollout import SamplingParams, make_engine
from mmreason.errors import ConfigError
from mmreason.rollout import ENGINES
from mmreason.trainer.batch import rollout_batch
from mmreason.trainer.logprobs import response_logprobs
from mmreason.types import ImagePart, Sample, user


def samples():
    out = []
    for i, q in enumerate(["How many?", "How many shapes are in the image? Count carefully please."]):
        img = Image.new("RGB", (112, 112), "white")
        ImageDraw.Draw(img).ellipse((10, 10, 40 + 10 * i, 40), fill="red")
        out.append(Sample(id=f"s{i}", messages=[user(ImagePart(), q)], images=[img], answer="1"))
    out.append(Sample(id="text", messages=[user("What is 2 + 2?")], answer="4"))  # text-only row in the same batch
    return out


@pytest.fixture(scope="module")
def setup(tiny_policy):
    enc = prompt_encoder(tiny_policy.processor, 512)
    return tiny_policy, enc, [enc.encode(s) for s in samples()]


def test_groups_of_g_with_logprobs_and_finish_reasons(setup):
    policy, enc, prompts = setup
    engine = make_engine("hf", policy, batch_size=5)  # 3 prompts × G=4 = 12 sequences over 3 generate calls
    torch.manual_seed(0)
    out = engine.generate(prompts, SamplingParams(n=4, max_new_tokens=10))
    assert [len(g) for g in out] == [4, 4, 4]
    stop = set(policy.stop_token_ids())
    for group in out:
        for c in group:
            assert 1 <= len(c.token_ids) <= 10 and len(c.logprobs) == len(c.token_ids)
            assert all(lp <= 0 for lp in c.logprobs)
            if c.finish_reason == "stop":
                assert c.token_ids[-1] in stop
            else:
                assert len(c.token_ids) == 10 and not stop & set(c.token_ids)


def test_left_padding_gives_the_same_greedy_output_as_alone(setup):
    policy, enc, prompts = setup
    engine = make_engine("hf", policy, batch_size=8)
    greedy = SamplingParams(n=1, temperature=0.0, max_new_tokens=8)
    batched = [g[0].token_ids for g in engine.generate(prompts, greedy)]
    alone = [engine.generate([p], greedy)[0][0].token_ids for p in prompts]
    assert batched == alone


def test_engine_logprobs_match_the_training_forward(setup):
    policy, enc, prompts = setup
    engine = make_engine("hf", policy)
    torch.manual_seed(1)
    out = engine.generate(prompts, SamplingParams(n=2, max_new_tokens=8))
    batch = rollout_batch(prompts, out, policy.tokenizer.pad_token_id)
    with torch.no_grad():
        lp, _ = response_logprobs(policy.model, batch, image_token_id=enc.image_token_id, merge_size=2)
    gap = ((lp - batch.rollout_logprobs).abs() * batch.response_mask).max()
    assert gap < 1e-4, f"trainer vs rollout logprob gap {gap}"


def test_vision_placeholders_are_never_sampled(setup):
    policy, enc, prompts = setup
    model = copy.deepcopy(policy.model)
    pad = enc.image_token_id
    with torch.no_grad():  # tied embeddings: a large constant row makes <|image_pad|> the likeliest next token
        model.get_input_embeddings().weight[pad].fill_(5.0)
    biased = Policy(model=model, processor=policy.processor)
    free = model.generate(**collate_prompts(prompts[:1], 0), do_sample=False, max_new_tokens=6, pad_token_id=0)
    assert (free[0, -6:] == pad).any(), "without the ban the biased model emits <|image_pad|>"
    out = make_engine("hf", biased).generate(prompts, SamplingParams(n=3, max_new_tokens=6))
    banned = set(biased.banned_token_ids())
    assert pad in banned
    assert not any(banned & set(c.token_ids) for g in out for c in g)


def test_engines_are_registered_classes_that_know_whether_they_need_weights(setup):
    policy, enc, prompts = setup
    assert {"hf", "vllm"} <= set(ENGINES.names())
    shared = make_engine("hf", policy)
    assert not shared.needs_weight_sync and shared.model is policy.model          # generates with the trainer's module
    own = make_engine("hf", policy, separate_weights=True)                          # e.g. under ZeRO-3
    assert own.needs_weight_sync and own.model is not policy.model
    with torch.no_grad():
        changed = {n: p + 0.01 for n, p in policy.model.named_parameters()}
    own.load_weights(changed.items())                                              # the push reaches the copy only
    assert all(torch.equal(dict(own.model.named_parameters())[n], t) for n, t in changed.items())
    assert not any(torch.equal(p, changed[n]) for n, p in policy.model.named_parameters())
    with pytest.raises(ConfigError, match="engine 'hf' does not take \\['batchsize'\\]; valid options: batch_size"):
        make_engine("hf", policy, batchsize=8)
    with pytest.raises(Exception, match="did you mean 'vllm'"):
        make_engine("vlm", policy)


def test_a_stop_string_ends_the_completion_without_tokens_the_policy_never_sampled(setup):
    policy, enc, prompts = setup
    engine = make_engine("hf", policy)
    torch.manual_seed(3)
    free = engine.generate(prompts[:1], SamplingParams(n=8, max_new_tokens=12))[0]
    # a stop string made of the first two characters some completion actually wrote
    text = next(c.text for c in free if len(c.text.strip()) >= 3).strip()
    stop = text[:2]
    torch.manual_seed(3)
    cut = engine.generate(prompts[:1], SamplingParams(n=8, max_new_tokens=12, stop=(stop,)))[0]
    pad = policy.tokenizer.pad_token_id
    hits = [c for c in cut if stop in c.text]
    assert hits, "the stop string never appeared"
    for c in hits:
        assert c.finish_reason == "stop" and c.text.rstrip().endswith(stop.rstrip()) or c.text.endswith(stop)
        # the last token is the one that completed the stop string: no pad forced after it
        assert c.token_ids[-1] != pad and stop in policy.tokenizer.decode(c.token_ids, skip_special_tokens=True)
        assert stop not in policy.tokenizer.decode(c.token_ids[:-1], skip_special_tokens=True)
        assert len(c.logprobs) == len(c.token_ids)


def test_the_checkpoints_generation_defaults_do_not_change_what_is_sampled(setup):
    policy, enc, prompts = setup
    model = copy.deepcopy(policy.model)
    model.generation_config.top_k = 1                    # a released checkpoint's defaults, e.g. greedy-ish …
    model.generation_config.repetition_penalty = 5.0     # … and a repetition penalty
    engine = make_engine("hf", Policy(model=model, processor=policy.processor))
    torch.manual_seed(0)
    out = engine.generate(prompts[:1], SamplingParams(n=16, temperature=1.0, max_new_tokens=10))[0]
    assert len({tuple(c.token_ids) for c in out}) > 1    # top_k=1 leaking in would make all 16 identical
    assert model.generation_config.top_k == 1            # the checkpoint's own config is left as it was
    kw = engine._gen_kwargs(SamplingParams(temperature=1.0, top_k=0))
    assert kw["top_k"] == 0 and kw["top_p"] == 1.0       # top_k 0 means off, passed explicitly (not a default of 50)
