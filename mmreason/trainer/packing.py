"""Packed (padding-free) forward over prompt + response: `train.packing`.

The padded batch (B, Tp+Tr) — prompts left-padded, responses right-padded — becomes R ≤ B rows holding the
sequences back to back, with no padding between them. What keeps the sequences apart is their position ids, given
to the model in Qwen2-VL's 4-row form (4, R, L):

    row 0      text positions 0 … n-1 of each sequence: transformers (masking_utils.find_packed_sequence_indices)
               starts a new sequence wherever a position does not follow its predecessor by 1, and builds a
               block-diagonal causal mask from that when no 2-D attention mask is given (sdpa, eager); flash
               attention reads the same positions as variable-length boundaries
    rows 1-3   the multimodal RoPE (t, h, w) positions from the model's own `get_rope_index` on the padded batch,
               so every sequence gets exactly the positions it has alone

How many rows (`row_budget`): with flash attention one row (its kernels skip the blocks across sequences); with
sdpa/eager rows of at most the padded width Tp+Tr, filled first-fit by decreasing length, since a dense mask costs
attention over the whole row — a longer row would cost more attention than the padding it saves; a micro-batch
where no two sequences share a row runs padded (`pack_batch` returns None: nothing to gain). Sequences are
reordered for that (`batch.select`, which keeps each row's pixels with it); the outputs come back in the padded
path's (B, Tr) row order and layout: position i of row b is response token i's logprob (entropy, last hidden
state), and positions past a response's end are 0 (the padded path leaves values there that every consumer masks).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import ModelError
from ..mrope import mrope_positions, rope_owner


@dataclass
class PackedBatch:
    inputs: dict              # the model's keyword arguments: input_ids (R, L), position_ids (4, R, L), vision inputs
    pred_index: torch.Tensor  # (B, Tr) flat index into R·L of the position whose logits predict response token i
    valid: torch.Tensor       # (B, Tr) bool: a real response token (its outputs are computed)
    targets: torch.Tensor     # (B, Tr) the response token ids
    pad_fraction: float       # filler share of the packed rows' tokens


def _rope_owner(model):
    """The module with `get_rope_index`; a ModelError naming train.packing when the model has none."""
    owner = rope_owner(model)
    if owner is None:
        raise ModelError("train.packing needs a model with multimodal RoPE positions (`get_rope_index`, the Qwen2-VL "
                         "family); set train.packing=false for this model")
    return owner


def row_budget(model, padded_width: int) -> int | None:
    """Tokens per packed row: None (one row) under flash attention, else the padded width."""
    impl = getattr(_rope_owner(model).config.get_text_config(), "_attn_implementation", None) or ""
    return None if impl.startswith("flash") else padded_width


def plan_rows(lengths: list[int], max_tokens: int | None = None) -> list[list[int]]:
    """Sequence indices per packed row: all in order in one row (max_tokens None), or first-fit by decreasing
    length into rows of at most `max_tokens` (a longer sequence gets a row of its own)."""
    if max_tokens is None:
        return [list(range(len(lengths)))]
    rows, used = [], []
    for i in sorted(range(len(lengths)), key=lambda j: -lengths[j]):
        fit = next((r for r, u in enumerate(used) if u + lengths[i] <= max_tokens), None)
        if fit is None:
            rows.append([i])
            used.append(lengths[i])
        else:
            rows[fit].append(i)
            used[fit] += lengths[i]
    return rows


def _pack_rows(model, inputs: dict, sizes: list[int]) -> tuple[dict, torch.Tensor, float]:
    """Pack the padded rows, consecutive groups of `sizes` rows per packed row: (model inputs, (B, T) flat index
    of each token in the packed rows, filler fraction)."""
    attn = inputs["attention_mask"].bool()                                  # (B, T)
    ids, mm, device = inputs["input_ids"], inputs["mm_token_type_ids"], inputs["input_ids"].device
    lengths = attn.sum(1)
    row_of = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes)).to(device)   # (B,)
    used = torch.zeros(len(sizes), dtype=torch.long, device=device).index_add_(0, row_of, lengths)
    start = lengths.cumsum(0) - lengths                                     # offset of each sequence in its row
    start = start - (used.cumsum(0) - used)[row_of]
    R, L = len(sizes), int(used.max())
    rank = attn.long().cumsum(1) - 1                                        # (B, T) index within the sequence
    where = (row_of[:, None] * L + start[:, None] + rank).clamp(min=0)     # (B, T)
    dest = where[attn]
    # filler after a row's last sequence: a sequence of its own (positions 0, 1, …) of a text token, never read
    filler = (torch.arange(L, device=device)[None] - used[:, None]).reshape(-1)
    flat_ids = torch.full((R * L,), int(ids[attn][0]), dtype=ids.dtype, device=device)
    flat_mm = torch.zeros(R * L, dtype=mm.dtype, device=device)
    text_pos, mrope = filler.clone(), filler.expand(3, -1).clone()
    flat_ids[dest], flat_mm[dest], text_pos[dest] = ids[attn], mm[attn], rank[attn]
    mrope[:, dest] = mrope_positions(_rope_owner(model), inputs)[:, attn].to(mrope.dtype)
    packed = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask", "mm_token_type_ids")}
    packed.update(input_ids=flat_ids.view(R, L), mm_token_type_ids=flat_mm.view(R, L),
                  position_ids=torch.cat([text_pos[None], mrope]).view(4, R, L))
    return packed, where, 1.0 - float(lengths.sum()) / (R * L)


def pack_batch(model, batch, device, max_tokens: int | None = None) -> PackedBatch | None:
    """The packed forward's inputs for a SequenceBatch, and where each response token's outputs are; None when
    the budget leaves every sequence in a row of its own (the padded forward is then as good)."""
    rows = plan_rows(batch.attention_mask.sum(1).tolist(), max_tokens)
    if max_tokens is not None and len(rows) == len(batch):
        return None
    order = [i for r in rows for i in r]
    identity = order == list(range(len(batch)))
    inputs = (batch if identity else batch.select(order)).model_inputs(device)
    packed, where, pad = _pack_rows(model, inputs, [len(r) for r in rows])
    inv = torch.argsort(torch.tensor(order, device=where.device))          # padded row b ← packed-order row inv[b]
    ids, valid = inputs["input_ids"], inputs["attention_mask"].bool()
    Tp = batch.prompt_len
    return PackedBatch(inputs=packed, pred_index=where[inv, Tp - 1:-1], valid=valid[inv, Tp:],
                       targets=ids[inv, Tp:], pad_fraction=pad)


def _unpack(values: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """(n, …) values of the valid positions → (B, Tr, …), zeros elsewhere (differentiable)."""
    out = values.new_zeros(tuple(valid.shape) + tuple(values.shape[1:]))
    return out.index_put((valid,), values)


def response_outputs(packed: PackedBatch, out, *, temperature: float = 1.0, with_entropy: bool = False,
                     with_hidden: bool = False):
    """(logprobs (B, Tr), entropy (B, Tr) or None, hidden (B, Tr, H) or None) from the packed forward's output,
    computed as the padded path computes them (float32 log-softmax of the temperature-scaled logits)."""
    from .logprobs import token_logprobs  # logprobs.py imports this module

    idx = packed.pred_index[packed.valid]                                   # (n,)
    logits = out.logits.reshape(-1, out.logits.shape[-1])[idx]              # (n, V)
    logprobs, entropy = token_logprobs(logits, packed.targets[packed.valid], temperature=temperature,
                                       with_entropy=with_entropy)
    if entropy is not None:
        entropy = _unpack(entropy, packed.valid)
    hidden = None
    if with_hidden:
        last = out.hidden_states[-1]
        hidden = _unpack(last.reshape(-1, last.shape[-1])[idx], packed.valid)
    return _unpack(logprobs, packed.valid), entropy, hidden
