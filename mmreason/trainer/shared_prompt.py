"""Shared-prompt forward (`train.share_prompts`): the G rows of a group run their common prompt once.

In a micro-batch, rows holding the same encoded prompt (a group's G samples hold one object) are one prompt for the
model: the distinct prompts run once — the vision tower on each image once, the language model over each prompt's
tokens once — with the cache kept; the cache is then repeated to one copy per row and the response tokens run on
top of it. Autograd goes through the repeated cache into the prompt forward, so logprobs, entropies and every
gradient equal the padded forward's over G full copies (up to float rounding: `tests/test_shared_prompt.py`), at
a fraction of the tokens — a group of G responses of length R after a prompt of length L costs L + G·R tokens
instead of G·(L + R), and one image instead of G.

Positions are the model's own multimodal RoPE positions of each full sequence (`get_rope_index`), split at the
prompt's end, so the response tokens see exactly the positions they have in the padded forward. The response
token i is predicted by the prompt's last position (i = 0) or by response position i − 1 (the padded layout).
"""

from __future__ import annotations

import torch

from ..distributed.vision_keepalive import text_only_forward
from ..mrope import cache_kwarg, mrope_positions, output_cache, rope_owner


def share_plan(prompts: list, force: bool = False) -> tuple[list[int], torch.Tensor] | None:
    """(one row index per distinct prompt, (B,) index of each row's distinct prompt), or None when no two rows
    share a prompt (nothing to save) unless `force`. Rows share when they hold the same EncodedPrompt object."""
    first: dict[int, int] = {}
    owner = [first.setdefault(id(p), len(first)) for p in prompts]
    if len(first) == len(prompts) and not force:
        return None
    reps = [owner.index(u) for u in range(len(first))]
    return reps, torch.tensor(owner, dtype=torch.long)


def shared_prompt_forward(model, batch, device, *, temperature: float = 1.0, with_entropy: bool = False,
                          with_hidden: bool = False, lockstep: bool = False):
    """(logprobs (B, Tr), entropy (B, Tr) or None, hidden (B, Tr, H) or None) as `forward_response` returns them,
    computed with each distinct prompt run once; None when nothing is shared or the model keeps no cache
    (gradient checkpointing), and the caller runs the padded forward.

    `lockstep` (DeepSpeed): every rank must run the same modules in the same order (ZeRO-3 gathers weights and
    ZeRO-2 reduces gradients in collectives), so this path runs even when nothing is shared, and a text-only
    micro-batch runs the vision tower on a dummy image in its prompt forward, as the padded path does."""
    from .logprobs import token_logprobs  # logprobs.py imports this module

    plan = share_plan(batch.prompts, force=lockstep)
    owner_module = rope_owner(model)
    if plan is None or owner_module is None or (torch.is_grad_enabled() and _checkpointing(model)):
        return None
    reps, owner = plan
    owner = owner.to(device)
    Tp = batch.prompt_len
    distinct = batch.select(reps).model_inputs(device)          # (U, Tp+Tr) with each distinct prompt's pixels
    # positions of the full width for every row: the response part unmasked, so a row whose response is longer
    # than its representative's gets its own positions (padding positions are never attended to nor read)
    unmasked = dict(distinct, attention_mask=torch.cat([distinct["attention_mask"][:, :Tp],
                                                        torch.ones_like(distinct["attention_mask"][:, Tp:])], 1))
    positions = mrope_positions(owner_module, unmasked)        # (3, U, Tp+Tr)
    prompt_inputs = {k: v for k, v in distinct.items() if k not in ("input_ids", "attention_mask",
                                                                     "mm_token_type_ids")}
    text_only = "pixel_values" not in distinct and "pixel_values_videos" not in distinct
    with text_only_forward(lockstep and text_only):
        out_p = model(input_ids=distinct["input_ids"][:, :Tp], attention_mask=distinct["attention_mask"][:, :Tp],
                      mm_token_type_ids=distinct["mm_token_type_ids"][:, :Tp], position_ids=positions[:, :, :Tp],
                      use_cache=True, output_hidden_states=with_hidden, logits_to_keep=1, **prompt_inputs)
    cache = output_cache(out_p)
    if cache is None or cache.get_seq_length() != Tp:   # no cache kept (e.g. checkpointing a wrapper hides)
        return None
    cache.batch_select_indices(owner)                           # one copy of its prompt's cache per row
    ids = batch.input_ids.to(device)
    out_r = model(input_ids=ids[:, Tp:], attention_mask=batch.attention_mask.to(device),
                  mm_token_type_ids=batch.mm_token_type_ids[:, Tp:].to(device),
                  position_ids=positions[:, owner, Tp:], use_cache=True, output_hidden_states=with_hidden,
                  **{cache_kwarg(model): cache})
    logits = torch.cat([out_p.logits[owner, -1:], out_r.logits[:, :-1]], dim=1)       # (B, Tr, V)
    logprobs, entropy = token_logprobs(logits, ids[:, Tp:], temperature=temperature, with_entropy=with_entropy)
    hidden = None
    if with_hidden:
        hidden = torch.cat([out_p.hidden_states[-1][owner, -1:], out_r.hidden_states[-1][:, :-1]], dim=1)
    return logprobs, entropy, hidden


def _checkpointing(model) -> bool:
    """Whether activation checkpointing is on (it turns the cache off in training, so nothing can be shared)."""
    for name in ("is_activation_checkpointing", "is_gradient_checkpointing"):  # the newer name first
        if hasattr(type(model), name) or hasattr(model, name):
            return bool(getattr(model, name))
    return False

