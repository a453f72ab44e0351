"""Build the parts of a run from a config: the one place that turns config sections into components.

Components never receive the whole config; each function here unpacks what one part needs. Names chosen in the
config (adapters, algorithm variants, the engine, the answer template) are checked against the registries that
build them, up front (`check_names`), with the same did-you-mean errors as everywhere, naming the dotted key.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import torch

from .config import Config
from .distributed import comm
from .errors import ConfigError
from .model import Policy, load_policy, prepare_model, resolve_device, resolve_model_path


def _registered(registry, name: str, key: str) -> None:
    if name not in registry:
        raise ConfigError(f"{key}: {registry.unknown_message(name)}")


def _one_of(value, valid, key: str) -> None:
    if value not in valid:
        raise ConfigError(f"{key}: must be one of {', '.join(map(str, valid))}, got {value!r}")


def check_names(cfg: Config) -> None:
    """Every registered name the config uses exists (import paths 'pkg.mod:Class' are resolved when loading)."""
    from modalities import ADAPTERS

    from .algorithms import ADVANTAGES, AGGREGATIONS, POLICY_LOSSES
    from .rewards import TEMPLATES
    from .rewards.reward import COMBINES
    from .rollout.base import ENGINES, _builtin_engines

    from .algorithms import KL_ESTIMATORS, SCHEDULES
    from .model import DTYPES
    from .tiny_model import SIZES

    _builtin_engines()
    a = cfg.algorithm
    if a.advantage != "gae":  # GAE (PPO's critic) is computed per token, not a registered group estimator
        _registered(ADVANTAGES, a.advantage, "algorithm.advantage")
    _registered(POLICY_LOSSES, a.loss, "algorithm.loss")
    _registered(AGGREGATIONS, a.aggregation, "algorithm.aggregation")
    _registered(ENGINES, cfg.rollout.engine, "rollout.engine")
    for value, valid, key in ((cfg.prompt.template, TEMPLATES, "prompt.template"),
                              (a.kl_estimator, tuple(KL_ESTIMATORS), "algorithm.kl_estimator"),
                              (cfg.optim.schedule, SCHEDULES, "optim.schedule"),
                              (cfg.sft.schedule, SCHEDULES, "sft.schedule"),
                              (cfg.dpo.schedule, SCHEDULES, "dpo.schedule"),
                              (cfg.model.dtype, tuple(DTYPES), "model.dtype"),
                              (cfg.model.tiny_size, tuple(SIZES), "model.tiny_size"),
                              (cfg.reward.combine, tuple(COMBINES), "reward.combine"),
                              (a.informative_by, ("accuracy", "reward"), "algorithm.informative_by"),
                              (cfg.data.balance, ("none", "success"), "data.balance"),
                              (cfg.data.budget_check, ("warn", "error", "off"), "data.budget_check")):
        _one_of(value, valid, key)
    _check_build_jobs(cfg.data.build)
    _check_pairings(cfg)
    for group in ("train", "eval"):
        for i, s in enumerate(getattr(cfg.data, group)):
            if ":" not in s.adapter:
                _registered(ADAPTERS, s.adapter, f"data.{group}[{i}].adapter")


def _check_pairings(cfg: Config) -> None:
    """Algorithm settings that are mathematically wrong together, or silently do nothing, are refused."""
    from .algorithms.compat import problems

    a, r, rw = cfg.algorithm, cfg.rollout, cfg.reward
    found = problems(advantage=a.advantage, loss=a.loss, aggregation=a.aggregation, kl_beta=a.kl_beta,
                     kl_in_reward=a.kl_in_reward, ref_reset_every=a.ref_reset_every,
                     dynamic_sampling=a.dynamic_sampling, group_size=r.group_size, critic=cfg.critic.enabled,
                     overlong_max=rw.overlong_max, overlong_cache=rw.overlong_cache,
                     max_new_tokens=r.max_new_tokens, rl_steps=cfg.train.steps)
    if found:
        raise ConfigError("; ".join(f"{key}: {reason}" for key, reason in found))


def _check_build_jobs(jobs) -> None:
    if not jobs:
        return
    from data_builders.core import KINDS, SPLITS
    from data_builders.dataset import FORMATS

    for i, job in enumerate(jobs):
        for value, valid, key in ((job.kind, KINDS, "kind"), (job.split, SPLITS, "split"),
                                  (job.format, FORMATS, "format")):
            _one_of(value, valid, f"data.build[{i}].{key}")


# ---------------------------------------------------------------------------------------------- the policy
def load_model(cfg: Config, run_dir: Path, path: str | None = None) -> Policy:
    """The policy from `path` (default: `model.path`, or the embedded tiny model built into the run dir), with the
    trainability options applied. Rank 0 builds the tiny model while the others wait."""
    m = cfg.model
    if path is None:
        path = on_main_first(lambda: resolve_model_path(m.path, run_dir, m.tiny_size, m.tiny_seed))
    policy = load_policy(path, dtype=m.dtype, device=resolve_device(cfg.run.device),
                         attn_implementation=m.attn_implementation, min_pixels=m.min_pixels, max_pixels=m.max_pixels)
    return prepare_model(policy, m)


def on_main_first(fn):
    """Run `fn` on rank 0 while the others wait (file-writing set-up steps), then return its result everywhere."""
    if comm.is_main():
        result = fn()
    comm.barrier()
    return result if comm.is_main() else fn()


def answer_format(cfg: Config):
    from .rewards import AnswerFormat

    p = cfg.prompt
    return AnswerFormat(p.template, p.think_tag, p.answer_tag, p.instruction)


def prompt_encoder(cfg: Config, processor, fmt):
    from .prompts import PromptEncoder

    p = cfg.prompt
    return PromptEncoder(processor, instruction=fmt.instruction, system_prompt=p.system_prompt,
                         max_prompt_length=p.max_prompt_length)


def reward_function(cfg: Config, fmt):
    """The composite reward over a fresh verifier pool (closed with `reward_fn.close()`)."""
    from .rewards import RewardFunction, VerifierPool

    r = cfg.reward
    pool = VerifierPool(workers=r.workers, timeout_s=r.timeout_s, max_chars=r.max_chars, imports=list(r.imports))
    return RewardFunction(fmt, accuracy_weight=r.accuracy_weight, format_weight=r.format_weight, pool=pool,
                          close_pool=True, combine=r.combine)


# ---------------------------------------------------------------------------------------------- data
def load_source_group(cfg: Config, group: str) -> list:
    """The loaded sources of `data.train` or `data.eval` (bad rows raise, or are counted with skip_bad_rows)."""
    from .data import load_sources
    from .rewards import VERIFIERS

    return load_sources(getattr(cfg.data, group), skip_bad_rows=cfg.data.skip_bad_rows, verifiers=VERIFIERS.names())


def eval_samples(sources, n: int) -> list:
    """The first ⌈n / #sources⌉ samples of each evaluation source, in file order (deterministic)."""
    if not sources:
        return []
    per = -(-n // len(sources))
    out = []
    for name, _weight, samples in sources:
        for s in list(samples)[:per]:
            s.source = s.source or name
            out.append(s)
    return out[:n]


def build_datasets(jobs) -> None:
    """Generate the configured datasets; a directory that already holds a complete build of the same request (and
    generator version) is kept as is, one built otherwise is an error: stale data is never trained on silently."""
    if not jobs:
        return
    import time

    from data_builders import build_dataset
    from data_builders.dataset import built_differently

    for i, job in enumerate(jobs):
        if (Path(job.out) / "manifest.json").is_file():
            diff = built_differently(job.out, kind=job.kind, n=job.n, seed=job.seed, split=job.split,
                                     difficulty=job.difficulty, families=list(job.families),
                                     image_size=job.image_size, format=job.format)
            if diff:
                raise ConfigError(f"data.build[{i}]: '{job.out}' holds a build that differs from this one "
                                  f"({'; '.join(diff)}): delete that directory to rebuild it, or set a new `out`")
            print(f"[build] {job.out} exists, kept", flush=True)
            continue
        t0 = time.perf_counter()
        out = build_dataset(kind=job.kind, out=job.out, n=job.n, seed=job.seed, split=job.split,
                            difficulty=job.difficulty, families=list(job.families), image_size=job.image_size,
                            format=job.format)
        print(f"[build] {job.kind} {job.split} n={job.n} → {job.out} ({time.perf_counter() - t0:.1f}s)", flush=True)
        for line in json.loads((out / "manifest.json").read_text())["state_coverage"]["warnings"]:
            print(f"[build] warning: {line}", flush=True)


def prompt_sampler(cfg: Config, parts):
    """The RL prompt sampler (`data.sampler`): the mixture of `data.train` (seeded for the RL stage) with its weight
    schedules and success balancing, a difficulty curriculum, or prioritized sampling."""
    from .data import Mixture, derive_seed
    from .data.adaptive import CurriculumSampler, PrioritizedSampler
    from .data.samplers import MixtureSampler

    d = cfg.data
    seed = derive_seed(cfg.run.seed, "rl")
    if d.sampler == "curriculum":
        c = d.curriculum
        return CurriculumSampler(parts.train_sources, seed, key=c.key, order=c.order, schedule=c.schedule,
                                 steps=list(c.steps), replay=c.replay)
    if d.sampler == "prioritized":
        p = d.prioritized
        return PrioritizedSampler(parts.train_sources, seed, floor=p.floor, ema=p.ema, prior=p.prior)
    mixture = Mixture(parts.train_sources, seed=seed)
    schedules = {s.name: s.weight_schedule for s in d.train if s.weight_schedule}
    return MixtureSampler(mixture, schedules, balance=d.balance, floor=d.balance_floor, ema=d.balance_ema)


# ---------------------------------------------------------------------------------------------- update & rollout
def make_backend(cfg: Config, model, lr: float, rows_per_minibatch: int, micro_batch_size: int,
                 weights_in_state: bool = False):
    """The update backend over `model`: plain PyTorch, or a fresh DeepSpeed engine (its derived config is written
    to the run dir for inspection). `weights_in_state`: the model has no `model/` directory of its own (a
    separate critic), so one-process checkpoints keep all its trained weights in the backend's state."""
    from .atomic import write_json
    from .backends import TorchBackend
    from .trainer.optim import make_optimizer

    o = cfg.optim
    opt = make_optimizer(model, lr, o.weight_decay, (o.beta1, o.beta2), o.eps)
    if not cfg.deepspeed.enabled:
        return TorchBackend(model, opt, o.grad_clip, weights_in_state=weights_in_state)
    from .backends.deepspeed_backend import DeepSpeedBackend

    ds = cfg.deepspeed
    backend = DeepSpeedBackend(model, opt, zero_stage=ds.zero_stage, micro_batch_size=micro_batch_size,
                               rows_per_minibatch=rows_per_minibatch, grad_clip=o.grad_clip, dtype=cfg.model.dtype,
                               offload_optimizer=ds.offload_optimizer, offload_params=ds.offload_params)
    if comm.is_main():
        write_json(Path(cfg.run.out_dir) / "deepspeed_config.json", backend.config)
    return backend


def shards_parameters(cfg: Config) -> bool:
    """Whether the update backend shards the trained module (ZeRO-3), so a rollout engine needs its own copy."""
    return cfg.deepspeed.enabled and cfg.deepspeed.zero_stage == 3


def rollout_engine(cfg: Config, policy: Policy, separate_weights: bool = False):
    from .rollout import make_engine

    r = cfg.rollout
    return make_engine(r.engine, policy, separate_weights=separate_weights, seed=cfg.run.seed,
                       **dict(r.engine_options))


def reference_model(cfg: Config, policy: Policy):
    """A frozen copy of the policy for the KL term; None when β = 0 (no reference is loaded at all)."""
    if cfg.algorithm.kl_beta <= 0:
        return None
    return copy.deepcopy(policy.model).eval().requires_grad_(False)


def keep_vision_alive(cfg: Config, policy: Policy) -> bool:
    """Under DeepSpeed every rank runs the vision tower in every forward (ZeRO-3 gathers its weights, and ZeRO-2
    reduces its gradients, in collectives all ranks must enter); the hook is installed once per model."""
    if not cfg.deepspeed.enabled:
        return False
    install_vision_keepalive(policy.processor, policy.model)
    return True


def install_vision_keepalive(processor, model) -> None:
    from .distributed.vision_keepalive import install_once

    ip = processor.image_processor
    install_once(model, 3 * ip.temporal_patch_size * ip.patch_size ** 2, ip.merge_size)


def set_threads(cfg: Config) -> None:
    if cfg.run.threads:
        torch.set_num_threads(cfg.run.threads)
