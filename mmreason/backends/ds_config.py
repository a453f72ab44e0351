"""The DeepSpeed config, derived from the trainer config so batch sizes agree by construction."""

from __future__ import annotations

import math


def deepspeed_config(*, zero_stage: int, micro_batch_size: int, rows_per_minibatch: int, world_size: int,
                     grad_clip: float, dtype: str, offload_optimizer: bool = False, offload_params: bool = False
                     ) -> dict:
    """A DeepSpeed config for the RL/SFT update.

    `rows_per_minibatch` is the number of sequences one rank contributes to one optimizer step. Gradient
    accumulation is owned by the trainer (`managed_gradient_accumulation: false`): it calls backward once per
    micro-batch and step once per minibatch, so a minibatch may hold any number of micro-batches; the sizes below
    describe the usual case (micro × accumulation × ranks = global batch) for DeepSpeed's own bookkeeping.
    """
    gas = max(1, math.ceil(rows_per_minibatch / micro_batch_size))
    zero: dict = {"stage": zero_stage, "overlap_comm": False, "contiguous_gradients": True}
    if offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": False}
    if offload_params:
        zero["offload_param"] = {"device": "cpu", "pin_memory": False}
    if zero_stage == 3:
        zero.update({"stage3_gather_16bit_weights_on_model_save": True, "stage3_param_persistence_threshold": 0})
    return {
        "train_micro_batch_size_per_gpu": micro_batch_size,
        "gradient_accumulation_steps": gas,
        "train_batch_size": micro_batch_size * gas * world_size,
        "managed_gradient_accumulation": False,
        "gradient_clipping": float(grad_clip),
        "zero_optimization": zero,
        "bf16": {"enabled": dtype == "bfloat16"},
        "fp16": {"enabled": dtype == "float16"},
        "zero_allow_untested_optimizer": True,
        "zero_force_ds_cpu_optimizer": False,
        "steps_per_print": 1_000_000_000,
        "wall_clock_breakdown": False,
    }
