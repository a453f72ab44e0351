"""Rollout engines: generate G completions per prompt (transformers `generate` on CPU/GPU, vLLM on GPUs)."""

from .base import ENGINES, RolloutEngine, SamplingParams, make_engine

__all__ = ["ENGINES", "RolloutEngine", "SamplingParams", "make_engine"]
