"""Structured configuration: dataclass schema + OmegaConf merge and validation."""

from .load import load_config, to_dict, to_yaml
from .schema import (AlgorithmConfig, BuildJob, Config, CriticConfig, DataConfig, DeepSpeedConfig, EvalConfig, LoraConfig,
                     ModelConfig, OptimConfig, PromptConfig, RewardConfig, RolloutConfig, RunConfig, SFTConfig,
                     SourceConfig, TrainConfig)

__all__ = ["load_config", "to_dict", "to_yaml", "Config", "RunConfig", "ModelConfig", "LoraConfig", "PromptConfig",
           "SourceConfig", "BuildJob", "DataConfig", "RolloutConfig", "AlgorithmConfig", "CriticConfig", "RewardConfig",
           "OptimConfig", "TrainConfig", "SFTConfig", "EvalConfig", "DeepSpeedConfig"]
