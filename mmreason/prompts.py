"""Sample → chat messages (system prompt, answer-format instruction) → processor inputs, with image-token accounting.

Prompts are never truncated: one that is longer than the limit is refused. The number of image (and video)
placeholder tokens is checked against the image (video) grid before any forward.

Videos: a sample's clips are lists of frames already sampled by its adapter; they go to the processor's video path
as `videos=[[PIL, ...], ...]` with `do_sample_frames=False` (nothing is decoded or resampled) and one
`video_metadata` entry per clip whose `fps` is the sample's frame rate, so `second_per_grid_ts` (seconds per
temporal patch of 2 frames) — and with it the temporal rope positions of the video tokens — follow the clip's real
timing (without it transformers assumes 24 frames/s and the tiny model's temporal positions collapse to 0).
Video tokens are 2 in `mm_token_type_ids` (images 1), which is how the model assigns 3-D rope positions to them.
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
    mm_token_type_ids: list[int] | None    # 1 on image tokens, 2 on video tokens (transformers 5: rope positions)
    pixel_values: torch.Tensor | None = None   # (n_patches, C·T·P·P)
    image_grid_thw: torch.Tensor | None = None  # (n_images, 3)
    images: list = field(default_factory=list)  # PIL images (for engines that take raw images)
    pixel_values_videos: torch.Tensor | None = None  # (n_video_patches, C·T·P·P)
    video_grid_thw: torch.Tensor | None = None       # (n_videos, 3)
    second_per_grid_ts: torch.Tensor | None = None   # (n_videos,) seconds per temporal patch
    videos: list = field(default_factory=list)       # clips as lists of PIL frames (for engines that take raw video)

    @property
    def num_image_tokens(self) -> int:
        return sum(t == 1 for t in self.mm_token_type_ids or ())

    @property
    def num_video_tokens(self) -> int:
        return sum(t == 2 for t in self.mm_token_type_ids or ())


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


def check_video_tokens(input_ids, video_grid_thw: torch.Tensor | None, video_token_id: int | None, merge_size: int,
                       where: str = "prompt") -> None:
    """Refuse a batch whose video placeholder tokens do not match the video features it carries (the video grid
    counts temporal patches: tokens = t·h·w / merge²)."""
    if video_token_id is None:
        return
    have = int((torch.as_tensor(input_ids) == video_token_id).sum())
    want = expected_image_tokens(video_grid_thw, merge_size)
    if have != want:
        raise PromptError(f"{where}: {have} video placeholder tokens but the videos give {want} features "
                          "(a truncated prompt, a generated <|video_pad|>, videos out of order, or a chat template "
                          "without video parts)")


class PromptEncoder:
    """Renders and encodes samples with the policy's processor; refuses over-long prompts."""

    def __init__(self, processor, *, instruction: str = "", system_prompt: str | None = None,
                 max_prompt_length: int = 1024):
        self.processor = processor
        self.instruction, self.system_prompt = instruction, system_prompt
        self.max_prompt_length = max_prompt_length
        self.image_token_id = processor.tokenizer.convert_tokens_to_ids(getattr(processor, "image_token", "<|image_pad|>"))
        self.merge_size = int(getattr(processor.image_processor, "merge_size", 2))
        self.video_token_id = _token_id(processor.tokenizer, getattr(processor, "video_token", "<|video_pad|>"))
        video_processor = getattr(processor, "video_processor", None)
        self.video_merge_size = int(getattr(video_processor, "merge_size", self.merge_size))

    def render(self, sample: Sample) -> str:
        return self.processor.apply_chat_template(chat_messages(sample, self.instruction, self.system_prompt),
                                                  add_generation_prompt=True, tokenize=False)

    def encode(self, sample: Sample) -> EncodedPrompt:
        text = self.render(sample)
        images = sample.load_images()
        videos = sample.load_videos() if sample.videos else []
        try:
            if videos:
                out = self._process_with_videos(sample, text, images, videos)
            else:
                out = self.processor(text=[text], images=images or None, return_tensors="pt")
        except ValueError as e:  # the image processor refuses an image (e.g. an extreme aspect ratio)
            sizes = ", ".join(f"{im.size[0]}x{im.size[1]}" for im in images)
            raise PromptError(f"sample '{sample.id}': the processor refuses its images ({sizes}): {e}") from None
        ids = out["input_ids"][0].tolist()
        grid, vgrid = out.get("image_grid_thw"), out.get("video_grid_thw")
        check_image_tokens(ids, grid, self.image_token_id, self.merge_size, where=f"sample '{sample.id}'")
        check_video_tokens(ids, vgrid, self.video_token_id, self.video_merge_size, where=f"sample '{sample.id}'")
        if len(ids) > self.max_prompt_length:
            n_img = expected_image_tokens(grid, self.merge_size)
            n_vid = expected_image_tokens(vgrid, self.video_merge_size)
            vid = f", {n_vid} video tokens" if videos else ""
            raise PromptError(f"sample '{sample.id}': prompt has {len(ids)} tokens ({n_img} of them image tokens"
                              f"{vid}) > prompt.max_prompt_length={self.max_prompt_length}; prompts are never "
                              "truncated — raise the limit or lower model.max_pixels" + (" or the frames per video"
                                                                                         if videos else ""))
        mm = out.get("mm_token_type_ids")
        prompt = EncodedPrompt(sample_id=sample.id, text=text, input_ids=ids,
                               mm_token_type_ids=mm[0].tolist() if mm is not None else None,
                               pixel_values=out.get("pixel_values"), image_grid_thw=grid, images=images)
        if videos:
            spg = out.get("second_per_grid_ts")
            prompt.pixel_values_videos, prompt.video_grid_thw, prompt.videos = out["pixel_values_videos"], vgrid, videos
            prompt.second_per_grid_ts = None if spg is None else torch.as_tensor(spg, dtype=torch.float32).reshape(-1)
        return prompt

    def _process_with_videos(self, sample: Sample, text: str, images: list, videos: list):
        """The processor's video path for clips of already-sampled frames: no decoding, no resampling; each clip's
        metadata carries its frame rate (→ `second_per_grid_ts`, the temporal rope spacing)."""
        if getattr(self.processor, "video_processor", None) is None:
            raise PromptError(f"sample '{sample.id}' has a video but the processor has no video processor "
                              f"({type(self.processor).__name__})")
        token = getattr(self.processor, "video_token", "<|video_pad|>")
        if text.count(token) != len(videos):
            raise PromptError(f"sample '{sample.id}': the chat template wrote {text.count(token)} {token} for "
                              f"{len(videos)} videos (a template without video parts? an embedded model built "
                              "before videos were supported: rebuild it with `mmreason init-model`)")
        meta = [{"total_num_frames": len(v), "fps": sample.fps_of(i), "frames_indices": list(range(len(v)))}
                for i, v in enumerate(videos)]
        return self.processor(text=[text], images=images or None, videos=videos, video_metadata=meta,
                              do_sample_frames=False, return_tensors="pt")

    def encode_completion(self, text: str) -> list[int]:
        """Token ids of an assistant answer followed by the end-of-turn token (SFT targets)."""
        tok = self.processor.tokenizer
        return tok(text, add_special_tokens=False)["input_ids"] + [tok.convert_tokens_to_ids("<|im_end|>")]


def _token_id(tokenizer, token: str) -> int | None:
    i = tokenizer.convert_tokens_to_ids(token)
    return i if isinstance(i, int) and i != tokenizer.unk_token_id else None


def vision_inputs(prompts: list[EncodedPrompt]) -> dict[str, torch.Tensor]:
    """Pixels and grids of the prompts' images and videos, concatenated in row order (the order the model consumes
    them: it walks the sequences row by row and takes the next grid of each kind)."""
    out = {}
    pix = [p.pixel_values for p in prompts if p.pixel_values is not None]
    if pix:
        out["pixel_values"] = torch.cat(pix)
        out["image_grid_thw"] = torch.cat([p.image_grid_thw for p in prompts if p.image_grid_thw is not None])
    vids = [p for p in prompts if p.pixel_values_videos is not None]
    if vids:
        out["pixel_values_videos"] = torch.cat([p.pixel_values_videos for p in vids])
        out["video_grid_thw"] = torch.cat([p.video_grid_thw for p in vids])
        if all(p.second_per_grid_ts is not None for p in vids):
            out["second_per_grid_ts"] = torch.cat([p.second_per_grid_ts for p in vids])
    return out


def collate_prompts(prompts: list[EncodedPrompt], pad_id: int) -> dict[str, torch.Tensor]:
    """Left-pad prompts into one batch; image patches (and video patches) are concatenated in batch order."""
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
    batch.update(vision_inputs(prompts))
    return batch
