"""The update backend on DeepSpeed (ZeRO 0/1/2/3, optional CPU offload, bf16 on GPUs, fp32 on CPU).

- The trainer owns gradient accumulation: `backward` per micro-batch (not rescaled), `step` once per minibatch.
  DeepSpeed averages gradients over data-parallel ranks; the trainer multiplies each rank's loss by the number
  of ranks (its loss is already normalised by the global minibatch totals), so the update equals the
  single-process update on the whole global batch.
- `gathered_weights()` materialises the full parameters once (one GatheredParameters over all of them, never
  nested) for the rollout engine's weight sync and for export.
- Under ZeRO-3 every rank must call the vision tower on every forward (see vision_keepalive.py).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import torch

from .ds_config import deepspeed_config

STATE_DIR = "deepspeed"


class DeepSpeedBackend:
    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, *, zero_stage: int,
                 micro_batch_size: int, rows_per_minibatch: int, grad_clip: float, dtype: str,
                 offload_optimizer: bool = False, offload_params: bool = False):
        import deepspeed

        from ..distributed.comm import world_size

        self.zero_stage = zero_stage
        self.config = deepspeed_config(zero_stage=zero_stage, micro_batch_size=micro_batch_size,
                                       rows_per_minibatch=rows_per_minibatch, world_size=world_size(),
                                       grad_clip=grad_clip, dtype=dtype, offload_optimizer=offload_optimizer,
                                       offload_params=offload_params)
        self.optimizer = optimizer  # the client optimizer: LR schedules act on its param groups, which DS reads
        self.engine, self.ds_optimizer, _, _ = deepspeed.initialize(model=model, optimizer=optimizer,
                                                                    config=self.config)
        self.module = self.engine
        self.data_parallel_size = world_size()
        self.shards_parameters = zero_stage == 3

    def backward(self, loss: torch.Tensor) -> None:
        self.engine.backward(loss, scale_wrt_gas=False)

    def step(self) -> float:
        self.engine.step()
        norm = self.engine.get_global_grad_norm()
        self.engine.zero_grad()
        return float(norm) if norm is not None else 0.0

    @property
    def base_model(self) -> torch.nn.Module:
        return self.engine.module

    def gathered_weights(self):
        """Full parameters readable inside the context (ZeRO-3: one all-gather of every parameter)."""
        if self.zero_stage != 3:
            return nullcontext()
        import deepspeed

        return deepspeed.zero.GatheredParameters(list(self.engine.module.parameters()), modifier_rank=None)

    def save(self, directory: Path, state: dict) -> None:
        """DeepSpeed's own checkpoint under `directory/deepspeed` (sharded optimizer state included, `state` as
        its client state); every rank must call it."""
        self.engine.save_checkpoint(str(Path(directory) / STATE_DIR), tag=STATE_DIR, client_state=state)

    def load(self, directory: Path) -> dict:
        path = Path(directory) / STATE_DIR
        if not path.is_dir():
            raise FileNotFoundError(f"{directory}: no {STATE_DIR}/ (a checkpoint written by another backend?)")
        _, client_state = self.engine.load_checkpoint(str(path), tag=STATE_DIR, load_optimizer_states=True,
                                                      load_lr_scheduler_states=False)
        return client_state or {}
