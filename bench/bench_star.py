"""One STaR round (Zelikman et al. 2022) on the embedded tiny VLM: sample rationales with a starting checkpoint,
keep the ones that reach the gold answer — retrying unsolved prompts with the answer as a hint (rationalisation)
— and fine-tune the starting checkpoint on them; held-out accuracy per difficulty level before and after.

The starting checkpoint is the cold start of bench_samplers.py (count puzzles levels 1–3), run that first (or pass
--start and --data). Prints one JSON object (and writes OUT/results.json).

    python bench/bench_star.py --out runs/bench_star [--start runs/bench_samplers/cold_start/sft_model]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def overrides(out: Path, args) -> list[str]:
    data = Path(args.data).absolute()
    stages = [
        {"name": "star_rs", "stage": "sample", "overrides": {"sample": {
            "k": args.k, "prompts": args.prompts, "keep": "max", "max_per_prompt": 1, "rationalize": True,
            "batch_size": 50}}},
        {"name": "star_sft", "stage": "sft", "data": "star_rs", "overrides": {"sft": {
            "steps": args.sft_steps, "lr": args.lr, "warmup_steps": 0, "schedule": "constant", "batch_size": 32}}},
    ]
    return [f"run.out_dir={out / 'run'}", "run.threads=1", "run.seed=0", f"model.path={Path(args.start).absolute()}",
            f"data.train=[{{name: count, adapter: puzzles, path: '{data / 'train'}'}}]",
            f"data.eval=[{{name: held, adapter: puzzles, path: '{data / 'heldout'}'}}]",
            "rollout.max_new_tokens=80", "eval.n=300", "log.progress=plain", "train.save_every=50",
            f"pipeline={json.dumps(stages)}"]


def row(entry: dict) -> dict:
    out = {}
    for mode, r in (entry.get("heldout") or {}).items():
        out[f"accuracy/{mode}"] = round(r["accuracy/mean"], 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/bench_star")
    ap.add_argument("--start", default="runs/bench_samplers/cold_start/sft_model")
    ap.add_argument("--data", default="runs/bench_samplers/data")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--prompts", type=int, default=1500)
    ap.add_argument("--sft-steps", type=int, default=150)
    ap.add_argument("--lr", type=float, default=2e-4)
    args = ap.parse_args()
    out = Path(args.out).absolute()
    from mmreason.config import load_config
    from mmreason.runner import run_pipeline

    t0 = time.perf_counter()
    run_pipeline(load_config(None, overrides(out, args)))
    record = json.loads((out / "run" / "pipeline.json").read_text())
    rs = json.loads((out / "run" / "star_rs" / "sampled" / "report.json").read_text())["report"]
    levels = {}
    for name in ("initial", "star_sft"):
        prog = json.loads((out / "run" / name / "progress.json").read_text())["heldout"][name]
        levels[name] = {mode: {d: round(r.get(f"accuracy/difficulty/{d}", float("nan")), 4) for d in "123"}
                        for mode, r in prog.items()}
    result = {"bench": "star", "wall_time_s": round(time.perf_counter() - t0, 1), "args": vars(args),
              "start": row(record["stages"]["initial"]), "after_star_sft": row(record["stages"]["star_sft"]),
              "by_level": levels,
              "sampling": {k: rs[k] for k in ("pass@1/mean", f"pass@{args.k}/mean", "prompts_with_kept", "sft_rows",
                                              "rationalized_rows", "rationalize_attempts")}}
    (out / "results.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
