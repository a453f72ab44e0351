"""Sample → chat messages (system prompt, answer-format instruction) → processor inputs, with image-token accounting.

Prompts are never truncated: one that is longer than the limit is refused. The number of image placeholder
tokens is checked against the image grid before any forward.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .errors import PromptError
from .types import Sample


def chat_messages(sample: Sample, instruction: str = "", system_prompt: str | None = None) -> list[dict]:
    """Chat messages in the Hugging Face form: `instruction` (the answer format's request) is appended to the last
    user turn and `system_prompt`, when given and the sample has none, becomes the first turn."""
    msgs = sample.chat()
    if instruction:
        last_user = max((i for i, m in enumerate(msgs) if m["role"] == "user"), default=None)
        if last_user is None:
            raise PromptError(f"sample '{sample.id}' has no user turn")
        msgs[last_user]["content"].append({"type": "text", "text": ("\n" if msgs[last_user]["content"] else "")
                                           + instruction})
    if system_prompt and not any(m["role"] == "system" for m in msgs):
        msgs.insert(0, {"role": "system", "content": [{"type": "text", "text": system_prompt}]})
    return msgs


@dataclass
class EncodedPrompt:
    """One prompt ready for the model. Tensors keep their processor layout (patches of all images stacked)."""
    sample_id: str
    text: str                              # chat-rendered prompt, image pads NOT expanded (what vLLM takes)
    input_ids: list[int]                   # processor-expanded ids (one pad per image token)
    mm_token_type_ids: list[int] | None    # 1 on image tokens (transformers 5 needs it for rope positions)
    pixel_values: torch.Tensor | None = None   # (n_patches, C·T·P·P)
    image_grid_thw: torch.Tensor | None = None  # (n_images, 3)
    images: list = field(default_factory=list)  # PIL images (for engines that take raw images)

    @property
    def num_image_tokens(self) -> int:
        return sum(t == 1 for t in self.mm_token_type_ids or ())


def expected_image_tokens(image_grid_thw: torch.Tensor | None, merge_size: int) -> int:
    if image_grid_thw is None or len(image_grid_thw) == 0:
        return 0
    return int((image_grid_thw.prod(dim=-1) // (merge_size ** 2)).sum())


def check_image_tokens(input_ids, image_grid_thw: torch.Tensor | None, image_token_id: int, merge_size: int,
                       where: str = "prompt") -> None:
    """Refuse a batch whose image placeholder tokens do not match the image features it carries."""
    ids = torch.as_tensor(input_ids)
    have = int((ids == image_token_id).sum())
    want = expected_image_tokens(image_grid_thw, merge_size)
    if have != want:
        raise PromptError(f"{where}: {have} image placeholder tokens but the images give {want} features "
                          "(a truncated prompt, a generated <|image_pad|>, or images out of order)")


class PromptEncoder:
    """Renders and encodes samples with the policy's processor; refuses over-long prompts."""

    def __init__(self, processor, *, instruction: str = "", system_prompt: str | None = None,
                 max_prompt_length: int = 1024):
        self.processor = processor
        self.instruction, self.system_prompt = instruction, system_prompt
        self.max_prompt_length = max_prompt_length
        self.image_token_id = processor.tokenizer.convert_tokens_to_ids(getattr(processor, "image_token", "<|image_pad|>"))
        self.merge_size = int(getattr(processor.image_processor, "merge_size", 2))

    def render(self, sample: Sample) -> str:
        return self.processor.apply_chat_template(chat_messages(sample, self.instruction, self.system_prompt),
                                                  add_generation_prompt=True, tokenize=False)

    def encode(self, sample: Sample) -> EncodedPrompt:
        text = self.render(sample)
        images = sample.load_images()
        out = self.processor(text=[text], images=images or None, return_tensors="pt")
        ids = out["input_ids"][0].tolist()
        grid = out.get("image_grid_thw")
        check_image_tokens(ids, grid, self.image_token_id, self.merge_size, where=f"sample '{sample.id}'")
        if len(ids) > self.max_prompt_length:
            n_img = expected_image_tokens(grid, self.merge_size)
            raise PromptError(f"sample '{sample.id}': prompt has {len(ids)} tokens ({n_img} of them image tokens) > "
                              f"prompt.max_prompt_length={self.max_prompt_length}; prompts are never truncated — "
                              "raise the limit or lower model.max_pixels")
        mm = out.get("mm_token_type_ids")
        return EncodedPrompt(sample_id=sample.id, text=text, input_ids=ids,
                             mm_token_type_ids=mm[0].tolist() if mm is not None else None,
                             pixel_values=out.get("pixel_values"), image_grid_thw=grid, images=images)

    def encode_completion(self, text: str) -> list[int]:
        """Token ids of an assistant answer followed by the end-of-turn token (SFT targets)."""
        tok = self.processor.tokenizer
        return tok(text, add_special_tokens=False)["input_ids"] + [tok.convert_tokens_to_ids("<|im_end|>")]


def collate_prompts(prompts: list[EncodedPrompt], pad_id: int) -> dict[str, torch.Tensor]:
    """Left-pad prompts into one batch; image patches are concatenated in batch order."""
    T = max(len(p.input_ids) for p in prompts)
    B = len(prompts)
    input_ids = torch.full((B, T), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((B, T), dtype=torch.long)
    mm = torch.zeros((B, T), dtype=torch.long)
    for i, p in enumerate(prompts):
        n = len(p.input_ids)
        input_ids[i, T - n:] = torch.tensor(p.input_ids)
        attention_mask[i, T - n:] = 1
        if p.mm_token_type_ids is not None:
            mm[i, T - n:] = torch.tensor(p.mm_token_type_ids)
    batch = {"input_ids": input_ids, "attention_mask": attention_mask, "mm_token_type_ids": mm}
    pix = [p.pixel_values for p in prompts if p.pixel_values is not None]
    if pix:
        batch["pixel_values"] = torch.cat(pix)
        batch["image_grid_thw"] = torch.cat([p.image_grid_thw for p in prompts if p.image_grid_thw is not None])
    return batch
