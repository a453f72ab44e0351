"""The transformers engine with video prompts: its logprobs equal the trainer's forward (video grids, frame rates
and video token types included), and video placeholders are never sampled."""

import copy

import pytest
import torch
from PIL import Image, ImageDraw

from helpers import prompt_encoder
from mmreason.model import Policy
from mmreason.prompts import collate_prompts
from mmreason.rollout import SamplingParams, make_engine
from mmreason.trainer.batch import rollout_batch
from mmreason.trainer.logprobs import response_logprobs
from mmreason.types import ImagePart, Sample, VideoPart, user


def frames(n: int, dx: int, dy: int, color="red"):
    out = []
    for k in range(n):
        im = Image.new("RGB", (112, 112), "white")
        x, y = 20 + dx * k, 20 + dy * k
        ImageDraw.Draw(im).ellipse((x, y, x + 22, y + 22), fill=color)
        out.append(im)
    return out


def samples():
    img = Image.new("RGB", (112, 112), "white")
    ImageDraw.Draw(img).rectangle((30, 30, 60, 60), fill="blue")
    return [Sample(id="right", messages=[user(VideoPart(), "Which way does the ball move?")],
                   videos=[frames(4, 20, 0)], video_fps=[4.0]),
            Sample(id="img", messages=[user(ImagePart(), "How many?")], images=[img]),
            Sample(id="down", messages=[user(VideoPart(), "Which way? Answer with one word.")],
                   videos=[frames(5, 0, 15, "green")]),
            Sample(id="text", messages=[user("What is 2 + 2?")])]


@pytest.fixture(scope="module")
def setup(tiny_policy):
    enc = prompt_encoder(tiny_policy.processor, 512)
    return tiny_policy, enc, [enc.encode(s) for s in samples()]


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_engine_logprobs_match_the_training_forward_on_video_prompts(setup, temperature):
    policy, enc, prompts = setup
    engine = make_engine("hf", policy, batch_size=6)   # 4 prompts × 3 over two generate calls, mixed kinds
    torch.manual_seed(2)
    out = engine.generate(prompts, SamplingParams(n=3, max_new_tokens=10, temperature=temperature))
    batch = rollout_batch(prompts, out, policy.tokenizer.pad_token_id)
    assert batch.mm_token_type_ids.eq(2).sum() == 3 * (32 + 48)   # video tokens of the two clips, 3 rows each
    with torch.no_grad():
        lp, _ = response_logprobs(policy.model, batch, temperature=temperature, image_token_id=enc.image_token_id,
                                  merge_size=2)
    mask = batch.response_mask
    gap = ((lp - batch.rollout_logprobs).abs() * mask).max()
    assert gap < 1e-4, f"trainer vs rollout logprob gap {gap}"
    # the parity is not vacuous: dropping the frame rates or the video token types moves the trainer's logprobs
    for drop in ("second_per_grid_ts", "mm_token_type_ids"):
        bad = copy.copy(batch)
        if drop == "second_per_grid_ts":
            bad.prompts = [copy.copy(p) for p in batch.prompts]
            for p in bad.prompts:
                p.second_per_grid_ts = None
        else:
            bad.mm_token_type_ids = batch.mm_token_type_ids.masked_fill(batch.mm_token_type_ids == 2, 0)
        with torch.no_grad():
            lp_bad, _ = response_logprobs(policy.model, bad, temperature=temperature)
        assert ((lp_bad - lp).abs() * mask).max() > 1e-3, drop


def test_video_placeholders_are_never_sampled(setup):
    policy, enc, prompts = setup
    model = copy.deepcopy(policy.model)
    pad = enc.video_token_id
    with torch.no_grad():  # tied embeddings: a large constant row makes <|video_pad|> the likeliest next token
        model.get_input_embeddings().weight[pad].fill_(5.0)
    biased = Policy(model=model, processor=policy.processor)
    video_only = [p for p in prompts if p.videos]
    free = model.generate(**collate_prompts(video_only[:1], 0), do_sample=False, max_new_tokens=6, pad_token_id=0)
    assert (free[0, -6:] == pad).any(), "without the ban the biased model emits <|video_pad|>"
    out = make_engine("hf", biased).generate(video_only, SamplingParams(n=4, max_new_tokens=6))
    assert pad in biased.banned_token_ids()
    assert not any(pad in c.token_ids for g in out for c in g)
    assert all(len(c.token_ids) > 0 for g in out for c in g)
