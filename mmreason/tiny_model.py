"""Build the embedded default policy: a Qwen2.5-VL-architecture model with random weights, a byte-level BPE
tokenizer trained locally (Qwen special tokens, chat template) and a real Qwen2.5-VL processor.

Nothing is downloaded. The directory loads offline with AutoModelForImageTextToText / AutoProcessor.
Same seed → byte-identical files.
"""

from __future__ import annotations

import itertools
import os
import random
from dataclasses import dataclass
from pathlib import Path

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                  "<|image_pad|>", "<|video_pad|>"]

# Qwen-style chat template over typed content parts; images become <|vision_start|><|image_pad|><|vision_end|>
# and videos <|vision_start|><|video_pad|><|vision_end|> (the processor expands the single pad into one token per
# merged patch: per image (h/28)·(w/28); per video ceil(frames/2)·(h/28)·(w/28)).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass(frozen=True)
class TinySpec:
    vocab_size: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    mrope_section: tuple[int, int, int]  # must sum to head_dim / 2
    vision_hidden: int
    vision_depth: int
    vision_heads: int
    vision_intermediate: int
    min_pixels: int
    max_pixels: int


SIZES = {
    # ~0.6M parameters: learns the demo's puzzles on two CPU cores in minutes.
    "tiny": TinySpec(vocab_size=1024, hidden=128, layers=2, heads=4, kv_heads=2, intermediate=256,
                     mrope_section=(4, 6, 6), vision_hidden=64, vision_depth=2, vision_heads=4,
                     vision_intermediate=128, min_pixels=56 * 56, max_pixels=112 * 112),
    # ~4M parameters: for benchmarks and DeepSpeed checks.
    "small": TinySpec(vocab_size=2048, hidden=256, layers=4, heads=4, kv_heads=2, intermediate=768,
                      mrope_section=(8, 12, 12), vision_hidden=128, vision_depth=4, vision_heads=4,
                      vision_intermediate=384, min_pixels=56 * 56, max_pixels=224 * 224),
}

_WORDS = ("the a an of in on at to is are be and or not with what which how many much there this that image "
          "picture shown show count number answer question think step so total left right above below "
          "between inside outside top bottom red green blue yellow orange purple gray black white brown pink "
          "circle circles square squares triangle triangles star stars shape shapes object objects dot dots "
          "bar bars chart line grid row column cell cells pattern missing next clock time hour hours minute "
          "minutes maze path start end wall digit digits sum difference product plus minus times divided "
          "equal equals larger smaller largest smallest tallest shortest most least color colour colors "
          "area angle degrees side sides length width height text word words read write transcribe table "
          "value values first second third last final option options choose correct because therefore "
          "then each all none some one two three four five six seven eight nine ten zero").split()
_TAGS = ["<think>", "</think>", "<answer>", "</answer>", "\\boxed{", "\\frac{", "\\sqrt{", "\\pi", "\\cdot"]


def _corpus(seed: int) -> list[str]:
    """A deterministic local corpus: words, numbers, tags and math so merges cover what prompts contain."""
    rng = random.Random(f"mmreason-tokenizer-{seed}")
    lines = [" ".join(_WORDS), " ".join(_TAGS), "0 1 2 3 4 5 6 7 8 9 + - * / = ( ) [ ] { } < > . , ; : ? ! % $ ^ _"]
    for _ in range(3000):
        n = rng.randint(4, 16)
        parts = []
        for _ in range(n):
            r = rng.random()
            if r < 0.75:
                w = rng.choice(_WORDS)
                parts.append(w.capitalize() if rng.random() < 0.1 else w)
            elif r < 0.9:
                parts.append(str(rng.randint(0, 999)))
            else:
                parts.append(rng.choice(_TAGS + ["=", "+", "-", "?", ".", ","]))
        lines.append(" ".join(parts))
    for a, b in itertools.product(range(13), range(13)):
        lines.append(f"{a} + {b} = {a + b}")
    return lines


def train_tokenizer(vocab_size: int, seed: int = 0):
    """Byte-level BPE with individual digits and the Qwen special tokens, as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_corpus(seed), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   unk_token=None, extra_special_tokens={"image_token": "<|image_pad|>"})
    fast.add_special_tokens({"additional_special_tokens": SPECIAL_TOKENS[1:]})
    fast.chat_template = CHAT_TEMPLATE
    fast.padding_side = "left"
    return fast


def build_processor(tokenizer, spec: TinySpec):
    from transformers import Qwen2_5_VLProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor

    image_processor = Qwen2VLImageProcessor(min_pixels=spec.min_pixels, max_pixels=spec.max_pixels,
                                            patch_size=14, merge_size=2, temporal_patch_size=2)
    # Videos: frames already sampled by the adapter (no decoding, no resampling here); each frame is resized like
    # an image (same pixel limits), two consecutive frames make one temporal patch. A clip of F frames of
    # 112×112 px gives ceil(F/2)·16 video tokens (4 frames: 32; 8 frames: 64; 56×56 px frames: ceil(F/2)·4).
    video_processor = Qwen2VLVideoProcessor(min_pixels=spec.min_pixels, max_pixels=spec.max_pixels,
                                            patch_size=14, merge_size=2, temporal_patch_size=2,
                                            do_sample_frames=False, cap_pixels_per_frame=True)
    return Qwen2_5_VLProcessor(image_processor=image_processor, tokenizer=tokenizer,
                               video_processor=video_processor, chat_template=CHAT_TEMPLATE)


def build_config(tokenizer, spec: TinySpec):
    from transformers import Qwen2_5_VLConfig

    ids = tokenizer.convert_tokens_to_ids
    assert 2 * sum(spec.mrope_section) == spec.hidden // spec.heads, "mrope_section must sum to head_dim / 2"
    text = dict(vocab_size=len(tokenizer), hidden_size=spec.hidden, intermediate_size=spec.intermediate,
                num_hidden_layers=spec.layers, num_attention_heads=spec.heads, num_key_value_heads=spec.kv_heads,
                max_position_embeddings=4096, max_window_layers=spec.layers,
                rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                                 "mrope_section": list(spec.mrope_section)},
                bos_token_id=ids("<|endoftext|>"), eos_token_id=ids("<|im_end|>"), pad_token_id=ids("<|endoftext|>"))
    vision = dict(depth=spec.vision_depth, hidden_size=spec.vision_hidden, intermediate_size=spec.vision_intermediate,
                  num_heads=spec.vision_heads, out_hidden_size=spec.hidden, patch_size=14, spatial_merge_size=2,
                  temporal_patch_size=2, window_size=112, fullatt_block_indexes=[spec.vision_depth - 1])
    return Qwen2_5_VLConfig(text_config=text, vision_config=vision, image_token_id=ids("<|image_pad|>"),
                            video_token_id=ids("<|video_pad|>"), vision_start_token_id=ids("<|vision_start|>"),
                            vision_end_token_id=ids("<|vision_end|>"), tie_word_embeddings=True)


def init_model(out: str | os.PathLike, size: str = "tiny", seed: int = 0, overwrite: bool = False) -> Path:
    """Write the embedded model to `out` (atomically: built in a temporary directory, then renamed)."""
    import torch
    from transformers import GenerationConfig, Qwen2_5_VLForConditionalGeneration

    from .atomic import atomic_directory
    from .errors import MMReasonError

    if size not in SIZES:
        raise MMReasonError(f"unknown model size '{size}' (valid: {', '.join(SIZES)})")
    out = Path(out)
    if out.exists() and not overwrite:
        raise MMReasonError(f"{out} already exists (pass --overwrite to replace it)")
    spec = SIZES[size]
    tokenizer = train_tokenizer(spec.vocab_size, seed=0)
    processor = build_processor(tokenizer, spec)
    config = build_config(tokenizer, spec)
    gen = torch.Generator().manual_seed(seed)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = Qwen2_5_VLForConditionalGeneration(config)
    finally:
        torch.random.set_rng_state(state)
    del gen
    model.generation_config = GenerationConfig(eos_token_id=config.text_config.eos_token_id,
                                               pad_token_id=config.text_config.pad_token_id,
                                               bos_token_id=config.text_config.bos_token_id)
    with atomic_directory(out) as tmp:
        model.save_pretrained(tmp)
        processor.save_pretrained(tmp)
    return out
