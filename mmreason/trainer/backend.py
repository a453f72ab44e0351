"""The update backend seam: how a loss becomes a parameter update.

`TorchBackend` (one process: AdamW, global-norm clipping) and `DeepSpeedBackend` (ZeRO 0/2/3 across processes,
mmreason/distributed/deepspeed_backend.py) share four calls — backward, step, the module to run forwards on, and
state — so the RL and SFT loops are written once.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Protocol

import torch


class UpdateBackend(Protocol):
    module: torch.nn.Module          # what forwards run on (the DeepSpeed engine, or the model itself)
    data_parallel_size: int          # gradients are averaged over this many ranks

    def backward(self, loss: torch.Tensor) -> None: ...

    def step(self) -> float:
        """Clip, apply the update, zero the gradients; returns the global gradient norm before clipping."""

    def gathered_weights(self):
        """Context in which the full (unsharded) named parameters can be read."""


class TorchBackend:
    data_parallel_size = 1

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, grad_clip: float):
        self.module = model
        self.optimizer = optimizer
        self.grad_clip = grad_clip
        self.params = [p for p in model.parameters() if p.requires_grad]

    def backward(self, loss: torch.Tensor) -> None:
        loss.backward()

    def step(self) -> float:
        if self.grad_clip > 0:
            norm = torch.nn.utils.clip_grad_norm_(self.params, self.grad_clip)
        else:
            grads = [p.grad.detach().norm() for p in self.params if p.grad is not None]
            norm = torch.stack(grads).norm() if grads else torch.tensor(0.0)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(norm)

    def gathered_weights(self):
        return nullcontext()

    def state_dict(self) -> dict:
        return {"optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
