"""Learning-rate multiplier for torch.optim.lr_scheduler.LambdaLR: lr(step) = base_lr · lr_lambda(step, ...).

`step` counts optimizer steps from 0 (LambdaLR evaluates step 0 at construction, before the first update).

    warm-up (step < W):  (step + 1) / W        the first update already trains (lr/W), step W−1 reaches 1
    then, with p = (step − W) / (S − 1 − W) clipped to [0, 1]  (S = total_steps, so p = 1 at the last step):
      constant  1
      linear    r + (1 − r)(1 − p)
      cosine    r + (1 − r) · ½ (1 + cos π p)
    r = min_lr_ratio: the multiplier reached at the last step (S − 1) and kept beyond it.

Departure: the common "linear warm-up from 0" (transformers' get_*_schedule_with_warmup) gives step 0 a
learning rate of exactly 0, wasting the first update; here step 0 gets lr/W. When S − 1 − W ≤ 0 there is no
decay phase and the multiplier after warm-up is 1.
"""

from __future__ import annotations

import math

SCHEDULES = ("constant", "linear", "cosine")


def lr_lambda(step: int, warmup_steps: int, total_steps: int, schedule: str = "constant",
              min_lr_ratio: float = 0.0) -> float:
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule '{schedule}' (valid: {', '.join(SCHEDULES)})")
    if step < 0 or warmup_steps < 0:
        raise ValueError(f"step and warmup_steps must be >= 0, got {step} and {warmup_steps}")
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    decay_steps = total_steps - 1 - warmup_steps
    if schedule == "constant" or decay_steps <= 0:
        return 1.0
    p = min(1.0, (step - warmup_steps) / decay_steps)
    if schedule == "linear":
        return min_lr_ratio + (1.0 - min_lr_ratio) * (1.0 - p)
    return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * p))
