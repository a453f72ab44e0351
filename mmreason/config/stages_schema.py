"""Config sections of the R1 / Kimi k1.5 stages: prompt samplers (curriculum, prioritized), rejection sampling
(`sample`), DPO (`dpo`), and the multi-stage `pipeline` list. Each field is documented in one line beside it;
`mmreason.config.schema` holds them as fields of `data` and `Config`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import ConfigError


def _check(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"{key}: {msg}")


def _one_of(value: Any, choices: tuple, key: str) -> None:
    _check(value in choices, key, f"must be one of {', '.join(map(str, choices))}, got {value!r}")


SAMPLERS = ("mixture", "curriculum", "prioritized")


@dataclass
class CurriculumConfig:
    key: str = "difficulty"            # level of a prompt: difficulty (the builders' 1–5) or a meta column (pass_rate)
    order: str = "ascending"           # ascending (low values are easy: difficulty) | descending (pass_rate)
    schedule: str = "staged"           # staged (the next level takes over at each of `steps`) | gradual (mix shifts)
    steps: list[int] = field(default_factory=list)  # staged: switch steps; gradual: [start, end] of the shift
    replay: float = 0.0                # weight kept on levels already passed (0 = only the current level(s))

    def validate(self, p: str) -> None:
        _one_of(self.order, ("ascending", "descending"), f"{p}.order")
        _one_of(self.schedule, ("staged", "gradual"), f"{p}.schedule")
        _check(all(s >= 0 for s in self.steps) and list(self.steps) == sorted(self.steps), f"{p}.steps",
               f"must be increasing steps >= 0, got {list(self.steps)}")
        if self.schedule == "gradual":
            _check(len(self.steps) == 2 and self.steps[1] > self.steps[0], f"{p}.steps",
                   f"gradual needs [start, end] with end > start, got {list(self.steps)}")
        _check(0 <= self.replay <= 1, f"{p}.replay", "must be in [0, 1]")


@dataclass
class PrioritizedConfig:
    floor: float = 0.1                 # smallest priority, so solved prompts are still revisited
    ema: float = 0.5                   # weight of each new observation in a prompt's running success rate
    prior: float = 0.0                 # success rate assumed for a prompt never sampled (0 = highest priority)

    def validate(self, p: str) -> None:
        _check(0 < self.floor <= 1, f"{p}.floor", "must be in (0, 1]")
        _check(0 < self.ema <= 1, f"{p}.ema", "must be in (0, 1]")
        _check(0 <= self.prior <= 1, f"{p}.prior", "must be in [0, 1]")


def validate_samplers(data, p: str) -> None:
    """`data.sampler` and its knobs (called from DataConfig.validate)."""
    _one_of(data.sampler, SAMPLERS, f"{p}.sampler")
    data.curriculum.validate(f"{p}.curriculum")
    data.prioritized.validate(f"{p}.prioritized")
    if data.sampler == "curriculum" and data.curriculum.schedule == "staged":
        _check(bool(data.curriculum.steps), f"{p}.curriculum.steps", "staged needs the steps where levels switch")
    if data.sampler != "mixture":
        _check(data.balance == "none", f"{p}.balance", f"success balancing belongs to data.sampler=mixture, this "
               f"run has data.sampler={data.sampler}")
        for i, s in enumerate(data.train):
            _check(s.weight_schedule is None, f"{p}.train[{i}].weight_schedule",
                   f"weight schedules belong to data.sampler=mixture, this run has data.sampler={data.sampler}")


KEEP = ("all", "max", "shortest", "none")
PAIRS = ("none", "correct_wrong", "short_long")


@dataclass
class SampleConfig:
    k: int = 8                         # completions per prompt
    temperature: Optional[float] = None  # None = rollout.temperature
    max_new_tokens: Optional[int] = None  # None = rollout.max_new_tokens
    prompts: int = 0                   # prompts taken from data.train in file order (0 = all)
    batch_size: int = 16               # prompts per generate call (a finished batch survives a kill)
    keep: str = "all"                  # correct completions kept for SFT: all | max (max_per_prompt) | shortest | none
    max_per_prompt: int = 1            # m for keep=max
    require_format: bool = True        # a kept (or chosen) completion must also pass the format check
    pairs: str = "none"                # preference pairs: none | correct_wrong | short_long (shortest vs ≥ long_ratio× longer correct)
    pairs_per_prompt: int = 1          # most pairs written per prompt
    long_ratio: float = 1.5            # short_long: the rejected correct completion is at least this many times longer
    rationalize: bool = False          # STaR: retry unsolved prompts with the gold answer as a hint
    hint: str = " (Hint: the answer is {answer}.)"  # appended to the question when rationalizing
    difficulty: bool = True            # also write every prompt with meta.pass_rate (a column the curriculum reads)
    out: str = ""                      # output directory ("" = RUN_DIR/sampled)

    def validate(self, p: str) -> None:
        _check(self.k >= 1, f"{p}.k", "must be >= 1")
        _check(self.temperature is None or self.temperature >= 0, f"{p}.temperature", "must be >= 0")
        _check(self.max_new_tokens is None or self.max_new_tokens >= 1, f"{p}.max_new_tokens", "must be >= 1")
        _check(self.prompts >= 0 and self.batch_size >= 1, f"{p}.batch_size", "need prompts >= 0, batch_size >= 1")
        _one_of(self.keep, KEEP, f"{p}.keep")
        _one_of(self.pairs, PAIRS, f"{p}.pairs")
        _check(self.max_per_prompt >= 1 and self.pairs_per_prompt >= 1, f"{p}.max_per_prompt", "must be >= 1")
        _check(self.long_ratio >= 1, f"{p}.long_ratio", "must be >= 1")
        _check("{answer}" in self.hint, f"{p}.hint", "must contain {answer}")


@dataclass
class DPOConfig:
    steps: int = 0                     # DPO optimizer steps on preference pairs
    beta: float = 0.1                  # β: strength of the implicit KL to the reference (the starting policy)
    sft_weight: float = 0.0            # α: + α·(mean token NLL of the chosen response) per pair (RPO); 0 = plain DPO
    batch_size: int = 16               # pairs per step
    micro_batch_size: int = 16         # pairs per forward/backward
    lr: float = 1e-5
    warmup_steps: int = 0
    schedule: str = "constant"         # constant | linear | cosine

    def validate(self, p: str) -> None:
        _check(self.steps >= 0, f"{p}.steps", "must be >= 0")
        _check(self.beta > 0, f"{p}.beta", "must be > 0")
        _check(self.sft_weight >= 0, f"{p}.sft_weight", "must be >= 0")
        _check(self.batch_size >= 1 and self.micro_batch_size >= 1, f"{p}.batch_size", "must be >= 1")
        _check(self.lr > 0, f"{p}.lr", "must be > 0")


STAGES = ("sft", "rl", "sample", "dpo", "merge", "eval")
MODEL_STAGES = ("sft", "rl", "dpo", "merge")      # stages whose output is a model
STAGE_KEYS = ("name", "stage", "from", "data", "other", "weight", "overrides")


def _ref(value, earlier: dict, key: str, kinds: tuple | None = None) -> None:
    """`value` names an earlier stage (of one of `kinds`), or is a path (holds a '/')."""
    _check(isinstance(value, str) and bool(value), key, f"must be a stage name or a path, got {value!r}")
    if value in earlier:
        _check(kinds is None or earlier[value] in kinds, key,
               f"stage '{value}' is a {earlier[value]} stage, need one of {', '.join(kinds or ())}")
        return
    _check("/" in value, key, f"'{value}' is not an earlier stage (earlier: {', '.join(earlier) or 'none'}) "
           "and not a path (a path holds a '/')")


def _validate_stage(st, i: int, earlier: dict) -> None:
    p = f"pipeline[{i}]"
    _check(isinstance(st, dict), p, f"must be a mapping with keys {', '.join(STAGE_KEYS)}")
    for k in st:
        _check(k in STAGE_KEYS, f"{p}.{k}", f"unknown stage key (valid: {', '.join(STAGE_KEYS)})")
    name = st.get("name")
    _check(isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_.-]+", name or "") is not None, f"{p}.name",
           f"must be a plain name (letters, digits, _ . -), got {name!r}")
    _check(name not in earlier, f"{p}.name", f"duplicate stage name '{name}'")
    _one_of(st.get("stage"), STAGES, f"{p}.stage")
    kind = st["stage"]
    if st.get("from") is not None:
        _ref(st["from"], earlier, f"{p}.from", MODEL_STAGES)
    if st.get("data") is not None:
        _check(kind in ("sft", "dpo", "rl"), f"{p}.data", f"only sft, dpo and rl stages take data, this is {kind}")
        _ref(st["data"], earlier, f"{p}.data", ("sample",))
    _check((st.get("other") is not None) == (kind == "merge"), f"{p}.other",
           "a merge stage needs `other` (the second model), other stages take none")
    if kind == "merge":
        _ref(st["other"], earlier, f"{p}.other", MODEL_STAGES)
        w = st.get("weight", 0.5)
        _check(isinstance(w, (int, float)) and not isinstance(w, bool) and 0 <= w <= 1, f"{p}.weight",
               f"must be in [0, 1], got {w!r}")
    else:
        _check("weight" not in st, f"{p}.weight", "only merge stages take a weight")
    _check(isinstance(st.get("overrides", {}), dict), f"{p}.overrides", "must be a mapping of config sections")


def validate_pipeline(stages: list) -> None:
    """The structure of `pipeline`: known keys, unique names, references to earlier stages of the right kind.
    (Override keys are checked against the schema when the stage configs are built.)"""
    earlier: dict[str, str] = {}
    for i, st in enumerate(stages):
        _validate_stage(st, i, earlier)
        earlier[st["name"]] = st["stage"]
