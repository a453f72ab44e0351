"""Process-group helpers. Every function is a no-op (or the identity) when not running distributed, so the
single-process path needs no special cases.

Launch with `torchrun --nproc_per_node N` or the `deepspeed` launcher: both set RANK/WORLD_SIZE/MASTER_*.
"""

from __future__ import annotations

import os
from datetime import timedelta

import torch
import torch.distributed as dist

from ..types import Metrics


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def is_main() -> bool:
    return rank() == 0


def launched_with_several_processes() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_from_env(timeout_s: float = 600.0, backend: str | None = None) -> bool:
    """Join the process group a launcher set up (returns False when there is none). gloo on CPU, nccl on GPUs.
    The timeout turns a hang (a collective some rank never reaches) into an error."""
    if is_distributed():
        return True
    if not launched_with_several_processes():
        return False
    import deepspeed

    backend = backend or ("nccl" if torch.cuda.is_available() else "gloo")
    deepspeed.init_distributed(dist_backend=backend, timeout=timedelta(seconds=timeout_s), verbose=False)
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return True


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def all_gather_object(obj) -> list:
    if not is_distributed():
        return [obj]
    out = [None] * world_size()
    dist.all_gather_object(out, obj)
    return out


def gather_rewards(local: torch.Tensor) -> torch.Tensor:
    """Concatenate every rank's (P_local, G) rewards in rank order into the global (P, G) tensor."""
    if not is_distributed():
        return local
    parts = all_gather_object(local.cpu())
    return torch.cat(parts, dim=0)


def reduce_metrics(metrics: dict) -> dict:
    """Merge per-rank step metrics: the names a `Metrics` declares summed (counts, totals, each rank's share of
    the loss) are summed over ranks, every other number is averaged over the ranks reporting it."""
    if not is_distributed():
        return metrics
    summed: set[str] = set()
    merged: dict[str, list[float]] = {}
    for m, declared in all_gather_object((dict(metrics), sorted(getattr(metrics, "summed", ())))):
        summed.update(declared)
        for k, v in m.items():
            if isinstance(v, (int, float)):
                merged.setdefault(k, []).append(float(v))
    out = Metrics(summed=summed)
    for k, vs in merged.items():
        out[k] = sum(vs) if k in summed else sum(vs) / len(vs)
    return out


def destroy() -> None:
    """End the process group cleanly (gloo can abort at exit otherwise)."""
    if is_distributed():
        dist.barrier()
        dist.destroy_process_group()
