"""Sampling G completions per prompt with one prefill per prompt: the decode loop of the HF engine.

`generate` of transformers would prefill every one of the G copies of a prompt (and run the vision tower on its
image G times). Here each distinct prompt is prefilled once, with the model's own multimodal RoPE positions; its
KV cache is repeated to G rows and the G samples decode from it, one batched forward per token. The loop does what
`generate` does with this engine's settings, in the same order — vision placeholder tokens suppressed, then
temperature, top-k and top-p (kept tokens: the smallest set whose probability reaches top_p, at least one), one
`torch.multinomial` draw per row, finished rows padded — and reports each sampled token's logprob under the
temperature-scaled raw distribution (before suppression and filtering), as the engine always has.

The cache's keys and values live in buffers sized for the whole completion (`_PreallocatedLayer`): each token is
written in place, where transformers' dynamic cache concatenates — copies — the whole cache at every token (41% of
the decode time on the `small` model at 64 new tokens).
"""

from __future__ import annotations

import torch

from transformers.cache_utils import DynamicLayer

from ..mrope import cache_kwarg, mrope_positions, output_cache, rope_owner
from ..prompts import EncodedPrompt, collate_prompts
from .base import SamplingParams


class _PreallocatedLayer(DynamicLayer):
    """A dynamic cache layer whose keys and values are views of buffers allocated once for `capacity` tokens:
    `update` writes the new tokens in place and returns the filled part (what the dynamic layer returns). Only
    growing is supported: the layer's other edits (crop, reorder, batch selection) would leave the buffers behind."""

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, capacity: int):
        super().__init__()
        B, H, T, _ = keys.shape
        self._k = keys.new_empty(B, H, capacity, keys.shape[-1])
        self._v = values.new_empty(B, H, capacity, values.shape[-1])
        self._k[:, :, :T], self._v[:, :, :T] = keys, values
        self.device, self.is_initialized, self._len = keys.device, True, T
        self.keys, self.values = self._k[:, :, :T], self._v[:, :, :T]

    def update(self, key_states, value_states, *args, **kwargs):
        end = self._len + key_states.shape[-2]
        self._k[:, :, self._len:end], self._v[:, :, self._len:end] = key_states, value_states
        self._len = end
        self.keys, self.values = self._k[:, :, :end], self._v[:, :, :end]
        return self.keys, self.values

    def _only_grows(self, *args, **kwargs):
        raise NotImplementedError("a preallocated decode cache only grows")

    crop = reset = reorder_cache = batch_select_indices = batch_repeat_interleave = _only_grows


def preallocate(cache, capacity: int) -> None:
    """Swap the cache's plain dynamic layers for preallocated ones holding the same keys and values."""
    layers = getattr(cache, "layers", None)
    if layers is None:
        return
    for i, layer in enumerate(layers):
        if type(layer) is DynamicLayer and layer.is_initialized:
            layers[i] = _PreallocatedLayer(layer.keys, layer.values, capacity)


def filter_logits(scores: torch.Tensor, sampling: SamplingParams) -> torch.Tensor:
    """(B, V) scores after temperature, top-k and top-p, as transformers' warpers apply them (-inf = removed)."""
    if sampling.temperature != 1.0:
        scores = scores / sampling.temperature
    if sampling.top_k and sampling.top_k < scores.shape[-1]:
        kth = torch.topk(scores, sampling.top_k, dim=-1).values[..., -1:]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    if sampling.top_p < 1.0:
        sorted_scores, order = torch.sort(scores, descending=False)
        cum = sorted_scores.softmax(-1).cumsum(-1)
        drop_sorted = cum <= (1 - sampling.top_p)
        drop_sorted[..., -1:] = False                                   # the most likely token always stays
        drop = drop_sorted.scatter(-1, order, drop_sorted)
        scores = scores.masked_fill(drop, float("-inf"))
    return scores


@torch.no_grad()
def sample_shared(model, prompts: list[EncodedPrompt], sampling: SamplingParams, *, stop_ids: list[int],
                  banned_ids: list[int], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(tokens (P·n, L), logprobs (P·n, L)): n samples per prompt, rows in prompt order (prompt 0's n rows first);
    after a row's stop token its tokens are `pad_id`. L ≤ max_new_tokens (the loop ends when every row stopped)."""
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in collate_prompts(prompts, pad_id).items()}
    positions = mrope_positions(rope_owner(model), batch)               # (3, P, Tp)
    out = model(**batch, position_ids=positions, use_cache=True, logits_to_keep=1)
    cache = output_cache(out)
    owner = torch.arange(len(prompts), device=device).repeat_interleave(sampling.n)
    cache.batch_select_indices(owner)
    preallocate(cache, positions.shape[-1] + sampling.max_new_tokens)
    logits = out.logits[owner, -1].float()                             # (B, V) predicts the first new token
    attention = batch["attention_mask"][owner]
    # (B,) the first new token's position: the prompt's last token (text, left padding: the last column) + 1, as
    # the trainer's positions over the whole sequence have it (after a long video this is not the maximum + 1)
    next_pos = positions[0, :, -1][owner] + 1
    B = len(owner)
    banned = torch.tensor(banned_ids, dtype=torch.long, device=device)
    stops = torch.tensor(stop_ids, dtype=torch.long, device=device)
    done = torch.zeros(B, dtype=torch.bool, device=device)
    tokens, logprobs = [], []
    kwarg = cache_kwarg(model)
    for step in range(sampling.max_new_tokens):
        raw = logits if sampling.greedy or sampling.temperature == 1.0 else logits / sampling.temperature
        scores = logits.index_fill(-1, banned, float("-inf")) if len(banned) else logits
        if sampling.greedy:
            token = scores.argmax(-1)
        else:
            token = torch.multinomial(filter_logits(scores, sampling).softmax(-1), 1).squeeze(1)
        token = torch.where(done, torch.full_like(token, pad_id), token)
        tokens.append(token)
        logprobs.append(torch.log_softmax(raw, -1).gather(-1, token[:, None]).squeeze(1))
        done = done | torch.isin(token, stops)
        if bool(done.all()) or step == sampling.max_new_tokens - 1:
            break
        attention = torch.cat([attention, attention.new_ones(B, 1)], dim=1)
        pos = (next_pos + step).view(1, B, 1).expand(3, B, 1)
        out = model(input_ids=token[:, None], attention_mask=attention, position_ids=pos, use_cache=True,
                    **{kwarg: cache})
        logits = out.logits[:, -1].float()
    return torch.stack(tokens, 1).cpu(), torch.stack(logprobs, 1).cpu()
