"""RL math as pure functions: advantages, policy losses, loss aggregation, KL estimators (registered by name)."""

from ..registry import Registry

ADVANTAGES: Registry = Registry("advantage estimator")
POLICY_LOSSES: Registry = Registry("policy loss")
AGGREGATIONS: Registry = Registry("loss aggregation")
