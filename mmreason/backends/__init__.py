"""Update backends: how a loss becomes a parameter update, and how that state is saved and restored.

    TorchBackend       one process: AdamW, global-norm clipping                 torch_backend.py
    DeepSpeedBackend   ZeRO 0/1/2/3 across processes, optional CPU offload       deepspeed_backend.py

Both satisfy `UpdateBackend`, so the RL and SFT loops and the checkpoints are written once and nothing outside
asks which one it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import torch

from .torch_backend import TorchBackend


class UpdateBackend(Protocol):
    module: torch.nn.Module          # what forwards run on (the DeepSpeed engine, or the model itself)
    optimizer: torch.optim.Optimizer  # the client optimizer (LR schedules act on its param groups)
    data_parallel_size: int          # gradients are averaged over this many ranks
    shards_parameters: bool          # True when parameters are sharded across ranks outside `gathered_weights()`

    def backward(self, loss: torch.Tensor) -> None:
        """Accumulate the gradient of `loss` (no rescaling: the caller normalises)."""

    def step(self) -> float:
        """Clip, apply the update, zero the gradients; returns the global gradient norm before clipping."""

    def gathered_weights(self):
        """Context in which the full (unsharded) named parameters can be read."""

    def save(self, directory: Path, state: dict) -> None:
        """Write the optimizer state (and what else the backend needs) plus `state` into `directory`; every rank
        calls it."""

    def load(self, directory: Path) -> dict:
        """Restore trained weights and optimizer state from a checkpoint directory; returns the saved `state`."""


__all__ = ["TorchBackend", "UpdateBackend"]
