"""Token batches for the update: one row per (prompt, response) pair; tensors carry shape comments.

Layout of a sequence: [prompt, left-padded to Tp | response, right-padded to Tr]. Logprobs of the response
are read from the logits at positions Tp-1 … Tp+Tr-2. Rows keep a reference to their encoded prompt, so the
G rows of one group share its pixel tensors (no copies) and any subset of rows can be turned into model inputs.

    SequenceBatch   the token layout shared by both kinds
    SFTBatch        supervised targets (cold start, rejection-sampled data): loss on the response tokens
    RolloutBatch    sampled responses with what the RL update needs (advantages, logprobs, critic values)
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from itertools import chain

import torch

from ..algorithms.sampling import truncation_mask
from ..prompts import EncodedPrompt, vision_inputs
from ..types import Completion


@dataclass
class SequenceBatch:
    prompts: list[EncodedPrompt]        # (B) encoded prompt of each row
    input_ids: torch.Tensor             # (B, Tp+Tr) prompt left-padded, response right-padded
    attention_mask: torch.Tensor        # (B, Tp+Tr)
    mm_token_type_ids: torch.Tensor     # (B, Tp+Tr) 1 on image tokens, 2 on video tokens, 0 elsewhere
    response_mask: torch.Tensor         # (B, Tr) 1.0 on response tokens that count in the loss
    prompt_len: int                     # Tp

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    def select(self, rows: list[int] | torch.Tensor):
        """The batch of the given rows (same type): every per-row field is indexed, the rest kept."""
        idx = torch.as_tensor(rows, dtype=torch.long)
        picked = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, torch.Tensor):
                picked[f.name] = value[idx]
            elif isinstance(value, list):
                picked[f.name] = [value[i] for i in idx.tolist()]
        return replace(self, **picked)

    def model_inputs(self, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        """Keyword arguments for the model's forward over prompt + response (image and video pixels in row order)."""
        out = {"input_ids": self.input_ids, "attention_mask": self.attention_mask,
               "mm_token_type_ids": self.mm_token_type_ids}
        out.update(vision_inputs(self.prompts))
        return {k: v.to(device) for k, v in out.items()}


@dataclass
class SFTBatch(SequenceBatch):
    """Prompts with their target responses; the loss is the response tokens' cross-entropy."""


@dataclass
class RolloutBatch(SequenceBatch):
    """Sampled responses, rows in group order (prompt 0's G responses, then prompt 1's, …)."""
    advantages: torch.Tensor | None = None        # (B,) per row (every token the same), or (B, Tr) per token (GAE)
    rollout_logprobs: torch.Tensor | None = None  # (B, Tr) the engine's logprobs of the sampled tokens
    old_logprobs: torch.Tensor | None = None      # (B, Tr) trainer logprobs before the update (π_old)
    ref_logprobs: torch.Tensor | None = None      # (B, Tr) reference policy logprobs
    values: torch.Tensor | None = None            # (B, Tr) critic values V_old (PPO), None without a critic
    returns: torch.Tensor | None = None           # (B, Tr) the critic's targets (GAE returns)


def _scatter_rows(lengths: torch.Tensor, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(row, column) of every element of B variable-length rows laid out one after another, row b's elements at
    columns starts[b] … starts[b] + lengths[b] − 1: one index computation instead of a Python loop per row."""
    rows = torch.repeat_interleave(torch.arange(len(lengths)), lengths)
    offsets = torch.cumsum(lengths, 0) - lengths                       # where each row begins in the flat list
    cols = starts[rows] + torch.arange(int(lengths.sum())) - offsets[rows]
    return rows, cols


def build_sequences(prompts: list[EncodedPrompt], responses: list[list[int]], pad_id: int) -> dict:
    """Pack prompt/response token lists into the SequenceBatch fields (prompts left-padded to Tp, responses
    right-padded to Tr), with one scatter per field."""
    B = len(prompts)
    p_len = torch.tensor([len(p.input_ids) for p in prompts], dtype=torch.long)
    r_len = torch.tensor([len(r) for r in responses], dtype=torch.long)
    Tp, Tr = int(p_len.max()), max(1, int(r_len.max()))
    input_ids = torch.full((B, Tp + Tr), pad_id, dtype=torch.long)
    attn = torch.zeros((B, Tp + Tr), dtype=torch.long)
    mm = torch.zeros((B, Tp + Tr), dtype=torch.long)
    resp_mask = torch.zeros((B, Tr), dtype=torch.float32)
    rows, cols = _scatter_rows(p_len, Tp - p_len)
    input_ids[rows, cols] = torch.tensor(list(chain.from_iterable(p.input_ids for p in prompts)), dtype=torch.long)
    attn[rows, cols] = 1
    mm_ids = [p.mm_token_type_ids or [0] * len(p.input_ids) for p in prompts]
    mm[rows, cols] = torch.tensor(list(chain.from_iterable(mm_ids)), dtype=torch.long)
    rows, cols = _scatter_rows(r_len, torch.full((B,), Tp, dtype=torch.long))
    input_ids[rows, cols] = torch.tensor(list(chain.from_iterable(responses)), dtype=torch.long)
    attn[rows, cols] = 1
    resp_mask[rows, cols - Tp] = 1.0
    return dict(prompts=list(prompts), input_ids=input_ids, attention_mask=attn, mm_token_type_ids=mm,
                response_mask=resp_mask, prompt_len=Tp)


def sft_batch_of(prompts: list[EncodedPrompt], targets: list[list[int]], pad_id: int) -> SFTBatch:
    return SFTBatch(**build_sequences(prompts, targets, pad_id))


def rollout_batch(prompts: list[EncodedPrompt], completions: list[list[Completion]], pad_id: int,
                  mask_truncated: bool = False) -> RolloutBatch:
    """The token batch of P prompts' groups of completions, rows in group order."""
    rows_p, rows_r, rows_lp, finish = [], [], [], []
    for p, comps in zip(prompts, completions):
        for c in comps:
            rows_p.append(p)
            rows_r.append(list(c.token_ids))
            rows_lp.append(c.logprobs)
            finish.append(c.finish_reason)
    seq = build_sequences(rows_p, rows_r, pad_id)
    if mask_truncated:  # DAPO: responses cut by the generation budget leave the loss
        seq["response_mask"] = truncation_mask(finish, seq["response_mask"])
    rollout_lp = None
    if all(lp is not None for lp in rows_lp):
        rollout_lp = torch.zeros_like(seq["response_mask"])
        lengths = torch.tensor([len(lp) for lp in rows_lp], dtype=torch.long)
        rows, cols = _scatter_rows(lengths, torch.zeros(len(rows_lp), dtype=torch.long))
        rollout_lp[rows, cols] = torch.tensor(list(chain.from_iterable(rows_lp)), dtype=torch.float32)
    return RolloutBatch(**seq, rollout_logprobs=rollout_lp)
