"""The one-process update backend: AdamW over the trainable parameters, global-norm clipping, its own state file.

A checkpoint directory gets `trainer_state.pt`: the optimizer state, the caller's trainer state and, for a LoRA
model, the adapter weights (the trained weights; the checkpoint's `model/` holds them merged). Without LoRA the
weights are read back from the checkpoint's `model/` (Hugging Face format) on load.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import torch

from ..distributed import comm

STATE_FILE = "trainer_state.pt"


class TorchBackend:
    data_parallel_size = 1
    shards_parameters = False

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

    def save(self, directory: Path, state: dict) -> None:
        if not comm.is_main():
            return
        extra = {}
        if hasattr(self.module, "peft_config"):  # LoRA: the adapters are the trained weights
            extra["trainable"] = {n: p.detach().clone() for n, p in self.module.named_parameters() if p.requires_grad}
        torch.save({**state, "optimizer": self.optimizer.state_dict(), **extra}, Path(directory) / STATE_FILE)

    def load(self, directory: Path) -> dict:
        from ..model import load_model_weights

        directory = Path(directory)
        if not (directory / STATE_FILE).is_file():
            raise FileNotFoundError(f"{directory}: no {STATE_FILE} (a checkpoint written by another backend?)")
        state = torch.load(directory / STATE_FILE, weights_only=False)
        if "trainable" in state:
            missing = set(state["trainable"]) - {n for n, _ in self.module.named_parameters()}
            if missing:
                raise RuntimeError(f"checkpoint {directory} has adapter weights the model lacks: {sorted(missing)[:5]}")
            self.module.load_state_dict(state["trainable"], strict=False)
        else:
            load_model_weights(self.module, directory / "model")
        self.optimizer.load_state_dict(state["optimizer"])
        return state
