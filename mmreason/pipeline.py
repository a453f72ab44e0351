"""`mmreason train`: build data → load policy → evaluate → cold-start SFT → RL → evaluate → summary.json.

This is the one place that reads the whole config and wires the components; each phase resumes from the last
complete checkpoint when `train.resume=true`.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import numpy as np
import torch

from .config import Config, to_yaml
from .model import load_policy, prepare_model, resolve_device, resolve_model_path
from .prompts import PromptEncoder, PromptFormat
from .rollout import SamplingParams, make_engine
from .trainer.checkpoint import (latest_checkpoint, load_model_weights, load_trainer_state, save_checkpoint,
                                 save_model, set_rng_state)
from .trainer.evaluate import evaluate
from .trainer.metrics import MetricsLogger
from .trainer.optim import make_optimizer, make_scheduler
from .trainer.rl import RLTrainer
from .trainer.sft import sft_step


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def build_datasets(jobs) -> None:
    """Generate the configured datasets; a directory that already holds a complete build is kept as is."""
    if not jobs:
        return
    from data_builders import build_dataset

    for job in jobs:
        if (Path(job.out) / "manifest.json").is_file():
            print(f"[build] {job.out} exists, kept", flush=True)
            continue
        t0 = time.perf_counter()
        build_dataset(kind=job.kind, out=job.out, n=job.n, seed=job.seed, split=job.split, difficulty=job.difficulty,
                      families=list(job.families), image_size=job.image_size, format=job.format)
        print(f"[build] {job.kind} {job.split} n={job.n} → {job.out} ({time.perf_counter() - t0:.1f}s)", flush=True)


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


class Pipeline:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.run_dir = Path(cfg.run.out_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.progress_path = self.run_dir / "progress.json"
        self.progress = json.loads(self.progress_path.read_text()) if (cfg.train.resume and
                                                                         self.progress_path.exists()) else {}
        self.logger = MetricsLogger(self.run_dir / "metrics.jsonl")

    # ------------------------------------------------------------------ wiring
    def setup(self) -> None:
        from .data import load_sources, skip_summary
        from .rewards import RewardFunction, VerifierPool

        cfg = self.cfg
        if cfg.run.threads:
            torch.set_num_threads(cfg.run.threads)
        seed_everything(cfg.run.seed)
        (self.run_dir / "config.yaml").write_text(to_yaml(cfg))
        build_datasets(cfg.data.build)
        device = resolve_device(cfg.run.device)
        path = resolve_model_path(cfg.model.path, self.run_dir, cfg.model.tiny_size, cfg.model.tiny_seed)
        self.policy = load_policy(path, dtype=cfg.model.dtype, device=device,
                                  attn_implementation=cfg.model.attn_implementation,
                                  min_pixels=cfg.model.min_pixels, max_pixels=cfg.model.max_pixels)
        prepare_model(self.policy, cfg.model)
        p = cfg.prompt
        self.encoder = PromptEncoder(self.policy.processor, PromptFormat(p.template, p.think_tag, p.answer_tag,
                                                                          p.system_prompt, p.instruction),
                                     p.max_prompt_length)
        self.pool = VerifierPool(workers=cfg.reward.workers, timeout_s=cfg.reward.timeout_s,
                                 max_chars=cfg.reward.max_chars)
        self.reward_fn = RewardFunction(accuracy_weight=cfg.reward.accuracy_weight,
                                        format_weight=cfg.reward.format_weight, template=p.template,
                                        think_tag=p.think_tag, answer_tag=p.answer_tag, pool=self.pool)
        from .rewards import VERIFIERS

        verifiers = VERIFIERS.names()
        self.train_sources = load_sources(cfg.data.train, skip_bad_rows=cfg.data.skip_bad_rows, verifiers=verifiers)
        eval_sources = load_sources(cfg.data.eval, skip_bad_rows=cfg.data.skip_bad_rows, verifiers=verifiers)
        self.skipped = {s.name: s.skipped.to_dict() for s in [*self.train_sources, *eval_sources]}
        for line in skip_summary([*self.train_sources, *eval_sources]):
            print(f"[data] {line}", flush=True)
        self.eval_set = eval_samples(eval_sources, cfg.eval.n)
        self.engine = make_engine(cfg.rollout.engine, self.policy, batch_size=cfg.rollout.batch_size,
                                  gpu_memory_utilization=cfg.rollout.vllm_gpu_memory_utilization,
                                  tensor_parallel_size=cfg.rollout.vllm_tensor_parallel_size)

    def close(self) -> None:
        if getattr(self, "pool", None) is not None:
            self.pool.close()

    # ------------------------------------------------------------------ phases
    def run(self) -> dict:
        t0 = time.perf_counter()
        wall_before = self.progress.get("wall_time_s", 0.0)
        self.setup()
        try:
            resume_from = latest_checkpoint(self.run_dir) if self.cfg.train.resume else None
            phase = resume_from.name.rsplit("-", 1)[0] if resume_from else None
            if "initial" not in self.progress.get("heldout", {}) and phase is None:
                self.evaluate_heldout("initial")
            if self.cfg.sft.steps > 0 and phase != "rl":
                self._sft(resume_from if phase == "sft" else None)
                if "cold_start" not in self.progress.get("heldout", {}):
                    self.evaluate_heldout("cold_start")
            if self.cfg.train.steps > 0:
                self._rl(resume_from if phase == "rl" else None)
                self.evaluate_heldout("rl")
            self.progress["wall_time_s"] = wall_before + time.perf_counter() - t0
            return self._summary()
        finally:
            self.close()

    def evaluate_heldout(self, name: str) -> dict:
        cfg = self.cfg
        if not self.eval_set:
            return {}
        base = SamplingParams(temperature=cfg.rollout.temperature, top_p=cfg.rollout.top_p, top_k=cfg.rollout.top_k,
                              max_new_tokens=cfg.eval.max_new_tokens or cfg.rollout.max_new_tokens)
        res = {}
        t0 = time.perf_counter()
        if cfg.eval.greedy:
            res["greedy"] = evaluate(self.engine, self.encoder, self.reward_fn, self.eval_set,
                                     base.with_(temperature=0.0), cfg.eval.batch_size)
        if cfg.eval.sampled:
            state = torch.random.get_rng_state()
            torch.manual_seed(cfg.run.seed + 12345)  # evaluation draws do not disturb the training RNG stream
            res["sampled"] = evaluate(self.engine, self.encoder, self.reward_fn, self.eval_set, base,
                                      cfg.eval.batch_size)
            torch.random.set_rng_state(state)
        self.progress.setdefault("heldout", {})[name] = res
        write_json(self.progress_path, self.progress)
        line = ", ".join(f"{k} {v['accuracy']:.3f}" for k, v in res.items())
        dt = time.perf_counter() - t0
        print(f"[eval] {name}: held-out accuracy {line} (n={len(self.eval_set)}, {dt:.1f}s)", flush=True)
        self.logger.log({"phase": f"eval/{name}", "time/eval": dt, **{f"{k}/{m}": v for k, r in res.items()
                                                                     for m, v in r.items()}}, console=False)
        return res

    def _sft(self, resume_from: Path | None) -> None:
        from .data import Mixture, derive_seed

        cfg, s = self.cfg, self.cfg.sft
        model = self.policy.model
        opt = make_optimizer(model, s.lr, cfg.optim.weight_decay, (cfg.optim.beta1, cfg.optim.beta2), cfg.optim.eps)
        sched = make_scheduler(opt, s.warmup_steps, s.steps, s.schedule, cfg.optim.min_lr_ratio)
        mixture = Mixture(self.train_sources, seed=derive_seed(cfg.run.seed, "sft"))
        step = 0
        if resume_from is not None:
            step = self._restore(resume_from, opt, sched, mixture)
        every = cfg.train.save_every
        while step < s.steps:
            m = sft_step(model, self.encoder, mixture.next_batch(s.batch_size), opt, sched,
                         micro_batch_size=s.micro_batch_size, grad_clip=cfg.optim.grad_clip)
            step += 1
            if step % cfg.train.log_every == 0 or step == s.steps:
                self.logger.log({"phase": "sft", "step": step, **m})
            if (every and step % every == 0) or step == s.steps:
                save_checkpoint(self.run_dir, "sft", step, model, self.policy.processor,
                                {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                                 "mixture": mixture.state_dict()}, keep=cfg.train.keep_checkpoints)
        save_model(model, self.policy.processor, self.run_dir / "sft_model")

    def _restore(self, ckpt: Path, opt, sched, mixture) -> int:
        load_model_weights(self.policy.model, ckpt)
        state = load_trainer_state(ckpt)
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        mixture.load_state_dict(state["mixture"])
        set_rng_state(state["rng"])
        print(f"[resume] from {ckpt} (step {state['step']})", flush=True)
        return int(state["step"])

    def make_rl_trainer(self) -> RLTrainer:
        """The RL trainer over the loaded policy, with a fresh optimizer, schedule and data stream."""
        from .data import Mixture, derive_seed

        cfg, o = self.cfg, self.cfg.optim
        opt = make_optimizer(self.policy.model, o.lr, o.weight_decay, (o.beta1, o.beta2), o.eps)
        sched = make_scheduler(opt, o.warmup_steps, cfg.train.steps, o.schedule, o.min_lr_ratio)
        mixture = Mixture(self.train_sources, seed=derive_seed(cfg.run.seed, "rl"))
        return RLTrainer(cfg, self.policy, self.engine, self.encoder, self.reward_fn, mixture, opt, sched)

    def _rl(self, resume_from: Path | None) -> None:
        cfg = self.cfg
        model = self.policy.model
        trainer = self.make_rl_trainer()
        if resume_from is not None:
            load_model_weights(model, resume_from)
            state = load_trainer_state(resume_from)
            trainer.load_state_dict(state)
            set_rng_state(state["rng"])
            print(f"[resume] from {resume_from} (step {state['step']})", flush=True)
        every = cfg.train.save_every
        while trainer.step_count < cfg.train.steps:
            m = trainer.step()
            step = trainer.step_count
            if step % cfg.train.log_every == 0 or step == cfg.train.steps:
                self.logger.log({"phase": "rl", "step": step, **m})
            if cfg.train.eval_every and step % cfg.train.eval_every == 0 and step < cfg.train.steps:
                self.evaluate_heldout(f"rl_step_{step}")
            if (every and step % every == 0) or step == cfg.train.steps:
                save_checkpoint(self.run_dir, "rl", step, model, self.policy.processor, trainer.state_dict(),
                                keep=cfg.train.keep_checkpoints)
        save_model(model, self.policy.processor, self.run_dir / "final_model")

    def _summary(self) -> dict:
        held = self.progress.get("heldout", {})
        pick = lambda name, mode: held.get(name, {}).get(mode, {}).get("accuracy")  # noqa: E731
        summary = {"run_dir": str(self.run_dir), "wall_time_s": round(self.progress.get("wall_time_s", 0.0), 1),
                   "heldout_n": len(self.eval_set), "heldout": held, "skipped_rows": self.skipped}
        for mode in ("greedy", "sampled"):
            for name in ("initial", "cold_start", "rl"):
                v = pick(name, mode)
                if v is not None:
                    summary[f"heldout_accuracy/{mode}/{name}"] = v
        write_json(self.progress_path, self.progress)
        write_json(self.run_dir / "summary.json", summary)
        return summary


def run_training(cfg: Config) -> dict:
    return Pipeline(cfg).run()
