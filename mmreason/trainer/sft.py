"""Supervised fine-tuning on reference answers (cold start, rejection-sampled data): loss on assistant tokens only.

Targets are rendered by the prompt format (`<think>reasoning</think><answer>gold</answer>` for R1) and followed by
the end-of-turn token; the prompt (images included) is encoded exactly as for RL, so the SFT and RL policies see
the same inputs.
"""

from __future__ import annotations

import time

import torch

from .batch import RolloutBatch, build_sequences
from .logprobs import response_logprobs


def sft_batch(encoder, samples, targets: list[str] | None = None) -> RolloutBatch:
    """Rows of (prompt, target completion). Targets default to the samples' reference reasoning + gold answer."""
    prompts = [encoder.encode(s) for s in samples]
    if targets is None:
        targets = [encoder.fmt.target(s.answer, s.reasoning) for s in samples]
    responses = [encoder.encode_completion(t) for t in targets]
    pad = encoder.processor.tokenizer.pad_token_id
    input_ids, attn, mm, mask, Tp = build_sequences(prompts, responses, pad)
    z = torch.zeros(len(samples))
    return RolloutBatch(prompts=prompts, input_ids=input_ids, attention_mask=attn, mm_token_type_ids=mm,
                        response_mask=mask, prompt_len=Tp, rewards=z, advantages=z, group_ids=torch.arange(len(samples)))


def sft_step(model, encoder, samples, optimizer, scheduler, *, micro_batch_size: int, grad_clip: float,
             targets: list[str] | None = None) -> dict:
    """One optimizer step of token-mean cross-entropy over the assistant tokens of `samples`."""
    t0 = time.perf_counter()
    batch = sft_batch(encoder, samples, targets)
    n_tokens = float(batch.response_mask.sum().clamp(min=1.0))
    model.train()
    optimizer.zero_grad(set_to_none=True)
    total = 0.0
    correct = 0.0
    for s in range(0, len(batch), micro_batch_size):
        micro = batch.select(list(range(s, min(len(batch), s + micro_batch_size))))
        logprobs, _ = response_logprobs(model, micro, image_token_id=encoder.image_token_id,
                                        merge_size=encoder.merge_size)
        loss = -(logprobs * micro.response_mask).sum() / n_tokens
        loss.backward()
        total += float(loss.detach())
        correct += float(((logprobs.detach() > -0.693) * micro.response_mask).sum())  # p > 0.5 ≈ greedy-correct
    params = [p for p in model.parameters() if p.requires_grad]
    gn = torch.nn.utils.clip_grad_norm_(params, grad_clip) if grad_clip > 0 else torch.tensor(0.0)
    optimizer.step()
    scheduler.step()
    return {"loss": total, "token_acc": correct / n_tokens, "grad_norm": float(gn),
            "lr": optimizer.param_groups[0]["lr"], "tokens": n_tokens, "time/step": time.perf_counter() - t0}
