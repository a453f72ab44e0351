"""RL math as pure functions: advantages, policy losses, loss aggregation, KL estimators (registered by name).

Importing this package registers every variant:

    ADVANTAGES     rewards (P, G) -> (advantages (P, G), metrics)          advantages.py
    POLICY_LOSSES  logprobs, old_logprobs, advantages, mask -> (loss (B, T), metrics)   losses.py
    AGGREGATIONS   per_token_loss (B, T), mask -> scalar                    aggregation.py

The helpers that are not chosen by name live beside them: KL estimators (kl.py), DAPO dynamic sampling and
truncation masks (sampling.py), reward shaping by length (shaping.py), the LR multiplier (schedule.py).
"""

from ..registry import Registry

ADVANTAGES: Registry = Registry("advantage estimator")
POLICY_LOSSES: Registry = Registry("policy loss")
AGGREGATIONS: Registry = Registry("loss aggregation")

# The modules register into the registries above, so they are imported after them.
from . import advantages, aggregation, losses  # noqa: E402,F401
from .aggregation import minibatch_totals  # noqa: E402
from .kl import KL_ESTIMATORS, kl_in_reward, kl_penalty  # noqa: E402
from .losses import tis_weights  # noqa: E402
from .sampling import informative_groups, truncation_mask  # noqa: E402
from .schedule import SCHEDULES, lr_lambda  # noqa: E402
from .shaping import kimi_length_reward, overlong_penalty  # noqa: E402

__all__ = ["ADVANTAGES", "POLICY_LOSSES", "AGGREGATIONS", "minibatch_totals", "KL_ESTIMATORS", "kl_penalty",
           "kl_in_reward", "tis_weights", "informative_groups", "truncation_mask", "SCHEDULES", "lr_lambda",
           "overlong_penalty", "kimi_length_reward"]
