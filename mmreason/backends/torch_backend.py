"""The one-process update backend: AdamW over the trainable parameters, global-norm clipping, its own state file.

A checkpoint directory gets `trainer_state.pt`: the optimizer state, the caller's trainer state and the trained
tensors the checkpoint's `model/` (Hugging Face format) does not hold: a LoRA model's adapters (`model/` holds
them merged), a value head, or every trainable tensor of a model saved nowhere else (`weights_in_state`, e.g. a
separate critic). The rest of the weights are read back from `model/` on load.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import torch

from ..distributed import comm
from ..model import NOT_IN_POLICY_DIR
from ..safe_load import load_state_file

STATE_FILE = "trainer_state.pt"


class TorchBackend:
    data_parallel_size = 1
    shards_parameters = False

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, grad_clip: float,
                 weights_in_state: bool = False):
        self.module = model
        self.optimizer = optimizer
        self.grad_clip = grad_clip
        self.weights_in_state = weights_in_state  # the model has no `model/` directory of its own
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

    def _state_weights(self) -> dict[str, torch.Tensor]:
        """The trainable tensors `model/` does not hold (all of them when the model has no `model/`)."""
        named = {n: p.detach().clone() for n, p in self.module.named_parameters() if p.requires_grad}
        if self.weights_in_state or hasattr(self.module, "peft_config"):  # LoRA: the adapters are the trained weights
            return named
        return {n: p for n, p in named.items() if n.startswith(NOT_IN_POLICY_DIR)}

    def save(self, directory: Path, state: dict) -> None:
        if not comm.is_main():
            return
        weights = self._state_weights()
        extra = {"trainable": weights} if weights else {}
        torch.save({**state, "optimizer": self.optimizer.state_dict(), **extra}, Path(directory) / STATE_FILE)

    def load(self, directory: Path) -> dict:
        from ..model import load_model_weights

        directory = Path(directory)
        if not (directory / STATE_FILE).is_file():
            raise FileNotFoundError(f"{directory}: no {STATE_FILE} (a checkpoint written by another backend?)")
        state = load_state_file(directory / STATE_FILE)
        weights = state.get("trainable", {})
        if not self.weights_in_state and not hasattr(self.module, "peft_config"):
            load_model_weights(self.module, directory / "model")
        if weights:
            missing = set(weights) - {n for n, _ in self.module.named_parameters()}
            if missing:
                raise RuntimeError(f"checkpoint {directory} has trained weights the model lacks: {sorted(missing)[:5]}")
            self.module.load_state_dict(weights, strict=False)
        self.optimizer.load_state_dict(state["optimizer"])
        return state
