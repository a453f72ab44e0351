"""The HF engine's shared-prefill decode: each prompt prefilled once, its G samples decoding from its cache, gives
what transformers `generate` on G copies gives (same tokens and logprobs for the same random stream), with the
vision tower run once per prompt."""

import math

import pytest
import torch
from PIL import Image, ImageDraw

from helpers import prompt_encoder
from mmreason.rollout import SamplingParams, make_engine
from mmreason.rollout.shared_decode import filter_logits
from mmreason.types import ImagePart, Sample, user


@pytest.fixture(scope="module")
def setup(tiny_policy):
    """Prompts of three lengths (left padding), images of two sizes and a text-only prompt."""
    enc = prompt_encoder(tiny_policy.processor, 512)
    samples = []
    for i, (q, size) in enumerate([("How many?", (112, 112)), ("How many shapes? Count carefully please.", (84, 56))]):
        img = Image.new("RGB", size, "white")
        ImageDraw.Draw(img).ellipse((10, 10, 30 + 10 * i, 40), fill="red")
        samples.append(Sample(id=f"s{i}", messages=[user(ImagePart(), q)], images=[img], answer="1"))
    samples.append(Sample(id="text", messages=[user("What is 2 + 2? Answer with a number.")], answer="4"))
    prompts = [enc.encode(s) for s in samples]
    assert len({len(p.input_ids) for p in prompts}) == 3
    return tiny_policy, prompts


SETTINGS = [SamplingParams(n=1, temperature=0.0, max_new_tokens=12),
            SamplingParams(n=4, temperature=0.0, max_new_tokens=12),
            SamplingParams(n=4, temperature=1.0, max_new_tokens=24),
            SamplingParams(n=3, temperature=0.7, top_p=0.9, top_k=20, max_new_tokens=24)]


@pytest.mark.parametrize("sampling", SETTINGS, ids=["greedy", "greedy_g4", "t1", "t07_topk_topp"])
def test_shared_decode_equals_generate_on_copies(setup, sampling):
    policy, prompts = setup
    shared, copies = make_engine("hf", policy), make_engine("hf", policy, share_prefill=False)
    # the untrained model seldom ends a turn: a token it samples often also stops, so rows finish at different steps
    torch.manual_seed(0)
    sampled = [t for g in copies.generate(prompts, sampling) for c in g for t in c.token_ids[1:]]
    frequent = max(set(sampled), key=sampled.count)
    for engine in (shared, copies):
        engine.stop_ids = list(engine.stop_ids) + [frequent]
    torch.manual_seed(3)
    a = shared.generate(prompts, sampling)
    torch.manual_seed(3)
    b = copies.generate(prompts, sampling)
    assert [len(g) for g in a] == [sampling.n] * 3
    for ga, gb in zip(a, b):
        for x, y in zip(ga, gb):
            assert x.token_ids == y.token_ids and x.finish_reason == y.finish_reason
            assert x.logprobs == pytest.approx(y.logprobs, abs=1e-5)
    assert "stop" in {c.finish_reason for g in a for c in g}
    assert len({len(c.token_ids) for g in a for c in g}) > 1     # rows finish at different steps


def test_the_vision_tower_runs_once_per_prompt(setup):
    policy, prompts = setup
    seen = []

    def count(module, args, kwargs):
        seen.append(len(args[0] if args else kwargs["hidden_states"]))

    visual = next(m for n, m in policy.model.named_modules() if n.endswith("visual"))
    hook = visual.register_forward_pre_hook(count, with_kwargs=True)
    try:
        make_engine("hf", policy).generate(prompts, SamplingParams(n=8, max_new_tokens=4))
        shared = sum(seen)
        seen.clear()
        make_engine("hf", policy, share_prefill=False).generate(prompts, SamplingParams(n=8, max_new_tokens=4))
    finally:
        hook.remove()
    patches = sum(int(p.pixel_values.shape[0]) for p in prompts if p.pixel_values is not None)
    assert shared == patches and sum(seen) == 8 * patches


def test_filter_logits_by_hand():
    scores = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    # top-k 2 keeps the two largest
    assert filter_logits(scores, SamplingParams(top_k=2)).isinf().tolist() == [[True, True, False, False]]
    # probabilities e^i / Σ: 0.032, 0.087, 0.237, 0.644; top-p 0.85 keeps the smallest set reaching 0.85: {3, 2}
    p = [math.exp(i) / sum(math.exp(j) for j in range(4)) for i in range(4)]
    assert p[3] < 0.85 <= p[3] + p[2]
    assert filter_logits(scores, SamplingParams(top_p=0.85)).isinf().tolist() == [[True, True, False, False]]
    # top-p 0.5: the most likely token alone already reaches it
    assert filter_logits(scores, SamplingParams(top_p=0.5)).isinf().tolist() == [[True, True, True, False]]
    # temperature 2 halves the scores before filtering
    assert filter_logits(scores, SamplingParams(temperature=2.0)).tolist() == [[0.0, 0.5, 1.0, 1.5]]


def test_stop_strings_use_generate(setup, monkeypatch):
    import mmreason.rollout.hf_engine as hf_engine

    policy, prompts = setup
    called = []
    monkeypatch.setattr(hf_engine, "sample_shared", lambda *a, **k: called.append(1))
    torch.manual_seed(0)
    out = make_engine("hf", policy).generate(prompts, SamplingParams(n=2, max_new_tokens=6, stop=("zzz",)))
    assert called == [] and [len(g) for g in out] == [2, 2, 2]


def test_a_preallocated_cache_layer_grows_as_the_dynamic_one():
    from transformers.cache_utils import DynamicCache

    from mmreason.rollout.shared_decode import preallocate

    gen = torch.Generator().manual_seed(0)
    first = [torch.randn(2, 1, 3, 4, generator=gen) for _ in range(2)]
    steps = [[torch.randn(2, 1, 1, 4, generator=gen) for _ in range(2)] for _ in range(3)]
    plain, buffered = DynamicCache(), DynamicCache()
    for cache in (plain, buffered):
        cache.update(*first, layer_idx=0)
    preallocate(buffered, capacity=6)
    assert type(buffered.layers[0]).__name__ == "_PreallocatedLayer"
    for k, v in steps:
        want, got = plain.update(k, v, layer_idx=0), buffered.update(k, v, layer_idx=0)
        assert all(torch.equal(a, b) for a, b in zip(want, got))
        assert buffered.get_seq_length() == plain.get_seq_length()
    assert buffered.get_seq_length() == 6


def test_a_model_without_multimodal_rope_uses_generate(setup, monkeypatch):
    import mmreason.rollout.hf_engine as hf_engine

    policy, prompts = setup
    called = []
    monkeypatch.setattr(hf_engine, "rope_owner", lambda model: None)
    monkeypatch.setattr(hf_engine, "sample_shared", lambda *a, **k: called.append(1))
    out = make_engine("hf", policy).generate(prompts, SamplingParams(n=2, max_new_tokens=4))
    assert called == [] and [len(g) for g in out] == [2, 2, 2]
