"""The embedded tiny VLM: determinism, offline reload, generation with an image, image-token accounting."""

import hashlib
from pathlib import Path

import pytest
import torch
from PIL import Image, ImageDraw

from mmreason.errors import ModelError, PromptError
from mmreason.model import is_hub_id, load_policy, prepare_model, vision_tower
from helpers import prompt_encoder
from mmreason.rewards import AnswerFormat
from mmreason.prompts import check_image_tokens, collate_prompts
from mmreason.tiny_model import init_model
from mmreason.types import ImagePart, Sample, user


def digest(d: Path) -> dict:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(d.iterdir())}


def shape_image(n=2):
    img = Image.new("RGB", (112, 112), "white")
    d = ImageDraw.Draw(img)
    for i in range(n):
        d.ellipse((10 + 30 * i, 20, 30 + 30 * i, 40), fill="red")
    return img


def test_same_seed_identical_files_other_seed_other_weights(tmp_path, tiny_model_dir):
    a = init_model(tmp_path / "a", seed=0)
    b = init_model(tmp_path / "b", seed=1)
    assert digest(a) == digest(Path(tiny_model_dir))
    da, db = digest(a), digest(b)
    assert da["model.safetensors"] != db["model.safetensors"]
    assert da["tokenizer.json"] == db["tokenizer.json"]
    with pytest.raises(Exception, match="already exists"):
        init_model(tmp_path / "a")


def test_reloads_offline_with_auto_classes(tiny_model_dir):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    proc = AutoProcessor.from_pretrained(tiny_model_dir)
    model = AutoModelForImageTextToText.from_pretrained(tiny_model_dir)
    assert proc.image_processor is not None and type(proc).__name__ == "Qwen2_5_VLProcessor"
    cfg = model.config
    tok = proc.tokenizer
    assert cfg.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
    assert cfg.vision_start_token_id == tok.convert_tokens_to_ids("<|vision_start|>")
    assert 400_000 < sum(p.numel() for p in model.parameters()) < 1_000_000
    assert tok.decode(tok("How many circles? 12")["input_ids"]) == "How many circles? 12"


def test_generate_with_an_image(tiny_policy):
    enc = prompt_encoder(tiny_policy.processor, 512)
    s = Sample(id="s", messages=[user(ImagePart(), "How many shapes?")], images=[shape_image()], answer="2")
    p = enc.encode(s)
    assert p.num_image_tokens == 16  # 112×112 → 8×8 patches → 16 merged tokens
    batch = collate_prompts([p, p], tiny_policy.tokenizer.pad_token_id)
    torch.manual_seed(0)
    out = tiny_policy.model.generate(**batch, do_sample=True, max_new_tokens=8, pad_token_id=0)
    assert out.shape[0] == 2 and out.shape[1] > batch["input_ids"].shape[1]


def test_prompt_rendering_r1_and_system(tiny_policy):
    enc = prompt_encoder(tiny_policy.processor, 512, system_prompt="You are careful.")
    fmt = AnswerFormat("r1")
    s = Sample(id="s", messages=[user(ImagePart(), "How many shapes?")], images=[shape_image()])
    text = enc.render(s)
    assert text.startswith("<|im_start|>system\nYou are careful.<|im_end|>")
    assert "<|vision_start|><|image_pad|><|vision_end|>How many shapes?\nThink step by step inside <think>" in text
    assert text.endswith("<|im_start|>assistant\n")
    assert fmt.target("3", "2 + 1 = 3") == "<think>2 + 1 = 3</think><answer>3</answer>"
    plain = AnswerFormat(template="plain", answer_tag="ans")
    assert plain.target("3") == "<ans>3</ans>" and "<ans>" in plain.instruction


def test_image_token_mismatch_is_caught(tiny_policy):
    enc = prompt_encoder(tiny_policy.processor, 512)
    p = enc.encode(Sample(id="s", messages=[user(ImagePart(), "q")], images=[shape_image()]))
    ids = list(p.input_ids)
    ids.remove(enc.image_token_id)  # as if a prompt had been truncated through its image tokens
    with pytest.raises(PromptError, match="15 image placeholder tokens but the images give 16"):
        check_image_tokens(ids, p.image_grid_thw, enc.image_token_id, enc.merge_size)
    check_image_tokens(p.input_ids, p.image_grid_thw, enc.image_token_id, enc.merge_size)  # the real one passes


def test_training_forward_refuses_mismatched_batch(tiny_policy):
    from mmreason.trainer.batch import rollout_batch
    from mmreason.trainer.logprobs import response_logprobs
    from mmreason.types import Completion

    enc = prompt_encoder(tiny_policy.processor, 512)
    p = enc.encode(Sample(id="s", messages=[user(ImagePart(), "q")], images=[shape_image()]))
    pad = enc.image_token_id
    batch = rollout_batch([p], [[Completion(token_ids=[pad, 100], text="")]], tiny_policy.tokenizer.pad_token_id)
    with pytest.raises(PromptError, match="17 image placeholder tokens"):
        response_logprobs(tiny_policy.model, batch, image_token_id=enc.image_token_id, merge_size=2)


def test_long_prompt_refused_not_truncated(tiny_policy):
    enc = prompt_encoder(tiny_policy.processor, 40)
    s = Sample(id="long1", messages=[user(ImagePart(), "How many shapes? " * 20)], images=[shape_image()])
    with pytest.raises(PromptError, match=r"sample 'long1': prompt has \d+ tokens \(16 of them image tokens\) > "
                                          r"prompt.max_prompt_length=40"):
        enc.encode(s)


def test_model_dir_errors(tmp_path, tiny_model_dir):
    with pytest.raises(ModelError, match="model directory not found"):
        load_policy(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="no config.json"):
        load_policy(str(tmp_path / "empty"))
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in Path(tiny_model_dir).iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    (broken / "model.safetensors").write_bytes(b"\0" * 100)
    with pytest.raises(ModelError, match="cannot load the model"):
        load_policy(str(broken))
    assert is_hub_id("Qwen/Qwen2.5-VL-3B-Instruct") and not is_hub_id(str(tmp_path)) and not is_hub_id("./x/y")


def test_freeze_vision_and_lora(tiny_model_dir):
    from mmreason.config import ModelConfig

    pol = load_policy(tiny_model_dir)
    prepare_model(pol, ModelConfig(freeze_vision=True))
    tower = vision_tower(pol.model)
    assert tower is not None and not any(p.requires_grad for p in tower.parameters())
    assert any(p.requires_grad for n, p in pol.model.named_parameters() if "visual" not in n)
