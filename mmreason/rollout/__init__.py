"""Rollout engines: generate G completions per prompt (transformers `generate` on CPU/GPU, vLLM on GPUs)."""

from .base import RolloutEngine, SamplingParams, make_engine

__all__ = ["RolloutEngine", "SamplingParams", "make_engine"]
