"""`mmreason train`: build data → load policy → evaluate → cold-start SFT → RL → evaluate → summary.json.

This is the one place that reads the whole config and wires the components; each phase resumes from the last
complete checkpoint when `train.resume=true`. Under a launcher (torchrun / deepspeed) every rank runs this same
code: rank 0 alone builds data, writes files and evaluates; updates go through DeepSpeed when
`deepspeed.enabled=true`.
"""

from __future__ import annotations

import copy
import json
import os
import random
import time
from pathlib import Path

import numpy as np
import torch

from .config import Config, to_yaml
from .distributed import comm
from .model import Policy, load_policy, prepare_model, resolve_device, resolve_model_path
from .prompts import PromptEncoder, PromptFormat
from .rollout import SamplingParams, make_engine
from .trainer.backend import TorchBackend
from .trainer.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint, save_model
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


def _on_main_first(fn):
    """Run `fn` on rank 0 while the others wait (file-writing set-up steps), then return its result everywhere."""
    if comm.is_main():
        result = fn()
    comm.barrier()
    return result if comm.is_main() else fn()


class Pipeline:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        comm.init_from_env(cfg.deepspeed.timeout_s)
        if comm.world_size() > 1 and not cfg.deepspeed.enabled:
            raise ValueError("several processes were launched but deepspeed.enabled=false; "
                             "pass deepspeed.enabled=true (or launch one process)")
        self.run_dir = Path(cfg.run.out_dir)
        if comm.is_main():
            self.run_dir.mkdir(parents=True, exist_ok=True)
        comm.barrier()
        self.progress_path = self.run_dir / "progress.json"
        self.progress = json.loads(self.progress_path.read_text()) if (cfg.train.resume and
                                                                         self.progress_path.exists()) else {}
        self.logger = MetricsLogger(self.run_dir / "metrics.jsonl" if comm.is_main() else None,
                                    console=comm.is_main())
        self.pool = None
        self.zero3 = cfg.deepspeed.enabled and cfg.deepspeed.zero_stage == 3

    # ------------------------------------------------------------------ wiring
    def setup(self) -> None:
        from .data import load_sources, skip_summary
        from .rewards import VERIFIERS, RewardFunction, VerifierPool

        cfg = self.cfg
        if cfg.run.threads:
            torch.set_num_threads(cfg.run.threads)
        seed_everything(cfg.run.seed)
        if comm.is_main():
            (self.run_dir / "config.yaml").write_text(to_yaml(cfg))
            build_datasets(cfg.data.build)
        self.device = resolve_device(cfg.run.device)
        path = _on_main_first(lambda: resolve_model_path(cfg.model.path, self.run_dir, cfg.model.tiny_size,
                                                          cfg.model.tiny_seed))
        self.policy = self._load_policy(path)
        p = cfg.prompt
        self.encoder = PromptEncoder(self.policy.processor, PromptFormat(p.template, p.think_tag, p.answer_tag,
                                                                          p.system_prompt, p.instruction),
                                     p.max_prompt_length)
        self.pool = VerifierPool(workers=cfg.reward.workers, timeout_s=cfg.reward.timeout_s,
                                 max_chars=cfg.reward.max_chars)
        self.reward_fn = RewardFunction(accuracy_weight=cfg.reward.accuracy_weight,
                                        format_weight=cfg.reward.format_weight, template=p.template,
                                        think_tag=p.think_tag, answer_tag=p.answer_tag, pool=self.pool)
        verifiers = VERIFIERS.names()
        self.train_sources = load_sources(cfg.data.train, skip_bad_rows=cfg.data.skip_bad_rows, verifiers=verifiers)
        eval_sources = load_sources(cfg.data.eval, skip_bad_rows=cfg.data.skip_bad_rows, verifiers=verifiers)
        self.skipped = {s.name: s.skipped.to_dict() for s in [*self.train_sources, *eval_sources]}
        if comm.is_main():
            for line in skip_summary([*self.train_sources, *eval_sources]):
                print(f"[data] {line}", flush=True)
        self.eval_set = eval_samples(eval_sources, cfg.eval.n)
        self.engine = self._make_engine(self.policy)

    def _load_policy(self, path: str) -> Policy:
        m = self.cfg.model
        policy = load_policy(path, dtype=m.dtype, device=self.device, attn_implementation=m.attn_implementation,
                             min_pixels=m.min_pixels, max_pixels=m.max_pixels)
        return prepare_model(policy, m)

    def _make_engine(self, policy: Policy):
        r = self.cfg.rollout
        return make_engine(r.engine, policy, batch_size=r.batch_size, gpu_memory_utilization=r.vllm_gpu_memory_utilization,
                           tensor_parallel_size=r.vllm_tensor_parallel_size)

    def _backend(self, lr: float, rows_per_minibatch: int, micro_batch_size: int):
        """The update backend over the current policy: plain PyTorch, or a fresh DeepSpeed engine."""
        cfg, o = self.cfg, self.cfg.optim
        opt = make_optimizer(self.policy.model, lr, o.weight_decay, (o.beta1, o.beta2), o.eps)
        if not cfg.deepspeed.enabled:
            return TorchBackend(self.policy.model, opt, o.grad_clip)
        from .distributed.deepspeed_backend import DeepSpeedBackend

        ds = cfg.deepspeed
        backend = DeepSpeedBackend(self.policy.model, opt, zero_stage=ds.zero_stage,
                                   micro_batch_size=micro_batch_size, rows_per_minibatch=rows_per_minibatch,
                                   grad_clip=o.grad_clip, dtype=cfg.model.dtype,
                                   offload_optimizer=ds.offload_optimizer, offload_params=ds.offload_params)
        if comm.is_main():  # the derived DeepSpeed config, for inspection
            write_json(self.run_dir / "deepspeed_config.json", backend.config)
        return backend

    def _keep_vision_alive(self) -> bool:
        """Under DeepSpeed every rank runs the vision tower in every forward (ZeRO-3 gathers its weights, and
        ZeRO-2 reduces its gradients, in collectives all ranks must enter); the hook is installed once per model."""
        if not self.cfg.deepspeed.enabled:
            return False
        if not getattr(self.policy.model, "_mmreason_vision_hook", None):
            from .distributed.vision_keepalive import keep_vision_tower_alive

            ip = self.policy.processor.image_processor
            patch_dim = 3 * ip.temporal_patch_size * ip.patch_size ** 2
            self.policy.model._mmreason_vision_hook = keep_vision_tower_alive(self.policy.model, patch_dim,
                                                                              ip.merge_size)
        return True

    def close(self) -> None:
        if self.pool is not None:
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
        """Held-out accuracy with the rollout engine (rank 0 evaluates while the others wait)."""
        cfg = self.cfg
        res = {}
        if self.eval_set and comm.is_main():
            base = SamplingParams(temperature=cfg.rollout.temperature, top_p=cfg.rollout.top_p,
                                  top_k=cfg.rollout.top_k, max_new_tokens=cfg.eval.max_new_tokens or cfg.rollout.max_new_tokens)
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
            dt = time.perf_counter() - t0
            line = ", ".join(f"{k} {v['accuracy']:.3f}" for k, v in res.items())
            print(f"[eval] {name}: held-out accuracy {line} (n={len(self.eval_set)}, {dt:.1f}s)", flush=True)
            self.logger.log({"phase": f"eval/{name}", "time/eval": dt,
                             **{f"{k}/{m}": v for k, r in res.items() for m, v in r.items()}}, console=False)
        comm.barrier()
        return res

    def _sft(self, resume_from: Path | None) -> None:
        from .data import Mixture, derive_seed

        cfg, s = self.cfg, self.cfg.sft
        backend = self._backend(s.lr, s.batch_size // comm.world_size(), s.micro_batch_size)
        sched = make_scheduler(backend.optimizer, s.warmup_steps, s.steps, s.schedule, cfg.optim.min_lr_ratio)
        mixture = Mixture(self.train_sources, seed=derive_seed(cfg.run.seed, "sft"))
        vision = self._keep_vision_alive()
        step = 0
        if resume_from is not None:
            state = load_checkpoint(resume_from, self.policy.model, backend)
            sched.load_state_dict(state["scheduler"])
            mixture.load_state_dict(state["mixture"])
            step = int(state["step"])
            self._say(f"[resume] from {resume_from} (step {step})")
        every = cfg.train.save_every
        while step < s.steps:
            m = sft_step(backend, self.encoder, mixture.next_batch(s.batch_size), sched,
                         micro_batch_size=s.micro_batch_size, keep_vision_alive=vision)
            step += 1
            if step % cfg.train.log_every == 0 or step == s.steps:
                self.logger.log({"phase": "sft", "step": step, **m})
            if (every and step % every == 0) or step == s.steps:
                save_checkpoint(self.run_dir, "sft", step, self.policy.model, self.policy.processor,
                                {"scheduler": sched.state_dict(), "mixture": mixture.state_dict()}, backend,
                                keep=cfg.train.keep_checkpoints)
        save_model(self.policy.model, self.policy.processor, self.run_dir / "sft_model", backend)
        if cfg.deepspeed.enabled:  # the RL phase starts a fresh DeepSpeed engine from the saved (full) weights
            self.policy = self._load_policy(str(self.run_dir / "sft_model"))
        self._refresh_engine()

    def _refresh_engine(self) -> None:
        """Point the rollout engine at the current policy weights (a shared-module engine is rebuilt, which is
        free; a separate one, e.g. vLLM, gets the weights synced)."""
        if getattr(self.engine, "shares_policy", False):
            self.engine = self._make_engine(self.policy)
        else:
            self.engine.load_weights(self.policy.model.named_parameters())

    def make_rl_trainer(self) -> RLTrainer:
        """The RL trainer over the loaded policy, with a fresh optimizer, schedule and data stream."""
        from .data import Mixture, derive_seed

        cfg = self.cfg
        ref = copy.deepcopy(self.policy.model).eval().requires_grad_(False) if cfg.algorithm.kl_beta > 0 else None
        if self.zero3 and getattr(self.engine, "shares_policy", False):
            # ZeRO-3 shards the trained module: the transformers engine generates with a full copy instead
            rollout_policy = Policy(model=copy.deepcopy(self.policy.model).eval(), processor=self.policy.processor)
            self.engine = self._make_engine(rollout_policy)
            self.engine.shares_policy = False
        rows = cfg.rollout.prompts_per_step // comm.world_size() * cfg.rollout.group_size // cfg.train.minibatches
        backend = self._backend(cfg.optim.lr, rows, cfg.train.micro_batch_size)
        sched = make_scheduler(backend.optimizer, cfg.optim.warmup_steps, cfg.train.steps, cfg.optim.schedule,
                               cfg.optim.min_lr_ratio)
        mixture = Mixture(self.train_sources, seed=derive_seed(cfg.run.seed, "rl"))
        return RLTrainer(cfg, self.policy, self.engine, self.encoder, self.reward_fn, mixture, backend, sched,
                         ref_model=ref, keep_vision_alive=self._keep_vision_alive())

    def _rl(self, resume_from: Path | None) -> None:
        cfg = self.cfg
        trainer = self.make_rl_trainer()
        if resume_from is not None:
            trainer.load_state_dict(load_checkpoint(resume_from, self.policy.model, trainer.backend))
            trainer._sync()
            self._say(f"[resume] from {resume_from} (step {trainer.step_count})")
        every = cfg.train.save_every
        while trainer.step_count < cfg.train.steps:
            m = trainer.step()
            step = trainer.step_count
            if step % cfg.train.log_every == 0 or step == cfg.train.steps:
                self.logger.log({"phase": "rl", "step": step, **m})
            if cfg.train.eval_every and step % cfg.train.eval_every == 0 and step < cfg.train.steps:
                self.evaluate_heldout(f"rl_step_{step}")
            if (every and step % every == 0) or step == cfg.train.steps:
                save_checkpoint(self.run_dir, "rl", step, self.policy.model, self.policy.processor,
                                trainer.state_dict(), trainer.backend, keep=cfg.train.keep_checkpoints)
        save_model(self.policy.model, self.policy.processor, self.run_dir / "final_model", trainer.backend)

    def _say(self, line: str) -> None:
        if comm.is_main():
            print(line, flush=True)

    def _summary(self) -> dict:
        held = self.progress.get("heldout", {})
        pick = lambda name, mode: held.get(name, {}).get(mode, {}).get("accuracy")  # noqa: E731
        summary = {"run_dir": str(self.run_dir), "wall_time_s": round(self.progress.get("wall_time_s", 0.0), 1),
                   "heldout_n": len(self.eval_set), "heldout": held, "skipped_rows": self.skipped,
                   "world_size": comm.world_size()}
        for mode in ("greedy", "sampled"):
            for name in ("initial", "cold_start", "rl"):
                v = pick(name, mode)
                if v is not None:
                    summary[f"heldout_accuracy/{mode}/{name}"] = v
        if comm.is_main():
            write_json(self.progress_path, self.progress)
            write_json(self.run_dir / "summary.json", summary)
        return summary


def run_training(cfg: Config) -> dict:
    return Pipeline(cfg).run()
