"""mmreason: RL with rule-checked rewards for vision-language reasoning models."""

__version__ = "0.1.0"
