"""The rollout batch: every row is one (prompt, completion) pair; tensors carry shape comments.

Layout of a sequence: [prompt, left-padded to Tp | response, right-padded to Tr]. Logprobs of the response
are read from the logits at positions Tp-1 … Tp+Tr-2. Rows keep a reference to their encoded prompt, so the
G rows of one group share its pixel tensors (no copies) and any subset of rows can be turned into model inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

from ..prompts import EncodedPrompt
from ..types import Completion


@dataclass
class RolloutBatch:
    prompts: list[EncodedPrompt]        # (B) encoded prompt of each row
    input_ids: torch.Tensor             # (B, Tp+Tr) prompt left-padded, response right-padded
    attention_mask: torch.Tensor        # (B, Tp+Tr)
    mm_token_type_ids: torch.Tensor     # (B, Tp+Tr) 1 on image tokens, 0 elsewhere (response included)
    response_mask: torch.Tensor         # (B, Tr) 1.0 on response tokens that count in the loss
    prompt_len: int                     # Tp
    rewards: torch.Tensor               # (B,) scalar reward per row
    advantages: torch.Tensor            # (B,) advantage per row (same for each of its tokens)
    group_ids: torch.Tensor             # (B,) index of the prompt group (0..P-1)
    rollout_logprobs: torch.Tensor | None = None  # (B, Tr) the engine's logprobs
    old_logprobs: torch.Tensor | None = None      # (B, Tr) trainer logprobs before the update (π_old)
    ref_logprobs: torch.Tensor | None = None      # (B, Tr) reference policy logprobs
    extras: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    @property
    def response_ids(self) -> torch.Tensor:  # (B, Tr)
        return self.input_ids[:, self.prompt_len:]

    def select(self, rows: list[int] | torch.Tensor) -> "RolloutBatch":
        idx = torch.as_tensor(rows, dtype=torch.long)
        pick = lambda t: None if t is None else t[idx]  # noqa: E731
        return replace(self, prompts=[self.prompts[i] for i in idx.tolist()], input_ids=self.input_ids[idx],
                       attention_mask=self.attention_mask[idx], mm_token_type_ids=self.mm_token_type_ids[idx],
                       response_mask=self.response_mask[idx], rewards=self.rewards[idx],
                       advantages=self.advantages[idx], group_ids=self.group_ids[idx],
                       rollout_logprobs=pick(self.rollout_logprobs), old_logprobs=pick(self.old_logprobs),
                       ref_logprobs=pick(self.ref_logprobs), extras=dict(self.extras))

    def model_inputs(self, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        """Keyword arguments for the model's forward over prompt + response (pixels in row order)."""
        out = {"input_ids": self.input_ids, "attention_mask": self.attention_mask,
               "mm_token_type_ids": self.mm_token_type_ids}
        pix = [p.pixel_values for p in self.prompts if p.pixel_values is not None]
        if pix:
            out["pixel_values"] = torch.cat(pix)
            out["image_grid_thw"] = torch.cat([p.image_grid_thw for p in self.prompts if p.image_grid_thw is not None])
        return {k: v.to(device) for k, v in out.items()}


def build_sequences(prompts: list[EncodedPrompt], responses: list[list[int]], pad_id: int
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, int]:
    """Pack prompt/response token lists into (input_ids, attention_mask, mm_token_type_ids, response_mask, Tp)."""
    B = len(prompts)
    Tp = max(len(p.input_ids) for p in prompts)
    Tr = max(1, max(len(r) for r in responses))
    input_ids = torch.full((B, Tp + Tr), pad_id, dtype=torch.long)
    attn = torch.zeros((B, Tp + Tr), dtype=torch.long)
    mm = torch.zeros((B, Tp + Tr), dtype=torch.long)
    resp_mask = torch.zeros((B, Tr), dtype=torch.float32)
    for i, (p, r) in enumerate(zip(prompts, responses)):
        n = len(p.input_ids)
        input_ids[i, Tp - n:Tp] = torch.tensor(p.input_ids)
        attn[i, Tp - n:Tp] = 1
        if p.mm_token_type_ids is not None:
            mm[i, Tp - n:Tp] = torch.tensor(p.mm_token_type_ids)
        if r:
            input_ids[i, Tp:Tp + len(r)] = torch.tensor(r)
            attn[i, Tp:Tp + len(r)] = 1
            resp_mask[i, :len(r)] = 1.0
    return input_ids, attn, mm, resp_mask, Tp


def make_batch(prompts: list[EncodedPrompt], completions: list[list[Completion]], rewards: torch.Tensor,
               advantages: torch.Tensor, pad_id: int, mask_truncated: bool = False) -> RolloutBatch:
    """Rows in group order: prompt 0's G completions, then prompt 1's, … `rewards`/`advantages` are (P, G)."""
    rows_p, rows_r, rows_lp, finish, gid = [], [], [], [], []
    for g, (p, comps) in enumerate(zip(prompts, completions)):
        for c in comps:
            rows_p.append(p)
            rows_r.append(list(c.token_ids))
            rows_lp.append(c.logprobs)
            finish.append(c.finish_reason)
            gid.append(g)
    input_ids, attn, mm, resp_mask, Tp = build_sequences(rows_p, rows_r, pad_id)
    if mask_truncated:
        keep = torch.tensor([f != "length" for f in finish], dtype=torch.float32)
        resp_mask = resp_mask * keep[:, None]
    rollout_lp = None
    if all(lp is not None for lp in rows_lp):
        rollout_lp = torch.zeros_like(resp_mask)
        for i, lp in enumerate(rows_lp):
            rollout_lp[i, :len(lp)] = torch.tensor(lp, dtype=torch.float32)
    return RolloutBatch(prompts=rows_p, input_ids=input_ids, attention_mask=attn, mm_token_type_ids=mm,
                        response_mask=resp_mask, prompt_len=Tp, rewards=rewards.reshape(-1).float(),
                        advantages=advantages.reshape(-1).float(), group_ids=torch.tensor(gid),
                        rollout_logprobs=rollout_lp, extras={"finish_reasons": finish})
