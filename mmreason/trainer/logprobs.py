"""Per-token logprobs (and entropy) of responses under a model, for the loss, π_old and the reference."""

from __future__ import annotations

import torch

from ..distributed.vision_keepalive import text_only_forward
from ..prompts import check_image_tokens
from .batch import SequenceBatch


def response_logprobs(model, batch: SequenceBatch, *, temperature: float = 1.0, with_entropy: bool = False,
                      image_token_id: int | None = None, merge_size: int = 2, keep_vision_alive: bool = False
                      ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(B, Tr) logprobs of the response tokens (and (B, Tr) entropies when asked).

    The image-token count is checked before the forward. `temperature` scales logits as the sampler did.
    `keep_vision_alive` (ZeRO-3) runs the vision tower on a dummy image when the batch has no image.
    """
    device = next(model.parameters()).device
    inputs = batch.model_inputs(device)
    if image_token_id is not None:
        check_image_tokens(inputs["input_ids"], inputs.get("image_grid_thw"), image_token_id, merge_size,
                           where="training batch")
    with text_only_forward(keep_vision_alive and "pixel_values" not in inputs):
        logits = model(**inputs, use_cache=False).logits
    Tp = batch.prompt_len
    logits = logits[:, Tp - 1:-1].float()
    if temperature not in (0.0, 1.0):
        logits = logits / temperature
    logp_all = torch.log_softmax(logits, dim=-1)
    targets = inputs["input_ids"][:, Tp:]
    logprobs = logp_all.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    entropy = None
    if with_entropy:
        with torch.no_grad():
            entropy = -(logp_all.exp() * logp_all).sum(-1)
    return logprobs, entropy


@torch.no_grad()
def batched_logprobs(model, batch: SequenceBatch, micro_batch_size: int, **kw) -> torch.Tensor:
    """Logprobs of a whole batch in micro-batches, without gradients."""
    was_training = model.training
    model.eval()
    try:
        parts = []
        for s in range(0, len(batch), micro_batch_size):
            lp, _ = response_logprobs(model, batch.select(list(range(s, min(len(batch), s + micro_batch_size)))), **kw)
            parts.append(lp.cpu())
    finally:
        model.train(was_training)
    return torch.cat(parts)
