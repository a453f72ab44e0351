"""The config schema: one dataclass per section, each field documented in one line beside it.

YAML files in configs/ hold only what differs from these defaults. Validation lives in `validate()`
methods that raise ConfigError naming the dotted key. Names of registered parts (adapters, algorithm variants,
engines, templates) are checked where the parts are built (`mmreason.wiring.check_names`), not here: the schema
imports nothing above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import ConfigError


def _check(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"{key}: {msg}")


def _one_of(value: Any, choices: tuple, key: str) -> None:
    _check(value in choices, key, f"must be one of {', '.join(map(str, choices))}, got {value!r}")


@dataclass
class RunConfig:
    out_dir: str = "runs/default"      # run directory: checkpoints, metrics.jsonl, summary.json
    seed: int = 0                      # seeds data order, sampling and init
    device: str = "auto"               # auto | cpu | cuda
    threads: int = 0                   # torch intra-op threads (0 = leave as is)

    def validate(self, p: str) -> None:
        _one_of(self.device, ("auto", "cpu", "cuda"), f"{p}.device")
        _check(self.threads >= 0, f"{p}.threads", "must be >= 0")


@dataclass
class LoraConfig:
    enabled: bool = False              # train LoRA adapters (peft) instead of full weights
    r: int = 8                         # LoRA rank
    alpha: int = 16                    # LoRA scaling numerator
    dropout: float = 0.0               # LoRA dropout
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])

    def validate(self, p: str) -> None:
        _check(self.r > 0, f"{p}.r", "must be > 0")
        _check(0.0 <= self.dropout < 1.0, f"{p}.dropout", "must be in [0, 1)")


@dataclass
class ModelConfig:
    path: str = ""                     # local dir or hub id; "" = build the embedded tiny VLM in the run dir
    tiny_size: str = "tiny"            # embedded model size when path is "": tiny | small
    tiny_seed: int = 0                 # seed of the embedded model's random weights
    dtype: str = "float32"             # float32 | bfloat16 | float16
    attn_implementation: str = "sdpa"  # sdpa | eager | flash_attention_2
    min_pixels: Optional[int] = None   # image processor pixel floor (None = the model dir's value)
    max_pixels: Optional[int] = None   # image processor pixel cap (None = the model dir's value)
    freeze_vision: bool = False        # keep the vision tower's weights fixed
    gradient_checkpointing: bool = False
    lora: LoraConfig = field(default_factory=LoraConfig)

    def validate(self, p: str) -> None:
        _one_of(self.attn_implementation, ("sdpa", "eager", "flash_attention_2"), f"{p}.attn_implementation")
        for k in ("min_pixels", "max_pixels"):
            v = getattr(self, k)
            _check(v is None or v > 0, f"{p}.{k}", "must be > 0")
        if self.min_pixels and self.max_pixels:
            _check(self.min_pixels <= self.max_pixels, f"{p}.min_pixels", "must be <= max_pixels")
        self.lora.validate(f"{p}.lora")


@dataclass
class PromptConfig:
    system_prompt: Optional[str] = None  # optional system turn
    template: str = "r1"               # r1 (<think>…</think><answer>…</answer>) | plain (answer only)
    think_tag: str = "think"           # tag name holding the reasoning
    answer_tag: str = "answer"         # tag name holding the final answer
    instruction: Optional[str] = None  # text appended to the question (None = the template's default)
    max_prompt_length: int = 1024      # prompts longer than this (in tokens, images included) are refused

    def validate(self, p: str) -> None:
        _check(self.max_prompt_length > 0, f"{p}.max_prompt_length", "must be > 0")
        for k in ("think_tag", "answer_tag"):
            v = getattr(self, k)
            _check(bool(v) and v.replace("_", "").isalnum(), f"{p}.{k}", "must be a plain tag name like 'answer'")


@dataclass
class SourceConfig:
    name: str = ""                     # source name (metrics are reported per source)
    adapter: str = ""                  # registered adapter name (vqa, ocr, puzzles, text_math) or 'pkg.mod:Class'
    path: str = ""                     # file or directory the adapter reads
    weight: float = 1.0                # mixture weight
    split: Optional[str] = None        # split to read where the data has several
    limit: Optional[int] = None        # use at most this many rows
    options: dict[str, Any] = field(default_factory=dict)  # adapter-specific options (column names, ...)

    def validate(self, p: str) -> None:
        _check(bool(self.adapter), f"{p}.adapter", "is required")
        _check(bool(self.path), f"{p}.path", "is required")
        _check(self.weight > 0, f"{p}.weight", "must be > 0")
        _check(self.limit is None or self.limit > 0, f"{p}.limit", "must be > 0")


@dataclass
class BuildJob:
    kind: str = "puzzles"              # puzzles | ocr
    out: str = ""                      # output dataset directory
    n: int = 100                       # number of items
    seed: int = 0                      # item keys are hashed from (seed, family, split, index)
    split: str = "train"               # train | heldout (disjoint by a hash of the puzzle state)
    difficulty: str = "1-3"            # level or range, e.g. "2" or "1-5"
    families: list[str] = field(default_factory=list)  # empty = all families of the kind
    image_size: int = 224              # rendered image side in pixels
    format: str = "jsonl"              # jsonl | parquet

    def validate(self, p: str) -> None:
        _check(bool(self.out), f"{p}.out", "is required")
        _check(self.n > 0, f"{p}.n", "must be > 0")


@dataclass
class DataConfig:
    build: list[BuildJob] = field(default_factory=list)      # datasets to generate before training (skipped if present)
    train: list[SourceConfig] = field(default_factory=list)  # training mixture
    eval: list[SourceConfig] = field(default_factory=list)   # held-out evaluation sources
    skip_bad_rows: bool = False        # skip (and count) bad rows instead of failing on the first

    def validate(self, p: str) -> None:
        for i, b in enumerate(self.build):
            b.validate(f"{p}.build[{i}]")
        for group in ("train", "eval"):
            names = set()
            for i, s in enumerate(getattr(self, group)):
                s.validate(f"{p}.{group}[{i}]")
                s.name = s.name or f"{s.adapter.split(':')[-1]}_{i}"
                _check(s.name not in names, f"{p}.{group}[{i}].name", f"duplicate source name '{s.name}'")
                names.add(s.name)


@dataclass
class RolloutConfig:
    engine: str = "hf"                 # registered rollout engine: hf (transformers generate, CPU/GPU) | vllm
    group_size: int = 8                # G: samples per prompt
    prompts_per_step: int = 8          # P: prompts per training step
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0                     # 0 = off
    max_new_tokens: int = 64
    stop: list[str] = field(default_factory=list)  # extra stop strings (the end-of-turn token always stops)
    engine_options: dict[str, Any] = field(default_factory=dict)  # the engine's own keyword arguments (hf:
    #   batch_size (sequences per generate call, 64); vllm: gpu_memory_utilization, tensor_parallel_size, ...)

    def validate(self, p: str) -> None:
        _check(bool(self.engine), f"{p}.engine", "is required")
        _check(self.group_size >= 1, f"{p}.group_size", "must be >= 1")
        _check(self.prompts_per_step >= 1, f"{p}.prompts_per_step", "must be >= 1")
        _check(self.temperature >= 0, f"{p}.temperature", "must be >= 0")
        _check(0 < self.top_p <= 1, f"{p}.top_p", "must be in (0, 1]")
        _check(self.max_new_tokens >= 1, f"{p}.max_new_tokens", "must be >= 1")


@dataclass
class AlgorithmConfig:
    advantage: str = "grpo"            # grpo | dr_grpo | rloo | reinforce_pp | kimi
    loss: str = "ppo_clip"             # ppo_clip | gspo | kimi
    aggregation: str = "seq_mean_token_mean"  # seq_mean_token_mean (GRPO) | token_mean (DAPO) | seq_mean_token_sum_norm (Dr. GRPO)
    clip_low: float = 0.2              # ε_low: ratio floor 1 − ε_low
    clip_high: float = 0.2             # ε_high: ratio ceiling 1 + ε_high (DAPO clip-higher: 0.28)
    kimi_tau: float = 0.1              # Kimi k1.5: weight τ of the l2 penalty on the log-ratio
    norm_constant: Optional[int] = None  # Dr. GRPO divisor (None = rollout.max_new_tokens)
    adv_eps: float = 1e-6              # added to the std in advantage normalisation
    kl_beta: float = 0.0               # β; 0 = no reference model is loaded at all
    kl_estimator: str = "k3"           # k1 | k2 | k3
    kl_in_reward: bool = False         # fold −β·KL into the reward instead of the loss
    ref_reset_every: int = 0           # reset the reference to the policy every N steps (0 = never)
    dynamic_sampling: bool = False     # DAPO: drop all-equal-reward groups, sample more until the batch is full
    max_sampling_rounds: int = 3       # cap on extra generation rounds for dynamic sampling
    mask_truncated: bool = False       # exclude responses cut by max_new_tokens from the loss
    tis_cap: Optional[float] = None    # truncated importance-sampling cap on π_old/π_rollout (None = off)

    def validate(self, p: str) -> None:
        _check(0 <= self.clip_low < 1, f"{p}.clip_low", "must be in [0, 1)")
        _check(self.clip_high >= 0, f"{p}.clip_high", "must be >= 0")
        _check(self.kl_beta >= 0, f"{p}.kl_beta", "must be >= 0")
        _check(self.max_sampling_rounds >= 0, f"{p}.max_sampling_rounds", "must be >= 0")
        _check(self.tis_cap is None or self.tis_cap >= 1, f"{p}.tis_cap", "must be >= 1")


@dataclass
class RewardConfig:
    accuracy_weight: float = 1.0       # weight of the verifier's accuracy
    format_weight: float = 0.5         # weight of the R1 format check (0 = off)
    overlong_max: Optional[int] = None # DAPO overlong shaping L_max in tokens (None = off)
    overlong_cache: int = 16           # DAPO L_cache
    length_weight: float = 0.0         # Kimi k1.5 length reward weight (0 = off)
    length_warmup_steps: int = 0       # Kimi: length reward switched on after this many steps
    timeout_s: float = 2.0             # per-verification time bound
    max_chars: int = 20000             # completions longer than this are scored 0 (reason counted)
    workers: int = 1                   # verifier worker processes

    def validate(self, p: str) -> None:
        _check(self.accuracy_weight >= 0 and self.format_weight >= 0, f"{p}.format_weight", "weights must be >= 0")
        _check(self.timeout_s > 0, f"{p}.timeout_s", "must be > 0")
        _check(self.workers >= 1, f"{p}.workers", "must be >= 1")
        _check(self.overlong_max is None or self.overlong_max > self.overlong_cache, f"{p}.overlong_max",
               "must be > overlong_cache")


@dataclass
class OptimConfig:
    lr: float = 1e-4
    weight_decay: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    warmup_steps: int = 0              # linear warm-up from 0
    schedule: str = "constant"         # constant | linear | cosine (decay to min_lr_ratio·lr at the last step)
    min_lr_ratio: float = 0.0
    grad_clip: float = 1.0             # max global grad norm (0 = off)

    def validate(self, p: str) -> None:
        _check(self.lr > 0, f"{p}.lr", "must be > 0")
        _check(self.warmup_steps >= 0, f"{p}.warmup_steps", "must be >= 0")
        _check(self.grad_clip >= 0, f"{p}.grad_clip", "must be >= 0")


@dataclass
class TrainConfig:
    steps: int = 0                     # RL steps (0 = no RL)
    epochs_per_batch: int = 1          # passes over each rollout batch
    minibatches: int = 1               # optimizer steps per pass (ratio and clip act when > 1 in total)
    micro_batch_size: int = 16         # sequences per forward/backward (gradient accumulation)
    save_every: int = 0                # checkpoint every N steps (0 = only at the end)
    keep_checkpoints: int = 2          # complete checkpoints kept
    eval_every: int = 0                # held-out evaluation every N steps (0 = only before/after)
    resume: bool = False               # continue from the last complete checkpoint in run.out_dir
    log_every: int = 1

    def validate(self, p: str) -> None:
        _check(self.steps >= 0, f"{p}.steps", "must be >= 0")
        _check(self.epochs_per_batch >= 1, f"{p}.epochs_per_batch", "must be >= 1")
        _check(self.minibatches >= 1, f"{p}.minibatches", "must be >= 1")
        _check(self.micro_batch_size >= 1, f"{p}.micro_batch_size", "must be >= 1")
        _check(self.keep_checkpoints >= 1, f"{p}.keep_checkpoints", "must be >= 1")


@dataclass
class SFTConfig:
    steps: int = 0                     # cold-start SFT steps on reference reasoning (0 = skip)
    batch_size: int = 32
    lr: float = 1e-3
    warmup_steps: int = 10
    schedule: str = "cosine"
    micro_batch_size: int = 32

    def validate(self, p: str) -> None:
        _check(self.steps >= 0, f"{p}.steps", "must be >= 0")
        _check(self.batch_size >= 1 and self.micro_batch_size >= 1, f"{p}.batch_size", "must be >= 1")
        _check(self.lr > 0, f"{p}.lr", "must be > 0")


@dataclass
class EvalConfig:
    n: int = 200                       # held-out samples evaluated (from data.eval)
    greedy: bool = True                # report greedy accuracy
    sampled: bool = True               # report accuracy at rollout temperature
    max_new_tokens: Optional[int] = None  # None = rollout.max_new_tokens
    batch_size: int = 64

    def validate(self, p: str) -> None:
        _check(self.n >= 1, f"{p}.n", "must be >= 1")
        _check(self.greedy or self.sampled, f"{p}.greedy", "one of greedy/sampled must be true")


@dataclass
class DeepSpeedConfig:
    enabled: bool = False              # run the update through DeepSpeed
    zero_stage: int = 2                # 0 | 1 | 2 | 3
    offload_optimizer: bool = False    # ZeRO-Offload of optimizer state to CPU
    offload_params: bool = False       # ZeRO-3 parameter offload to CPU
    timeout_s: int = 600               # collective timeout: a hang becomes an error

    def validate(self, p: str) -> None:
        _one_of(self.zero_stage, (0, 1, 2, 3), f"{p}.zero_stage")
        _check(not self.offload_params or self.zero_stage == 3, f"{p}.offload_params", "needs zero_stage 3")


@dataclass
class Config:
    run: RunConfig = field(default_factory=RunConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    prompt: PromptConfig = field(default_factory=PromptConfig)
    data: DataConfig = field(default_factory=DataConfig)
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    algorithm: AlgorithmConfig = field(default_factory=AlgorithmConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    sft: SFTConfig = field(default_factory=SFTConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    deepspeed: DeepSpeedConfig = field(default_factory=DeepSpeedConfig)

    def validate(self) -> "Config":
        for name in self.__dataclass_fields__:
            getattr(self, name).validate(name)
        return self
