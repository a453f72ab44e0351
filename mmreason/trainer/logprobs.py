"""Per-token logprobs (and entropy) of responses under a model, for the loss, π_old and the reference."""

from __future__ import annotations

from contextlib import contextmanager

import torch

from ..distributed.vision_keepalive import text_only_forward
from ..prompts import check_image_tokens, check_video_tokens
from .batch import SequenceBatch
from .packing import pack_batch, response_outputs, row_budget
from .shared_prompt import shared_prompt_forward


def response_logprobs(model, batch: SequenceBatch, *, temperature: float = 1.0, with_entropy: bool = False,
                      image_token_id: int | None = None, merge_size: int = 2, keep_vision_alive: bool = False,
                      packing: bool = False, share_prompts: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(B, Tr) logprobs of the response tokens (and (B, Tr) entropies when asked).

    The image-token count is checked before the forward. `temperature` scales logits as the sampler did.
    `keep_vision_alive` (ZeRO-3) runs the vision tower on a dummy image when the batch has no image.
    `packing` runs the forward on the sequences packed without padding (train.packing).
    """
    logprobs, entropy, _ = forward_response(model, batch, temperature=temperature, with_entropy=with_entropy,
                                            image_token_id=image_token_id, merge_size=merge_size,
                                            keep_vision_alive=keep_vision_alive, packing=packing,
                                            share_prompts=share_prompts)
    return logprobs, entropy


def forward_response(model, batch: SequenceBatch, *, temperature: float = 1.0, with_entropy: bool = False,
                     with_hidden: bool = False, image_token_id: int | None = None, merge_size: int = 2,
                     keep_vision_alive: bool = False, packing: bool = False, share_prompts: bool = False):
    """(logprobs (B, Tr), entropy (B, Tr) or None, hidden (B, Tr, H) or None): one forward over prompt + response;
    `hidden` is the last layer's state at the positions that predict each response token (a critic reads it).
    `packing`: the forward runs on the sequences packed without padding (train.packing; a micro-batch whose
    sequences cannot share rows runs padded); the same outputs (0 past each response's end when packed).
    `share_prompts`: rows holding the same prompt run it once (train.share_prompts; see shared_prompt.py)."""
    device = next(model.parameters()).device
    inputs = batch.model_inputs(device)
    if image_token_id is not None:
        check_image_tokens(inputs["input_ids"], inputs.get("image_grid_thw"), image_token_id, merge_size,
                           where="training batch")
        check_video_tokens(inputs["input_ids"], inputs.get("video_grid_thw"),
                           getattr(model.config, "video_token_id", None), merge_size, where="training batch")
    text_only = "pixel_values" not in inputs and "pixel_values_videos" not in inputs  # a video runs the tower too
    packed = pack_batch(model, batch, device, row_budget(model, inputs["input_ids"].shape[1])) if packing else None
    if share_prompts and not packing:  # packing decides per micro-batch; ranks in lockstep must not diverge
        shared = shared_prompt_forward(model, batch, device, temperature=temperature, with_entropy=with_entropy,
                                       with_hidden=with_hidden, lockstep=keep_vision_alive)
        if shared is not None:
            return shared
    if packed is not None:
        with text_only_forward(keep_vision_alive and text_only):
            out = model(**packed.inputs, use_cache=False, output_hidden_states=with_hidden)
        return response_outputs(packed, out, temperature=temperature, with_entropy=with_entropy,
                                with_hidden=with_hidden)
    with text_only_forward(keep_vision_alive and text_only):
        out = model(**inputs, use_cache=False, output_hidden_states=with_hidden)
    Tp = batch.prompt_len
    hidden = out.hidden_states[-1][:, Tp - 1:-1] if with_hidden else None
    logprobs, entropy = token_logprobs(out.logits[:, Tp - 1:-1], inputs["input_ids"][:, Tp:],
                                       temperature=temperature, with_entropy=with_entropy)
    return logprobs, entropy, hidden


def token_logprobs(logits: torch.Tensor, targets: torch.Tensor, *, temperature: float = 1.0,
                   with_entropy: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logprobs of `targets` (…) under `logits` (…, V) — float32 log-softmax of the temperature-scaled logits, as
    the sampler drew them — and the entropies (no gradient) when asked; the padded and packed paths share it."""
    logits = logits.float()
    if temperature not in (0.0, 1.0):
        logits = logits / temperature
    logp_all = torch.log_softmax(logits, dim=-1)
    logprobs = logp_all.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    entropy = None
    if with_entropy:
        with torch.no_grad():
            entropy = -(logp_all.exp() * logp_all).sum(-1)
    return logprobs, entropy


@contextmanager
def without_dropout(model):
    """Dropout off, every other module as it is: the RL update's forward, π_old and the reference all compute the
    same function, so the ratio is exactly 1 before the first update even with dropout (LoRA dropout) configured."""
    active = [m for m in model.modules() if isinstance(m, torch.nn.Dropout) and m.training]
    for m in active:
        m.eval()
    try:
        yield
    finally:
        for m in active:
            m.train()


@torch.no_grad()
def batched_logprobs(model, batch: SequenceBatch, micro_batch_size: int, **kw) -> torch.Tensor:
    """Logprobs of a whole batch in micro-batches, without gradients, in the mode the update runs in (train mode
    without dropout)."""
    was_training = model.training
    model.train()
    try:
        parts = []
        with without_dropout(model):
            for s in range(0, len(batch), micro_batch_size):
                rows = list(range(s, min(len(batch), s + micro_batch_size)))
                lp, _ = response_logprobs(model, batch.select(rows), **kw)
                parts.append(lp.cpu())
    finally:
        model.train(was_training)
    return torch.cat(parts)
