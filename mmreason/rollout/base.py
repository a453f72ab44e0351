"""The RolloutEngine seam: generate(prompts, sampling) -> completions grouped per prompt; weights kept in step.

An engine is a class registered in ENGINES by name and built from the policy:

    engine = make_engine("hf", policy, separate_weights=False, seed=0, batch_size=64)

Whether it needs the trainer's weights pushed after every update is the engine's own knowledge
(`needs_weight_sync`): the transformers engine generating with the trainer's own module needs nothing; one that
holds its own copy (vLLM, or the transformers engine under ZeRO-3, where the trained module is sharded) does.
`separate_weights=True` asks an engine for its own copy of the weights.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, replace
from typing import Iterable, Protocol, runtime_checkable

import torch

from ..errors import ConfigError
from ..prompts import EncodedPrompt
from ..registry import Registry
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
    needs_weight_sync: bool  # True when the engine holds its own copy of the weights (push after each update)

    def generate(self, prompts: list[EncodedPrompt], sampling: SamplingParams) -> list[list[Completion]]:
        """For each prompt, `sampling.n` completions with token ids, text, per-token logprobs, finish reason."""

    def load_weights(self, named_tensors: Iterable[tuple[str, torch.Tensor]]) -> float:
        """Bring the engine's weights up to date with the trainer's; returns seconds spent."""

    def sleep(self) -> None:
        """Free the engine's memory while the trainer updates (a no-op where the backend has no sleep mode)."""

    def wake(self) -> None:
        """Undo `sleep` before the next generation."""

    def close(self) -> None:
        """Free what the engine holds (vLLM's engine and its memory) at the end of a run."""


ENGINES: Registry = Registry("rollout engine")


def _builtin_engines() -> None:
    from . import hf_engine, vllm_engine  # noqa: F401  (registration; vllm itself is imported only when built)


def make_engine(name: str, policy, *, separate_weights: bool = False, seed: int | None = None,
                **options) -> RolloutEngine:
    """Build the engine registered as `name` over `policy`.

    `options` are the engine's own keyword arguments (`rollout.engine_options`), refused with the valid names when
    the engine does not take them. Two arguments come from the run and reach the engines that declare them:
    `separate_weights` (the trainer's module is sharded, so an engine that would share it must hold its own copy)
    and `seed` (the run's seed; vLLM seeds its own sampler, the transformers engine draws from torch's global
    generator, which the run seeds).
    """
    _builtin_engines()
    cls = ENGINES.get(name)
    params = inspect.signature(cls).parameters
    context = {"separate_weights": separate_weights, "seed": seed}
    for key, value in context.items():
        if key in options:
            raise ConfigError(f"rollout.engine_options: '{key}' is set by the run, not by engine options")
        if key in params and value is not None:
            options[key] = value
    try:
        inspect.signature(cls).bind(policy, **options)
    except TypeError:
        valid = [n for n, p in params.items() if p.kind == p.KEYWORD_ONLY and n not in context]
        raise ConfigError(f"rollout.engine_options: engine '{name}' does not take "
                          f"{sorted(set(options) - set(context))}; valid options: {', '.join(valid) or 'none'}"
                          ) from None
    return cls(policy, **options)
