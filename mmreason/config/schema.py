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
from .stages_schema import (CurriculumConfig, DPOConfig, PrioritizedConfig, SampleConfig, validate_pipeline,
                            validate_samplers)


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
    weight_schedule: Optional[list[Any]] = None  # RL: [[step, weight], ...] piecewise-linear weight (None = `weight`)

    def validate(self, p: str) -> None:
        _check(bool(self.adapter), f"{p}.adapter", "is required")
        if self.weight_schedule is not None:
            pts = self.weight_schedule
            _check(bool(pts) and all(isinstance(x, (list, tuple)) and len(x) == 2 for x in pts),
                   f"{p}.weight_schedule", f"must be a list of [step, weight] pairs, got {pts!r}")
            _check(all(float(x[0]) >= 0 and float(x[1]) > 0 for x in pts), f"{p}.weight_schedule",
                   "steps must be >= 0 and weights > 0")
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
    build: list[BuildJob] = field(default_factory=list)      # built before training (a same build there is kept)
    train: list[SourceConfig] = field(default_factory=list)  # training mixture
    eval: list[SourceConfig] = field(default_factory=list)   # held-out evaluation sources
    skip_bad_rows: bool = False        # skip (and count) bad rows instead of failing on the first
    balance: str = "none"              # RL source weights: none | success (× max(floor, 1 − running accuracy))
    balance_floor: float = 0.1         # smallest success factor, so solved sources are still revisited
    balance_ema: float = 0.2           # weight of each step in the running per-source accuracy
    budget_check: str = "warn"         # start-up check that targets/prompts fit the token budgets: warn | error | off
    sampler: str = "mixture"           # RL prompt sampler: mixture (weighted sources) | curriculum | prioritized
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)     # data.sampler=curriculum
    prioritized: PrioritizedConfig = field(default_factory=PrioritizedConfig)  # data.sampler=prioritized

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
        validate_samplers(self, p)


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
    advantage: str = "grpo"            # grpo | dr_grpo | rloo | reinforce_pp | kimi | gae (PPO, with critic.enabled)
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
    dynamic_sampling: bool = False     # DAPO: drop groups whose samples all score the same, sample more until full
    informative_by: str = "accuracy"   # what "all the same" is judged on: accuracy (DAPO) | reward (incl. format, length)
    normalize_by_source: bool = False  # rescale each source's advantages to unit std (mixtures: equal say per source)
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
class CriticConfig:
    enabled: bool = False              # PPO: learn a value function; advantages by GAE (algorithm.advantage=gae)
    separate: bool = False             # a separate critic model (the policy's copy + a value head), else a head on the trunk
    lr: Optional[float] = None         # learning rate of a separate critic (None = optim.lr)
    vf_coef: float = 0.5               # weight of the value loss added to the policy loss (shared trunk)
    value_clip: float = 0.2            # ε_v: the value loss clips V to V_old ± ε_v
    gamma: float = 1.0                 # GAE discount γ
    lam: float = 0.95                  # GAE λ
    warmup_steps: int = 0              # the first N RL steps train only the critic (the policy does not move)
    whiten_advantages: bool = True     # normalise GAE advantages over the batch's tokens

    def validate(self, p: str) -> None:
        _check(self.lr is None or self.lr > 0, f"{p}.lr", "must be > 0")
        _check(self.vf_coef >= 0, f"{p}.vf_coef", "must be >= 0")
        _check(self.value_clip > 0, f"{p}.value_clip", "must be > 0")
        _check(0 < self.gamma <= 1 and 0 <= self.lam <= 1, f"{p}.gamma", "need 0 < gamma <= 1 and 0 <= lam <= 1")
        _check(self.warmup_steps >= 0, f"{p}.warmup_steps", "must be >= 0")


@dataclass
class RewardConfig:
    accuracy_weight: float = 1.0       # weight of the verifier's accuracy
    format_weight: float = 0.5         # weight of the R1 format check (0 = off)
    combine: str = "sum"               # sum (w_a·acc + w_f·fmt) | gated (w_a·acc·fmt) | format_if_correct (w_a·acc + w_f·fmt·acc)
    overlong_max: Optional[int] = None # DAPO overlong shaping L_max in tokens (None = off)
    overlong_cache: int = 16           # DAPO L_cache
    length_weight: float = 0.0         # Kimi k1.5 length reward weight (0 = off)
    length_warmup_steps: int = 0       # Kimi: length reward switched on after this many steps
    timeout_s: float = 2.0             # per-verification time bound
    max_chars: int = 20000             # completions longer than this are scored 0 (reason counted)
    workers: int = 1                   # verifier worker processes
    imports: list[str] = field(default_factory=list)  # modules registering extra verifiers (imported in every worker)

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
    packing: bool = False              # update/π_old/reference forwards on each micro-batch packed without padding
    share_prompts: bool = True         # a group's rows run their common prompt (and image) once per micro-batch
    save_every: int = 0                # checkpoint every N steps (0 = only at the end)
    keep_checkpoints: int = 2          # complete checkpoints kept
    eval_every: int = 0                # held-out evaluation every N steps (0 = only before/after)
    resume: bool = False               # continue from the last complete checkpoint in run.out_dir
    log_every: int = 1
    record_rollouts_every: int = 10    # write RUN_DIR/rollouts/step_N.jsonl every N RL steps (0 = off)
    record_rollouts_max: int = 4       # prompt groups (each with its G completions) recorded per such step

    def validate(self, p: str) -> None:
        _check(self.steps >= 0, f"{p}.steps", "must be >= 0")
        _check(self.epochs_per_batch >= 1, f"{p}.epochs_per_batch", "must be >= 1")
        _check(self.minibatches >= 1, f"{p}.minibatches", "must be >= 1")
        _check(self.micro_batch_size >= 1, f"{p}.micro_batch_size", "must be >= 1")
        _check(isinstance(self.packing, bool), f"{p}.packing", f"must be true or false, got {self.packing!r}")
        _check(isinstance(self.share_prompts, bool), f"{p}.share_prompts",
               f"must be true or false, got {self.share_prompts!r}")
        _check(self.keep_checkpoints >= 1, f"{p}.keep_checkpoints", "must be >= 1")
        _check(self.record_rollouts_every >= 0, f"{p}.record_rollouts_every", "must be >= 0 (0 = off)")
        _check(self.record_rollouts_max >= 1, f"{p}.record_rollouts_max", "must be >= 1")


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
    k: int = 1                         # samples per item in sampled evaluation; > 1 adds pass@k and maj@k

    def validate(self, p: str) -> None:
        _check(self.n >= 1, f"{p}.n", "must be >= 1")
        _check(self.k >= 1, f"{p}.k", "must be >= 1")
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


SINKS = ("jsonl", "tensorboard", "wandb")


@dataclass
class LogConfig:
    progress: str = "auto"             # auto (a live bar on a terminal, plain lines otherwise) | bar | plain | quiet
    plain_every: int = 0               # plain mode: one line every N steps (0 = about 20 lines per stage)
    sinks: list[str] = field(default_factory=lambda: ["jsonl"])  # jsonl (always written) | tensorboard | wandb
    tensorboard_dir: str = ""          # TensorBoard event files ("" = RUN_DIR/tensorboard)
    wandb_project: str = "mmreason"    # Weights & Biases project
    wandb_run_name: Optional[str] = None  # W&B run name (None = the run directory's name)
    wandb_mode: str = "offline"        # offline (no network; upload later with `wandb sync`) | online

    def validate(self, p: str) -> None:
        _one_of(self.progress, ("auto", "bar", "plain", "quiet"), f"{p}.progress")
        _check(self.plain_every >= 0, f"{p}.plain_every", "must be >= 0")
        for i, s in enumerate(self.sinks):
            _one_of(s, SINKS, f"{p}.sinks[{i}]")
        _one_of(self.wandb_mode, ("offline", "online"), f"{p}.wandb_mode")


@dataclass
class Config:
    run: RunConfig = field(default_factory=RunConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    prompt: PromptConfig = field(default_factory=PromptConfig)
    data: DataConfig = field(default_factory=DataConfig)
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    algorithm: AlgorithmConfig = field(default_factory=AlgorithmConfig)
    critic: CriticConfig = field(default_factory=CriticConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    sft: SFTConfig = field(default_factory=SFTConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    deepspeed: DeepSpeedConfig = field(default_factory=DeepSpeedConfig)
    log: LogConfig = field(default_factory=LogConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)  # `mmreason sample`: rejection sampling, pairs
    dpo: DPOConfig = field(default_factory=DPOConfig)           # the DPO stage
    pipeline: list[Any] = field(default_factory=list)           # `mmreason pipeline`: stages (see runner.py)

    def validate(self) -> "Config":
        for name in self.__dataclass_fields__:
            if name != "pipeline":
                getattr(self, name).validate(name)
        validate_pipeline(self.pipeline)
        return self
