"""Curriculum and prioritized prompt sampling against uniform sampling, on the embedded tiny VLM: one cold start
shared by every run, then GRPO with each sampler and seed, held-out greedy accuracy every `--eval-every` steps;
reports the steps each run needs to reach fixed held-out accuracies. Prints one JSON object (and writes it to
OUT/results.json).

    # count puzzles levels 1–3, curriculum by the builders' difficulty
    python bench/bench_samplers.py --out runs/bench_samplers --seeds 0 --steps 150
    # count puzzles level 1, curriculum by the number of shapes (meta column n_objects, 1–6)
    python bench/bench_samplers.py --out runs/bench_samplers_l1 --levels 1 --steps 120 --curriculum-key n_objects \
        --gradual-steps 0 80 --samplers uniform curriculum_gradual prioritized --thresholds 0.65 0.70 0.75 --jobs 1

Runs are deterministic given the seed; each uses one thread (`run.threads=1`), `--jobs` of them at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

SAMPLER_NAMES = ("uniform", "curriculum_staged", "curriculum_gradual", "prioritized")


def sampler_overrides(name: str, args) -> list[str]:
    """The config of each compared sampler (`--curriculum-key`: difficulty, or a meta column such as n_objects)."""
    cur = ["data.sampler=curriculum", f"data.curriculum.key={args.curriculum_key}", "data.curriculum.replay=0.2"]
    return {"uniform": [],
            "curriculum_staged": cur + ["data.curriculum.schedule=staged",
                                        f"data.curriculum.steps={json.dumps(args.staged_steps)}"],
            "curriculum_gradual": cur + ["data.curriculum.schedule=gradual",
                                         f"data.curriculum.steps={json.dumps(args.gradual_steps)}"],
            "prioritized": ["data.sampler=prioritized", "data.prioritized.floor=0.1", "data.prioritized.ema=0.5"],
            }[name]


def base_overrides(out: Path, levels: str) -> list[str]:
    data = out / "data"
    return [f"data.build=[{{kind: puzzles, families: [count], split: train, n: 3000, seed: 0, difficulty: '{levels}', "
            f"image_size: 112, out: '{data / 'train'}'}}, {{kind: puzzles, families: [count], split: heldout, "
            f"n: 300, seed: 0, difficulty: '{levels}', image_size: 112, out: '{data / 'heldout'}'}}]",
            f"data.train=[{{name: count, adapter: puzzles, path: '{data / 'train'}'}}]",
            f"data.eval=[{{name: held, adapter: puzzles, path: '{data / 'heldout'}'}}]",
            "run.threads=1", "rollout.group_size=8", "rollout.prompts_per_step=8", "rollout.max_new_tokens=80",
            "optim.lr=2e-4", "train.minibatches=1", "train.micro_batch_size=32", "eval.n=300", "eval.sampled=false",
            "log.progress=quiet", "train.record_rollouts_every=0"]


def cold_start(out: Path, levels: str, sft_steps: int) -> str:
    from mmreason.config import load_config
    from mmreason.stages.single import execute_stage

    model = out / "cold_start" / "sft_model"
    if not (model / "config.json").is_file():
        cfg = load_config(None, base_overrides(out, levels) + [
            f"run.out_dir={out / 'cold_start'}", f"sft.steps={sft_steps}", "sft.batch_size=32", "sft.lr=1e-3",
            "sft.schedule=constant", "train.resume=true", "train.save_every=100"])
        execute_stage(cfg, "sft", "cold_start")
    return str(model)


def run_one(out: Path, args, sampler: str, seed: int) -> dict:
    from mmreason.config import load_config
    from mmreason.stages.single import execute_stage

    run_dir = out / f"{sampler}_s{seed}"
    cfg = load_config(None, base_overrides(out, args.levels) + sampler_overrides(sampler, args) + [
        f"run.out_dir={run_dir}", f"run.seed={seed}", f"model.path={out / 'cold_start' / 'sft_model'}",
        f"train.steps={args.steps}", f"train.eval_every={args.eval_every}", "train.save_every=50",
        "train.resume=true", "data.build=[]"])
    t0 = time.perf_counter()
    execute_stage(cfg, "rl", f"rl_step_{args.steps}")
    return collect(out, sampler, seed, args.steps, round(time.perf_counter() - t0, 1))


def collect(out: Path, sampler: str, seed: int, steps: int, wall: float | None) -> dict:
    """A run's held-out curve (greedy accuracy every eval, step 0 = the cold start) from its progress.json, up to
    `steps`."""
    held = json.loads((out / f"{sampler}_s{seed}" / "progress.json").read_text())["heldout"]
    start = json.loads((out / "cold_start" / "progress.json").read_text())["heldout"]["cold_start"]
    curve = {0: start["greedy"]}
    for name, r in held.items():
        if name.startswith("rl_step_") and int(name.rsplit("_", 1)[1]) <= steps:
            curve[int(name.rsplit("_", 1)[1])] = r["greedy"]
    curve = dict(sorted(curve.items()))
    return {"sampler": sampler, "seed": seed, "wall_time_s": wall,
            "curve": {str(k): round(v["accuracy/mean"], 4) for k, v in curve.items()},
            "by_level": {str(k): {d: round(v[f"accuracy/difficulty/{d}"], 4) for d in "123"
                                  if f"accuracy/difficulty/{d}" in v} for k, v in curve.items()}}


def steps_to(curve: dict, threshold: float):
    for step, acc in sorted(((int(k), v) for k, v in curve.items())):
        if acc >= threshold:
            return step
    return None


def aggregate(results: list[dict], start: float, thresholds, steps: int) -> dict:
    """Steps to each threshold, final and best accuracy per sampler; a run longer than `steps` is read up to `steps`
    (the schedule is constant, so its first `steps` steps are exactly a `steps`-step run)."""
    results = [dict(r, curve={k: v for k, v in r["curve"].items() if int(k) <= steps}) for r in results]
    table = {}
    for sampler in SAMPLER_NAMES:
        runs = sorted((r for r in results if r["sampler"] == sampler), key=lambda r: r["seed"])
        if not runs:
            continue
        row = {"seeds": [r["seed"] for r in runs],
               "final_accuracy": [r["curve"][max(r["curve"], key=int)] for r in runs],
               "best_accuracy": [max(r["curve"].values()) for r in runs]}
        for t in thresholds:
            row[f"steps_to_{t:.2f}"] = [steps_to(r["curve"], t) for r in runs]
        table[sampler] = row
    return {"cold_start_accuracy": start, "table": table, "thresholds": thresholds}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/bench_samplers")
    ap.add_argument("--levels", default="1-3")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--samplers", nargs="+", default=list(SAMPLER_NAMES), choices=list(SAMPLER_NAMES))
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--eval-every", type=int, default=10)
    ap.add_argument("--sft-steps", type=int, default=300)
    ap.add_argument("--curriculum-key", default="difficulty")
    ap.add_argument("--staged-steps", type=int, nargs="+", default=[40, 80])
    ap.add_argument("--gradual-steps", type=int, nargs=2, default=[0, 100])
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.30, 0.35, 0.40, 0.45])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-started", action="store_true", help="leave runs another process has started alone")
    ap.add_argument("--one", nargs=2, metavar=("SAMPLER", "SEED"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = Path(args.out).absolute()
    if args.one:
        res = run_one(out, args, args.one[0], int(args.one[1]))
        (out / f"result_{args.one[0]}_s{args.one[1]}.json").write_text(json.dumps(res, indent=1))
        return
    t0 = time.perf_counter()
    cold_start(out, args.levels, args.sft_steps)
    start = json.loads((out / "cold_start" / "progress.json").read_text())["heldout"]["cold_start"]["greedy"]
    todo = [(s, seed) for seed in args.seeds for s in args.samplers
            if not (out / f"result_{s}_s{seed}.json").is_file()
            and not (args.skip_started and (out / f"{s}_s{seed}").exists())]
    running: list[subprocess.Popen] = []
    while todo or running:
        while todo and len(running) < args.jobs:
            s, seed = todo.pop(0)
            cmd = [sys.executable, __file__, *_child_args(args, out), "--one", s, str(seed)]
            running.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL))
        time.sleep(5)
        for p in [p for p in running if p.poll() is not None]:
            if p.returncode:
                raise SystemExit(f"run {p.args[-2:]} failed with exit code {p.returncode}")
            running.remove(p)
    results = [json.loads(p.read_text()) for p in sorted(out.glob("result_*.json"))
               if any(p.name == f"result_{s}_s{seed}.json" for s in args.samplers for seed in args.seeds)]
    summary = {"bench": "samplers", "levels": args.levels, "curriculum_key": args.curriculum_key,
               "steps": args.steps, "seeds": args.seeds, "wall_time_s": round(time.perf_counter() - t0, 1),
               **aggregate(results, start["accuracy/mean"], args.thresholds, args.steps),
               "cold_start_by_level": {d: start.get(f"accuracy/difficulty/{d}") for d in "123"}, "runs": results}
    (out / "results.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=1))


def _child_args(args, out: Path) -> list[str]:
    return ["--out", str(out), "--levels", args.levels, "--steps", str(args.steps), "--eval-every",
            str(args.eval_every), "--curriculum-key", args.curriculum_key, "--staged-steps",
            *map(str, args.staged_steps), "--gradual-steps", *map(str, args.gradual_steps)]


if __name__ == "__main__":
    main()
