"""Videos through the prompt format: chat parts, the processor's video path, video-token accounting, rope inputs
(`mm_token_type_ids` 2 on video tokens, `second_per_grid_ts` from the clip's frame rate), row-order collation,
and the image path left exactly as it was."""

import pytest
import torch
from PIL import Image, ImageDraw

from helpers import prompt_encoder
from mmreason.errors import DataError, PromptError
from mmreason.prompts import check_video_tokens, collate_prompts
from mmreason.trainer.batch import sft_batch_of
from mmreason.types import ImagePart, Message, Sample, TextPart, VideoPart, user


def ball(x: int, size: int = 112, color="red") -> Image.Image:
    im = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(im).ellipse((x, 40, x + 20, 60), fill=color)
    return im


def clip(n: int, size: int = 112, step: int = 20):
    return [ball(5 + step * k, size) for k in range(n)]


def video_sample(sid="v", n=4, size=112, fps=None, question="Which way does the ball move?"):
    return Sample(id=sid, messages=[user(VideoPart(), question)], videos=[clip(n, size)], answer="right",
                  video_fps=[fps] if fps else [])


@pytest.fixture(scope="module")
def enc(tiny_policy):
    return prompt_encoder(tiny_policy.processor, 512)


@pytest.mark.parametrize("n,size,tokens", [(4, 112, 32), (5, 112, 48), (8, 112, 64), (8, 56, 16), (6, 84, 27)])
def test_video_tokens_per_clip_follow_the_grid(enc, n, size, tokens):
    p = enc.encode(video_sample(n=n, size=size))
    side = size // 14                                 # patches per side (sizes are multiples of 28)
    assert p.video_grid_thw.tolist() == [[(n + 1) // 2, side, side]]  # frames pair up into temporal patches
    assert p.num_video_tokens == tokens == (n + 1) // 2 * side * side // 4 and p.num_image_tokens == 0
    pad = enc.video_token_id
    assert [i for i, t in enumerate(p.input_ids) if t == pad] == [i for i, m in enumerate(p.mm_token_type_ids)
                                                                  if m == 2]
    assert p.pixel_values_videos.shape == ((n + 1) // 2 * side * side, 3 * 2 * 14 * 14)  # (patches, C·T·P·P)
    assert "<|vision_start|><|video_pad|><|vision_end|>Which way" in p.text and p.pixel_values is None


def test_the_frame_rate_sets_the_temporal_spacing(enc, tiny_policy):
    slow, fast = enc.encode(video_sample(fps=1.0)), enc.encode(video_sample(fps=4.0))
    assert slow.second_per_grid_ts.tolist() == [2.0] and fast.second_per_grid_ts.tolist() == [0.5]
    assert enc.encode(video_sample()).second_per_grid_ts.tolist() == [1.0]  # default: 2 frames/s
    model = tiny_policy.model.eval()
    ids = torch.tensor([slow.input_ids])
    pos = {}
    for name, p in (("slow", slow), ("fast", fast)):
        pos[name], _ = model.model.get_rope_index(ids, mm_token_type_ids=torch.tensor([p.mm_token_type_ids]),
                                                  video_grid_thw=p.video_grid_thw,
                                                  second_per_grid_ts=p.second_per_grid_ts)
    video = torch.tensor(slow.mm_token_type_ids) == 2
    t_slow, t_fast = pos["slow"][0, 0, video], pos["fast"][0, 0, video]
    tps = tiny_policy.model.config.vision_config.tokens_per_second
    # two temporal patches: the second starts tokens_per_second × seconds-per-patch after the first
    assert int(t_slow[-1] - t_slow[0]) == tps * 2 and int(t_fast[-1] - t_fast[0]) == tps // 2


def test_image_prompts_are_encoded_exactly_as_before(enc, tiny_policy):
    img = ball(10)
    s = Sample(id="i", messages=[user(ImagePart(), "How many?")], images=[img])
    p = enc.encode(s)
    direct = tiny_policy.processor(text=[enc.render(s)], images=[img], return_tensors="pt")
    assert p.input_ids == direct["input_ids"][0].tolist()
    assert torch.equal(p.pixel_values, direct["pixel_values"]) and p.pixel_values_videos is None
    assert p.video_grid_thw is None and p.second_per_grid_ts is None and p.videos == []
    assert set(collate_prompts([p], 0)) == {"input_ids", "attention_mask", "mm_token_type_ids", "pixel_values",
                                            "image_grid_thw"}


def test_video_token_count_is_checked(enc):
    p = enc.encode(video_sample())
    check_video_tokens(p.input_ids, p.video_grid_thw, enc.video_token_id, 2)
    cut = [t for i, t in enumerate(p.input_ids) if not (t == enc.video_token_id and i == p.input_ids.index(t))]
    with pytest.raises(PromptError, match="31 video placeholder tokens but the videos give 32"):
        check_video_tokens(cut, p.video_grid_thw, enc.video_token_id, 2, where="x")
    with pytest.raises(PromptError, match="32 video placeholder tokens but the videos give 0"):
        check_video_tokens(p.input_ids, None, enc.video_token_id, 2)


def test_long_video_prompts_are_refused_never_truncated(tiny_policy):
    small = prompt_encoder(tiny_policy.processor, 60)
    with pytest.raises(PromptError, match=r"sample 'v': prompt has \d+ tokens \(0 of them image tokens, 64 video "
                                          r"tokens\) > prompt.max_prompt_length=60.*frames per video"):
        small.encode(video_sample(n=8))


def test_samples_check_their_videos():
    with pytest.raises(DataError, match="1 video placeholders but 0 videos"):
        Sample(id="x", messages=[user(VideoPart(), "q")])
    with pytest.raises(DataError, match="non-empty list of frames"):
        Sample(id="x", messages=[user(VideoPart(), "q")], videos=[[]])
    with pytest.raises(DataError, match="one positive rate per video"):
        Sample(id="x", messages=[user(VideoPart(), "q")], videos=[clip(2)], video_fps=[0.0])
    s = Sample(id="x", messages=[user(VideoPart(), "q")], videos=[[ball(0), ball(0, size=56)]])
    with pytest.raises(DataError, match="frames of one video differ in size"):
        s.load_videos()
    with pytest.raises(DataError, match=r"/nope.png, row x, field .videos\[0\]\[1\].: image file not found"):
        Sample(id="x", messages=[user(VideoPart(), "q")], videos=[[ball(0), "/nope.png"]]).load_videos()
    assert Message("user", (TextPart("a"), VideoPart())).to_chat()["content"] == [{"type": "text", "text": "a"},
                                                                                   {"type": "video"}]


def test_mixed_batches_concatenate_pixels_in_row_order(enc, tiny_policy):
    """A batch of image, video, text and (video + image) rows gives each row the logits it gets alone: the model
    takes the next image / video grid (and frame rate) row by row, so any misordering shows here."""
    rows = [Sample(id="img", messages=[user(ImagePart(), "How many?")], images=[ball(30)]),
            video_sample("vid", n=4, fps=1.0),
            Sample(id="txt", messages=[user("What is 2 + 2?")]),
            Sample(id="both", messages=[user(VideoPart(), ImagePart(), "Compare.")], videos=[clip(6, step=14)],
                   images=[ball(60)], video_fps=[4.0])]
    prompts = [enc.encode(s) for s in rows]
    targets = [enc.encode_completion("<think>a b</think><answer>2</answer>") for _ in rows]
    batch = sft_batch_of(prompts, targets, tiny_policy.tokenizer.pad_token_id)
    inputs = batch.model_inputs()
    assert inputs["video_grid_thw"].tolist() == [[2, 8, 8], [3, 8, 8]]
    assert inputs["second_per_grid_ts"].tolist() == [2.0, 0.5] and inputs["image_grid_thw"].shape == (2, 3)
    model = tiny_policy.model.eval()
    with torch.no_grad():
        together = model(**inputs).logits[:, batch.prompt_len - 1:-1]
        for i in range(len(rows)):
            one = batch.select([i])
            alone = model(**one.model_inputs()).logits[:, one.prompt_len - 1:-1]
            n = int(batch.response_mask[i].sum())
            assert torch.allclose(together[i, :n], alone[0, :n], atol=1e-4), rows[i].id
