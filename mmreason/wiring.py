"""Build the parts of a run from a config: the one place that turns config sections into components.

Components never receive the whole config; each function here unpacks what one part needs. Names chosen in the
config (adapters, algorithm variants, the engine, the answer template) are checked against the registries that
build them, up front (`check_names`), with the same did-you-mean errors as everywhere, naming the dotted key.
"""

from __future__ import annotations

import copy
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
    from .rollout.base import ENGINES, _builtin_engines

    from .algorithms import KL_ESTIMATORS, SCHEDULES
    from .model import DTYPES
    from .tiny_model import SIZES

    _builtin_engines()
    a = cfg.algorithm
    _registered(ADVANTAGES, a.advantage, "algorithm.advantage")
    _registered(POLICY_LOSSES, a.loss, "algorithm.loss")
    _registered(AGGREGATIONS, a.aggregation, "algorithm.aggregation")
    _registered(ENGINES, cfg.rollout.engine, "rollout.engine")
    for value, valid, key in ((cfg.prompt.template, TEMPLATES, "prompt.template"),
                              (a.kl_estimator, tuple(KL_ESTIMATORS), "algorithm.kl_estimator"),
                              (cfg.optim.schedule, SCHEDULES, "optim.schedule"),
                              (cfg.sft.schedule, SCHEDULES, "sft.schedule"),
                              (cfg.model.dtype, tuple(DTYPES), "model.dtype"),
                              (cfg.model.tiny_size, tuple(SIZES), "model.tiny_size")):
        _one_of(value, valid, key)
    _check_build_jobs(cfg.data.build)
    for group in ("train", "eval"):
        for i, s in enumerate(getattr(cfg.data, group)):
            if ":" not in s.adapter:
                _registered(ADAPTERS, s.adapter, f"data.{group}[{i}].adapter")


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
    pool = VerifierPool(workers=r.workers, timeout_s=r.timeout_s, max_chars=r.max_chars)
    return RewardFunction(fmt, accuracy_weight=r.accuracy_weight, format_weight=r.format_weight, pool=pool,
                          close_pool=True)


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
    """Generate the configured datasets; a directory that already holds a complete build is kept as is."""
    if not jobs:
        return
    import time

    from data_builders import build_dataset

    for job in jobs:
        if (Path(job.out) / "manifest.json").is_file():
            print(f"[build] {job.out} exists, kept", flush=True)
            continue
        t0 = time.perf_counter()
        build_dataset(kind=job.kind, out=job.out, n=job.n, seed=job.seed, split=job.split, difficulty=job.difficulty,
                      families=list(job.families), image_size=job.image_size, format=job.format)
        print(f"[build] {job.kind} {job.split} n={job.n} → {job.out} ({time.perf_counter() - t0:.1f}s)", flush=True)


# ---------------------------------------------------------------------------------------------- update & rollout
def make_backend(cfg: Config, model, lr: float, rows_per_minibatch: int, micro_batch_size: int):
    """The update backend over `model`: plain PyTorch, or a fresh DeepSpeed engine (its derived config is written
    to the run dir for inspection)."""
    from .atomic import write_json
    from .backends import TorchBackend
    from .trainer.optim import make_optimizer

    o = cfg.optim
    opt = make_optimizer(model, lr, o.weight_decay, (o.beta1, o.beta2), o.eps)
    if not cfg.deepspeed.enabled:
        return TorchBackend(model, opt, o.grad_clip)
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
    from .distributed.vision_keepalive import install_once

    ip = policy.processor.image_processor
    install_once(policy.model, 3 * ip.temporal_patch_size * ip.patch_size ** 2, ip.merge_size)
    return True


def set_threads(cfg: Config) -> None:
    if cfg.run.threads:
        torch.set_num_threads(cfg.run.threads)
