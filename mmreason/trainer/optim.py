"""AdamW over the trainable parameters and a LambdaLR schedule (warm-up, then constant/linear/cosine)."""

from __future__ import annotations

import functools

import torch

from ..algorithms.schedule import lr_lambda


def make_optimizer(model, lr: float, weight_decay: float = 0.0, betas=(0.9, 0.999), eps: float = 1e-8):
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters")
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, betas=betas, eps=eps)


def make_scheduler(optimizer, warmup_steps: int, total_steps: int, schedule: str, min_lr_ratio: float = 0.0):
    fn = functools.partial(lr_lambda, warmup_steps=warmup_steps, total_steps=max(total_steps, 1),
                           schedule=schedule, min_lr_ratio=min_lr_ratio)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, fn)
