"""Multi-process training: process-group helpers (no-ops in one process) and the vision-tower keep-alive."""

from .comm import (all_gather_object, barrier, gather_rewards, init_from_env, is_distributed, is_main, rank,
                   reduce_metrics, world_size)

__all__ = ["all_gather_object", "barrier", "gather_rewards", "init_from_env", "is_distributed", "is_main", "rank",
           "reduce_metrics", "world_size"]
