"""GRPO steps on one GPU through mmreason's own trainer (`Pipeline.setup` → `make_rl_trainer` → `RLTrainer.step`,
the code `mmreason train` runs), on a Qwen2.5-VL-3B-shaped model with random bf16 weights built here (nothing
from a hub), with the transformers (hf) rollout engine. Two configurations, each in its own process: the
one-process torch backend, and DeepSpeed ZeRO-2 on one rank (`configs/deepspeed/zero2.yaml` under `torchrun
--nproc_per_node 1`). Prints one JSON object: generated tokens/s (rollout phase), update tokens/s, seconds per
phase per step, peak GPU memory and MFU.

    python bench/gpu_grpo_step.py          # sized for < 8 min with start-up on one H200 (estimate; not run there yet)
    python bench/gpu_grpo_step.py --device cpu --layers 1 --vision-depth 1 --narrow --image-px 112 \\
        --prompts 2 --group-size 2 --max-new-tokens 4 --steps 1 --warmup 0          # CPU smoke run (~30 s)

Data: puzzles from the project's own builder (`data_builders.build_dataset`) at `--image-px` (448: 1,024 vision
patches, 256 image tokens per prompt). Random weights almost never sample an end-of-turn token, so nearly every
completion runs to `--max-new-tokens` (no stop strings are set: `rollout.stop=[]`); every figure counts the tokens
actually generated (`completions_at_max_length` says how many ran to the limit). All rewards are 0 on random
weights, so the advantages and gradients are 0: the work (forward, backward, optimizer step) is the same. The
rollout phase is the engine's whole `generate` call, its per-token logprobs (computed on the CPU) included.

FLOPs (matmul FLOPs only; attention's sequence-squared term and the embedding lookup are left out):
  N_text   parameters of the model outside the vision tower (decoder + the tied embedding, counted once: it is
           the LM head's matmul); N_vis the vision tower's blocks and patch embedding, N_merger its patch merger
           (it runs on 1/merge² of the patches);
  vision forward = 2·N_vis·patches + 2·N_merger·patches/merge², over every row (each of the G rows of a prompt
           runs its image through the tower, in the rollout and in the update);
  rollout  = 2·N_text·(prompt tokens of every row + generated tokens) + vision forward (decode: 2·N_text·generated);
  logprobs = (π_old forward if computed + reference forward if β > 0) × (2·N_text·update tokens + vision forward);
  update   = epochs × 3 × (2·N_text·update tokens + vision forward), update tokens = Σ rows (prompt + response),
           unpadded (`update_tokens_padded`: the padded layout the forwards run on without train.packing).
MFU = FLOPs / seconds / (--peak-tflops, default 989: H200 dense bf16 by the datasheet; an 8192³ bf16 matmul
reaches ~790 on such a machine).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]  # runs from a bare checkout (no install needed)
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CONFIGS = {"torch": [], "zero2": [str(ROOT / "configs" / "deepspeed" / "zero2.yaml")]}
PHASES = ("rollout", "reward", "logprobs", "advantages", "update", "sync")
# --narrow: the embedded tiny model's widths (CPU smoke runs only; the figures are then of that shape)
NARROW = {"text": dict(vocab_size=1024, hidden_size=128, intermediate_size=256, num_attention_heads=4,
                       num_key_value_heads=2, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0,
                                                               "mrope_section": [4, 6, 6]}),
          "vision": dict(hidden_size=64, intermediate_size=128, num_heads=4, out_hidden_size=128)}
WORKER_OPTIONS = ("device", "image_px", "prompts", "group_size", "max_new_tokens", "steps", "warmup",
                  "micro_batch_size", "minibatches", "kl_beta", "temperature", "peak_tflops")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--layers", type=int, default=36)
    ap.add_argument("--vision-depth", type=int, default=32)
    ap.add_argument("--narrow", action="store_true", help="tiny widths and vocabulary (CPU smoke runs)")
    ap.add_argument("--image-px", type=int, default=448)
    ap.add_argument("--prompts", type=int, default=8, help="P: prompts per step")
    ap.add_argument("--group-size", type=int, default=8, help="G: completions per prompt")
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--steps", type=int, default=3, help="measured steps per configuration")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured steps first")
    ap.add_argument("--micro-batch-size", type=int, default=8, help="rows per update forward/backward")
    ap.add_argument("--minibatches", type=int, default=1, help="> 1 also computes π_old (one more forward)")
    ap.add_argument("--kl-beta", type=float, default=0.0, help="> 0 loads a reference model (one more forward)")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--peak-tflops", type=float, default=989.0, help="peak dense bf16 TFLOP/s of the device")
    ap.add_argument("--configs", default="torch,zero2", help=f"comma-separated, of {', '.join(CONFIGS)}")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="an extra config override for every configuration (e.g. train.packing=true)")
    ap.add_argument("--out-dir", default="", help="model, data, runs and worker logs (default: a temp dir)")
    ap.add_argument("--json-out", default="", help="also write the JSON object to this file")
    ap.add_argument("--worker-timeout", type=int, default=420, help="seconds per configuration's process")
    ap.add_argument("--worker", default="", help=argparse.SUPPRESS)
    ap.add_argument("--model", default="", help=argparse.SUPPRESS)
    ap.add_argument("--data", default="", help=argparse.SUPPRESS)
    ap.add_argument("--result", default="", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


# ---------------------------------------------------------------------------------------------- the worker
def overrides(args, run_dir: Path) -> list[str]:
    """The run's config: what `mmreason train ... key=value` would get."""
    cuda = args.device.startswith("cuda")
    rows = args.prompts * args.group_size
    return [f"run.out_dir={run_dir}", f"run.device={'cuda' if cuda else 'cpu'}", f"model.path={args.model}",
            f"model.dtype={'bfloat16' if cuda else 'float32'}", f"data.train=[{{adapter: puzzles, path: '{args.data}'}}]",
            f"rollout.group_size={args.group_size}", f"rollout.prompts_per_step={args.prompts}",
            f"rollout.max_new_tokens={args.max_new_tokens}", f"rollout.temperature={args.temperature}",
            "rollout.stop=[]", f"rollout.engine_options={{batch_size: {rows}}}",
            f"train.steps={args.steps + args.warmup}", f"train.micro_batch_size={args.micro_batch_size}",
            f"train.minibatches={args.minibatches}", f"algorithm.kl_beta={args.kl_beta}",
            "train.record_rollouts_every=0", "log.progress=quiet", *args.set]


def param_counts(model) -> dict:
    """N_text (everything outside the vision tower, tied weights once), N_vis (tower minus merger), N_merger."""
    from mmreason.model import vision_tower

    tower = vision_tower(model)
    in_tower = {id(p) for p in tower.parameters()} if tower is not None else set()
    merger = getattr(tower, "merger", None)
    n_merger = sum(p.numel() for p in merger.parameters()) if merger is not None else 0
    return {"text": sum(p.numel() for p in model.parameters() if id(p) not in in_tower),
            "vision": sum(p.numel() for p in tower.parameters()) - n_merger if tower is not None else 0,
            "merger": n_merger}


def token_counts(scored, max_new_tokens: int) -> dict:
    """What one step processed (this rank's groups): rows, prompt and generated tokens, vision patches."""
    G = scored.group_size
    prompt_lens = [len(p.input_ids) for p in scored.prompts]
    patches = [int(p.image_grid_thw.prod(-1).sum()) if p.image_grid_thw is not None else 0 for p in scored.prompts]
    lengths = scored.lengths.reshape(-1)
    generated = int(lengths.sum())
    rows = len(lengths)
    return {"rows": rows, "prompt_tokens": G * sum(prompt_lens), "generated_tokens": generated,
            "update_tokens": G * sum(prompt_lens) + generated,
            "update_tokens_padded": rows * (max(prompt_lens) + max(1, int(lengths.max()))),
            "vision_patches": G * sum(patches), "completions_at_max_length": int((lengths >= max_new_tokens).sum())}


def peak_memory(cuda: bool) -> dict:
    import torch

    if cuda:
        return {"peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
                "peak_memory_reserved_gib": torch.cuda.max_memory_reserved() / 2**30,
                "peak_memory_of": "torch.cuda.max_memory_allocated (whole process: load, warm-up, steps)"}
    import resource

    return {"peak_memory_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "peak_memory_of": "process max RSS (CPU run)"}


def worker(args) -> None:
    """One configuration in this process: set up the run as `mmreason train` does, step it, write the figures."""
    from transformers.utils import logging as hf_logging

    from mmreason.config import load_config
    from mmreason.distributed import comm
    from mmreason.pipeline import Pipeline

    hf_logging.disable_progress_bar()
    cfg = load_config(CONFIGS[args.worker], overrides(args, Path(args.result).parent / f"run_{args.worker}"))
    pipe = Pipeline(cfg)
    try:
        pipe.setup()
        trainer = pipe.make_rl_trainer()
        for _ in range(args.warmup):
            trainer.step()
        steps = []
        for _ in range(args.steps):
            metrics = trainer.step()
            steps.append({**{k[5:]: float(v) for k, v in metrics.items() if k.startswith("time/")},
                          **token_counts(trainer.last_scored, args.max_new_tokens)})
        counts = param_counts(pipe.policy.model)
        merge = pipe.encoder.merge_size
    finally:
        pipe.close()
    old = cfg.train.epochs_per_batch * cfg.train.minibatches > 1 or cfg.algorithm.tis_cap is not None
    forwards = int(old) + int(cfg.algorithm.kl_beta > 0)
    out = summarize(steps, counts, merge, forwards, cfg.train.epochs_per_batch, args.peak_tflops)
    ds = cfg.deepspeed
    out.update(peak_memory(args.device.startswith("cuda")), world_size=comm.world_size(), deepspeed=ds.enabled,
               zero_stage=ds.zero_stage if ds.enabled else None, dtype=cfg.model.dtype)
    if comm.is_main():
        Path(args.result).write_text(json.dumps(out))
    comm.destroy()


# ---------------------------------------------------------------------------------------------- the figures
def step_flops(s: dict, n: dict, merge: int, forwards: int, epochs: int) -> dict:
    vision = 2 * n["vision"] * s["vision_patches"] + 2 * n["merger"] * s["vision_patches"] / merge ** 2
    full = 2 * n["text"] * s["update_tokens"] + vision  # one forward over every row, prompt + response
    return {"rollout": full, "decode": 2 * n["text"] * s["generated_tokens"], "logprobs": forwards * full,
            "update": epochs * 3 * full}


def summarize(steps: list[dict], n: dict, merge: int, forwards: int, epochs: int, peak_tflops: float) -> dict:
    """Means over the measured steps: seconds per phase, tokens/s, achieved TFLOP/s and MFU."""
    mean = lambda k: sum(s.get(k, 0.0) for s in steps) / len(steps)  # noqa: E731
    flops = [step_flops(s, n, merge, forwards, epochs) for s in steps]
    fmean = lambda k: sum(f[k] for f in flops) / len(flops)  # noqa: E731
    phase = {p: mean(p) for p in PHASES}
    total = sum(fmean(k) for k in ("rollout", "logprobs", "update"))
    peak = peak_tflops * 1e12
    tflops = {"rollout": fmean("rollout") / phase["rollout"] / 1e12,
              "update": fmean("update") / phase["update"] / 1e12, "step": total / mean("step") / 1e12}
    if forwards:
        tflops["logprobs"] = fmean("logprobs") / phase["logprobs"] / 1e12
    tokens = {k: mean(k) for k in ("rows", "prompt_tokens", "generated_tokens", "update_tokens",
                                   "update_tokens_padded", "vision_patches", "completions_at_max_length")}
    return {"steps_measured": len(steps), "s_per_step": mean("step"), "phase_s": phase,
            "generated_tokens_per_s": tokens["generated_tokens"] / phase["rollout"],
            "update_tokens_per_s": epochs * tokens["update_tokens"] / phase["update"],
            "tokens_per_step": tokens, "tflops_per_step": {k: fmean(k) / 1e12 for k in flops[0]},
            "achieved_tflops_per_s": tflops, "mfu": {k: v * 1e12 / peak for k, v in tflops.items()},
            "params": n, "forwards_before_update": forwards, "epochs_per_batch": epochs}


def rounded(x):
    if isinstance(x, float):
        return float(f"{x:.4g}") if abs(x) < 1000 else round(x)
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    return x


# ---------------------------------------------------------------------------------------------- the driver
def versions() -> dict:
    import importlib.metadata as md

    out = {"python": sys.version.split()[0]}
    for name in ("torch", "transformers", "deepspeed", "tokenizers"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def build_data(out: Path, args) -> Path:
    from data_builders import build_dataset

    n = max(16, args.prompts * (args.steps + args.warmup))
    return build_dataset("puzzles", out, n=n, seed=0, difficulty="1-3", image_size=args.image_px,
                         min_pixels=56 * 56, max_pixels=args.image_px ** 2, overwrite=True)


def launch(name: str, args, model_dir: Path, data: Path, tmp: Path) -> dict:
    """One configuration in its own process (ZeRO-2 under torchrun, one rank); its figures, or the error."""
    result, log = tmp / f"{name}.json", tmp / f"{name}.log"
    argv = [str(Path(__file__).resolve()), "--worker", name, "--model", str(model_dir), "--data", str(data),
            "--result", str(result), *[x for kv in args.set for x in ("--set", kv)]]
    for key in WORKER_OPTIONS:
        argv += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
    if name == "torch":
        cmd = [sys.executable, *argv]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1", *argv]
    env = dict(os.environ)
    if not args.device.startswith("cuda"):
        env["DS_ACCELERATOR"] = "cpu"
    t0 = time.perf_counter()
    with open(log, "w") as f:
        try:
            rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                timeout=args.worker_timeout).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    wall = time.perf_counter() - t0
    if rc != 0 or not result.is_file():
        return {"error": f"exit {rc} after {wall:.0f} s", "log": str(log), "log_tail": log.read_text()[-2500:]}
    return {**json.loads(result.read_text()), "process_wall_s": wall, "log": str(log)}


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    import torch
    from transformers.utils import logging as hf_logging

    from gpu_rollout_engines import build_model

    hf_logging.disable_progress_bar()
    t_start = time.perf_counter()
    cuda = args.device.startswith("cuda")
    tmp = Path(args.out_dir or tempfile.mkdtemp(prefix="gpu_grpo."))
    tmp.mkdir(parents=True, exist_ok=True)
    model_dir = build_model(tmp / "model", args.layers, args.vision_depth, args.image_px, args.device,
                            shape=NARROW if args.narrow else None)
    if cuda:
        gc.collect()
        torch.cuda.empty_cache()  # the workers get the whole GPU
    build_s = time.perf_counter() - t_start
    data = build_data(tmp / "data", args)
    result = {"bench": "grpo_step_gpu", "device": torch.cuda.get_device_name() if cuda else "cpu",
              "versions": versions(), "layers": args.layers, "vision_depth": args.vision_depth, "narrow": args.narrow,
              "image_px": args.image_px, "prompts": args.prompts, "group_size": args.group_size,
              "max_new_tokens": args.max_new_tokens, "steps": args.steps, "warmup": args.warmup,
              "micro_batch_size": args.micro_batch_size, "peak_tflops": args.peak_tflops, "overrides": args.set,
              "model_build_s": build_s, "data_build_s": time.perf_counter() - t_start - build_s}
    for name in args.configs.split(","):
        result[name] = launch(name, args, model_dir, data, tmp)
        result["total_wall_s"] = time.perf_counter() - t_start
        text = json.dumps(rounded(result))
        if args.json_out:  # after each configuration: a run cut short still leaves what it measured
            Path(args.json_out).write_text(text + "\n")
    print(text)
    return 1 if any("error" in result[name] for name in args.configs.split(",")) else 0


if __name__ == "__main__":
    sys.exit(main())
