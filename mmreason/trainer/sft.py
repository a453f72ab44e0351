"""Supervised fine-tuning on reference answers (cold start, rejection-sampled data): loss on assistant tokens only.

Targets are rendered by the caller with the answer format (`<think>reasoning</think><answer>gold</answer>` for R1)
and followed by the end-of-turn token; the prompt (images included) is encoded exactly as for RL, so the SFT and RL policies see
the same inputs. With several ranks each takes its slice of the batch and the loss is normalised by the global
token count, so the update equals the one-process update on the whole batch.
"""

from __future__ import annotations

import time

from ..distributed import comm
from .batch import SFTBatch, sft_batch_of
from .logprobs import response_logprobs


def sft_target(answer_format, sample) -> str:
    """What SFT trains `sample` on: a completion kept by rejection sampling (`meta.sft_target`, written by
    `mmreason sample`) as it was generated, else the answer format's rendering of the reference reasoning and gold."""
    kept = sample.meta.get("sft_target")
    return kept if isinstance(kept, str) and kept else answer_format.target(sample.answer, sample.reasoning)


def sft_batch(encoder, samples, targets: list[str]) -> SFTBatch:
    """Rows of (prompt, target completion text)."""
    if len(targets) != len(samples):
        raise ValueError(f"{len(samples)} samples but {len(targets)} SFT targets")
    prompts = [encoder.encode(s) for s in samples]
    responses = [encoder.encode_completion(t) for t in targets]
    return sft_batch_of(prompts, responses, encoder.processor.tokenizer.pad_token_id)


def sft_step(backend, encoder, samples, targets: list[str], scheduler, *, micro_batch_size: int,
             keep_vision_alive: bool = False) -> dict:
    """One optimizer step of token-mean cross-entropy over the assistant tokens of `samples` with their `targets`
    (the global batch; this rank trains on its slice)."""
    t0 = time.perf_counter()
    world, rank = comm.world_size(), comm.rank()
    if len(samples) % world:
        raise ValueError(f"an SFT batch of {len(samples)} samples does not split evenly over {world} ranks")
    per = len(samples) // world
    mine = list(range(rank * per, (rank + 1) * per))
    batch = sft_batch(encoder, [samples[i] for i in mine], [targets[i] for i in mine])
    n_tokens = sum(comm.all_gather_object(float(batch.response_mask.sum())))
    n_tokens = max(n_tokens, 1.0)
    model = backend.module
    model.train()
    total = correct = 0.0
    for s in range(0, len(batch), micro_batch_size):
        micro = batch.select(list(range(s, min(len(batch), s + micro_batch_size))))
        logprobs, _ = response_logprobs(model, micro, image_token_id=encoder.image_token_id,
                                        merge_size=encoder.merge_size, keep_vision_alive=keep_vision_alive)
        loss = -(logprobs * micro.response_mask).sum() / n_tokens
        backend.backward(loss * backend.data_parallel_size)
        total += float(loss.detach())
        correct += float(((logprobs.detach() > -0.693) * micro.response_mask).sum())  # p > 0.5 ≈ greedy-correct
    grad_norm = backend.step()
    scheduler.step()
    return comm.reduce_metrics({"loss": total, "token_acc": correct * world / n_tokens,
                                "grad_norm": grad_norm, "lr": scheduler.get_last_lr()[0], "tokens": n_tokens,
                                "time/step": time.perf_counter() - t0})
