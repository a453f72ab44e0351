"""One DPO optimizer step over preference pairs, on the SFT batch and logprob code (images in the prompt).

A pair is a sample whose `meta` holds `chosen` and `rejected` completion texts (written by `mmreason sample
sample.pairs=...`). Each micro-batch encodes the prompt once per response — chosen rows first, then rejected — and
runs one forward of the policy (with gradients) and one of the frozen reference (without); the sequence sums of
the response tokens' logprobs go to `algorithms.dpo.dpo_loss`. The loss is the mean over the global batch of pairs
(each rank takes its slice), so micro-batching and ranks never change the update. Dropout is off in both forwards,
so at the first step policy and reference agree exactly (loss log 2).
"""

from __future__ import annotations

import time

import torch

from ..algorithms.dpo import dpo_loss
from ..distributed import comm
from ..errors import DataError
from ..types import Metrics
from .logprobs import response_logprobs, without_dropout
from .sft import sft_batch


def pair_texts(samples) -> tuple[list[str], list[str]]:
    """The chosen and rejected texts of each pair sample; a sample without them is an error naming it."""
    chosen, rejected = [], []
    for s in samples:
        c, r = s.meta.get("chosen"), s.meta.get("rejected")
        if not (isinstance(c, str) and isinstance(r, str) and c and r):
            raise DataError(f"sample '{s.id}' of source '{s.source}' is not a preference pair (needs meta.chosen "
                            "and meta.rejected texts, as `mmreason sample sample.pairs=...` writes)", field="meta")
        chosen.append(c)
        rejected.append(r)
    return chosen, rejected


def sequence_logps(model, encoder, samples, texts, keep_vision_alive: bool = False, with_counts: bool = False):
    """(B,) sums of the logprobs of each text's tokens (end-of-turn included) after its prompt (and (B,) token
    counts with `with_counts`)."""
    batch = sft_batch(encoder, samples, texts)
    lp, _ = response_logprobs(model, batch, image_token_id=encoder.image_token_id, merge_size=encoder.merge_size,
                              keep_vision_alive=keep_vision_alive)
    sums = (lp * batch.response_mask).sum(1)
    return (sums, batch.response_mask.sum(1).float()) if with_counts else sums


def _micro(backend, ref_model, encoder, samples, chosen, rejected, beta: float, n_total: int, vision: bool,
           sft_weight: float = 0.0):
    m = len(samples)
    both, counts = sequence_logps(backend.module, encoder, samples + samples, chosen + rejected, vision,
                                  with_counts=True)
    with torch.no_grad(), without_dropout(ref_model):
        ref = sequence_logps(ref_model, encoder, samples + samples, chosen + rejected)
    losses, metrics = dpo_loss(both[:m], both[m:], ref[:m], ref[m:], beta, sft_weight=sft_weight,
                               chosen_tokens=counts[:m])
    loss = losses.sum() / n_total
    backend.backward(loss * backend.data_parallel_size)
    return float(loss.detach()), metrics


def dpo_step(backend, ref_model, encoder, samples, scheduler, *, beta: float, micro_batch_size: int,
             keep_vision_alive: bool = False, sft_weight: float = 0.0) -> dict:
    """One optimizer step on the global batch of pair samples (this rank trains on its slice)."""
    t0 = time.perf_counter()
    world, rank = comm.world_size(), comm.rank()
    if len(samples) % world:
        raise ValueError(f"a DPO batch of {len(samples)} pairs does not split evenly over {world} ranks")
    per = len(samples) // world
    mine = samples[rank * per:(rank + 1) * per]
    chosen, rejected = pair_texts(mine)
    model = backend.module
    model.train()
    total, sums = 0.0, {}
    with without_dropout(model):
        for s in range(0, per, micro_batch_size):
            sl = slice(s, min(per, s + micro_batch_size))
            loss, m = _micro(backend, ref_model, encoder, mine[sl], chosen[sl], rejected[sl], beta, len(samples),
                             keep_vision_alive, sft_weight)
            total += loss
            for k, v in m.items():
                sums[k] = sums.get(k, 0.0) + v * (sl.stop - sl.start) / per
    grad_norm = backend.step()
    scheduler.step()
    out = {"loss": total, "grad_norm": grad_norm, "lr": scheduler.get_last_lr()[0], **sums,
           "time/step": time.perf_counter() - t0}
    metrics = Metrics(out)
    metrics.add_sum("loss", total)  # each rank's share of the global mean
    return comm.reduce_metrics(metrics)
