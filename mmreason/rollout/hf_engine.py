"""Rollouts with transformers models: batched, left-padded, G samples per prompt, per-token logprobs.

By default (`share_prefill`) each distinct prompt is prefilled once and its G samples decode from its cache
(`shared_decode.py`: the vision tower and the prompt's tokens run once per prompt, not once per sample); with
stop strings, a model without multimodal RoPE positions, or `rollout.engine_options: {share_prefill: false}`,
transformers `generate` runs on G copies.

By default the engine generates with the trainer's own module, so a weight sync is free (nothing to copy);
with `separate_weights=True` (ZeRO-3 shards the trained module) it holds a full copy that `load_weights` refreshes. Vision
placeholder tokens are suppressed during sampling, so a completion can never desynchronise image features.
Logprobs are of the raw (temperature-scaled) distribution, not after top-p/top-k filtering.
"""

from __future__ import annotations

import copy
import time
from typing import Iterable

import torch
from transformers import GenerationConfig

from ..prompts import EncodedPrompt, collate_prompts
from ..types import Completion
from .base import ENGINES, SamplingParams
from ..mrope import rope_owner
from .shared_decode import sample_shared


@ENGINES.register("hf")
class HFEngine:
    def __init__(self, policy, *, separate_weights: bool = False, batch_size: int = 64, share_prefill: bool = True):
        if separate_weights:
            from ..model import Policy

            policy = Policy(model=copy.deepcopy(policy.model).eval(), processor=policy.processor)
        self.needs_weight_sync = separate_weights
        self.policy = policy
        self.batch_size = batch_size  # sequences per generate call
        self.share_prefill = share_prefill
        self.stop_ids = policy.stop_token_ids()
        self.banned_ids = policy.banned_token_ids()
        self.pad_id = policy.tokenizer.pad_token_id

    @property
    def model(self):
        return self.policy.model

    def load_weights(self, named_tensors: Iterable[tuple[str, torch.Tensor]] = ()) -> float:
        """Copy weights that are not already the policy's own tensors (shared modules need nothing)."""
        t0 = time.perf_counter()
        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for name, tensor in named_tensors:
                p = params[name]
                if p.data_ptr() != tensor.data_ptr():
                    p.copy_(tensor.to(p.device, p.dtype))
        return time.perf_counter() - t0

    def _gen_kwargs(self, sampling: SamplingParams) -> dict:
        """A complete sampling configuration: every knob that shapes the distribution is set here (top_k=0 is
        passed as 0, not left to a default of 50), and `generate` runs under a neutral generation config, so a
        checkpoint's own defaults (repetition_penalty, min_p, …) never change what is sampled."""
        kw = dict(max_new_tokens=sampling.max_new_tokens, eos_token_id=self.stop_ids, pad_token_id=self.pad_id,
                  suppress_tokens=self.banned_ids or None, return_dict_in_generate=True, output_logits=True)
        if sampling.greedy:
            kw.update(do_sample=False)
        else:
            kw.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k)
        if sampling.stop:
            kw.update(stop_strings=list(sampling.stop), tokenizer=self.policy.tokenizer)
        return kw

    def sleep(self) -> None:
        """Nothing to free: transformers generate holds no memory between calls."""

    def wake(self) -> None:
        """Nothing to restore."""

    def close(self) -> None:
        """Nothing held beyond the policy's own model."""

    @torch.no_grad()
    def generate(self, prompts: list[EncodedPrompt], sampling: SamplingParams) -> list[list[Completion]]:
        expanded = [(i, p) for i, p in enumerate(prompts) for _ in range(sampling.n)]
        out: list[list[Completion]] = [[] for _ in prompts]
        was_training, own_config = self.model.training, self.model.generation_config
        self.model.eval()
        self.model.generation_config = GenerationConfig()  # nothing of the checkpoint's defaults leaks in
        try:
            if self.share_prefill and not sampling.stop and rope_owner(self.model) is not None:
                self._generate_shared(prompts, sampling, out)
                return out
            for start in range(0, len(expanded), self.batch_size):
                chunk = expanded[start:start + self.batch_size]
                for (i, _), c in zip(chunk, self._generate_batch([p for _, p in chunk], sampling)):
                    out[i].append(c)
        finally:
            self.model.train(was_training)
            self.model.generation_config = own_config
        return out

    def _generate_shared(self, prompts: list[EncodedPrompt], sampling: SamplingParams,
                         out: list[list[Completion]]) -> None:
        per_call = max(1, self.batch_size // sampling.n)   # prompts per call: ≤ batch_size rows (one prompt at least)
        for start in range(0, len(prompts), per_call):
            chunk = prompts[start:start + per_call]
            tokens, logprobs = sample_shared(self.model, chunk, sampling, stop_ids=self.stop_ids,
                                             banned_ids=self.banned_ids, pad_id=self.pad_id)
            for r in range(tokens.shape[0]):
                out[start + r // sampling.n].append(self._completion(tokens[r], logprobs[r]))

    def _generate_batch(self, prompts: list[EncodedPrompt], sampling: SamplingParams) -> list[Completion]:
        device = next(self.model.parameters()).device
        batch = {k: v.to(device) for k, v in collate_prompts(prompts, self.pad_id).items()}
        res = self.model.generate(**batch, **self._gen_kwargs(sampling))
        T = batch["input_ids"].shape[1]
        seqs = res.sequences[:, T:].cpu()
        logits = torch.stack(res.logits, dim=1).float().cpu()  # (B, L, V) raw logits per generated step
        if not sampling.greedy and sampling.temperature != 1.0:
            logits = logits / sampling.temperature
        logprobs = torch.log_softmax(logits, dim=-1).gather(-1, seqs.unsqueeze(-1)).squeeze(-1)
        return [self._completion(seqs[b], logprobs[b], sampling.stop) for b in range(seqs.shape[0])]

    def _completion(self, ids: torch.Tensor, logprobs: torch.Tensor, stop: tuple[str, ...] = ()) -> Completion:
        """Only the tokens the policy sampled: up to the first stop token, or up to the token that completes a
        stop string (generate pads the rest of a finished sequence; those tokens were never sampled)."""
        ids_l = ids.tolist()
        n, finish = len(ids_l), "length"
        for j, t in enumerate(ids_l):
            if t in self.stop_ids:
                n, finish = j + 1, "stop"
                break
        decode = self.policy.tokenizer.decode
        if stop and any(s in decode(ids_l[:n], skip_special_tokens=True) for s in stop):  # else no prefix has one
            for j in range(1, n + 1):
                if any(s in decode(ids_l[:j], skip_special_tokens=True) for s in stop):
                    n, finish = j, "stop"
                    break
        token_ids = ids_l[:n]
        if self.banned_ids and any(t in self.banned_ids for t in token_ids):  # unreachable with suppression
            raise RuntimeError("a vision placeholder token was sampled despite suppression")
        text = self.policy.tokenizer.decode(token_ids, skip_special_tokens=True)
        return Completion(token_ids=token_ids, text=text, logprobs=logprobs[:n].tolist(), finish_reason=finish)
