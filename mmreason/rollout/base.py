"""The RolloutEngine seam: generate(prompts, sampling) -> completions grouped per prompt; load_weights(...)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Protocol, runtime_checkable

import torch

from ..prompts import EncodedPrompt
from ..types import Completion


@dataclass(frozen=True)
class SamplingParams:
    n: int = 1                      # completions per prompt (G)
    temperature: float = 1.0        # 0 = greedy
    top_p: float = 1.0
    top_k: int = 0                  # 0 = off
    max_new_tokens: int = 64
    stop: tuple[str, ...] = ()      # extra stop strings (end-of-turn tokens always stop)

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def with_(self, **kw) -> "SamplingParams":
        return replace(self, **kw)


@runtime_checkable
class RolloutEngine(Protocol):
    def generate(self, prompts: list[EncodedPrompt], sampling: SamplingParams) -> list[list[Completion]]:
        """For each prompt, `sampling.n` completions with token ids, text, per-token logprobs, finish reason."""

    def load_weights(self, named_tensors: Iterable[tuple[str, torch.Tensor]]) -> float:
        """Bring the engine's weights up to date with the trainer's; returns seconds spent."""


def make_engine(name: str, policy, *, batch_size: int = 64, **kwargs) -> RolloutEngine:
    if name == "hf":
        from .hf_engine import HFEngine
        return HFEngine(policy, batch_size=batch_size)
    if name == "vllm":
        from .vllm_engine import VLLMEngine
        return VLLMEngine(policy, **kwargs)
    raise ValueError(f"unknown rollout engine '{name}' (valid: hf, vllm)")
