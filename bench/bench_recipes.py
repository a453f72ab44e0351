"""The recipe table: every recipe overlay (configs/recipes/) trained from the same cold-start checkpoint of the CPU
demo, the same number of RL steps, several seeds; held-out greedy and sampled accuracy, response length, seconds per
step. Prints one JSON object (and, with --markdown, the README table).

    python bench/bench_recipes.py [--recipes grpo,dapo,...] [--seeds 0,1,2] [--steps 120] [--parallel 2]
                                  [--out runs/recipe_table] [--markdown] [--report-only]

The cold start (demo data, 300 SFT steps, seed 0) is trained once into OUT/cold_start and reused. Each run is
`mmreason train configs/demo.yaml configs/recipes/<recipe>.yaml model.path=OUT/cold_start/sft_model sft.steps=0
run.seed=<seed>` with one thread; `--parallel` runs go at once (default 2, one per core). A finished run
(summary.json present) is not run again, so an interrupted table resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted(p.stem for p in (ROOT / "configs" / "recipes").glob("*.yaml"))


def train(args: list[str], log: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1"}
    with open(log, "w") as f:
        r = subprocess.run([sys.executable, "-m", "mmreason", "train", *args, "run.threads=1"], cwd=ROOT, env=env,
                           stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise SystemExit(f"failed: mmreason train {' '.join(args)} (log: {log})")


def cold_start(out: Path) -> Path:
    run = out / "cold_start"
    if not (run / "summary.json").is_file():
        run.mkdir(parents=True, exist_ok=True)
        train(["configs/demo.yaml", f"run.out_dir={run}", "train.steps=0"], run.with_suffix(".log"))
    return run / "sft_model"


def one_run(out: Path, model: Path, recipe: str, seed: int, steps: int) -> dict:
    run = out / f"{recipe}-s{seed}"
    if not (run / "summary.json").is_file():
        run.mkdir(parents=True, exist_ok=True)
        train(["configs/demo.yaml", f"configs/recipes/{recipe}.yaml", f"model.path={model}", "sft.steps=0",
               f"run.seed={seed}", f"train.steps={steps}", f"run.out_dir={run}"], run.with_suffix(".log"))
    s = json.loads((run / "summary.json").read_text())
    rl = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if '"phase": "rl"' in line]
    return {"recipe": recipe, "seed": seed,
            "greedy_start": s["heldout_accuracy/greedy/initial"], "greedy": s["heldout_accuracy/greedy/rl"],
            "sampled_start": s["heldout_accuracy/sampled/initial"], "sampled": s["heldout_accuracy/sampled/rl"],
            "response_length": s["heldout"]["rl"]["sampled"]["response_length/mean"],
            "s_per_step": statistics.mean(m["time/step"] for m in rl)}


def summarise(rows: list[dict]) -> dict:
    out = {}
    for recipe in sorted({r["recipe"] for r in rows}):
        mine = [r for r in rows if r["recipe"] == recipe]
        agg = {}
        for k in ("greedy_start", "greedy", "sampled_start", "sampled", "response_length", "s_per_step"):
            vals = [r[k] for r in mine]
            agg[k] = {"mean": statistics.mean(vals), "min": min(vals), "max": max(vals)}
        agg["sampled_gain"] = agg["sampled"]["mean"] - agg["sampled_start"]["mean"]
        agg["greedy_gain"] = agg["greedy"]["mean"] - agg["greedy_start"]["mean"]
        agg["seeds"] = [r["seed"] for r in mine]
        out[recipe] = agg
    return out


def markdown(table: dict) -> str:
    pct = lambda d: f"{100 * d['mean']:.1f} ({100 * d['min']:.1f}–{100 * d['max']:.1f})"  # noqa: E731
    lines = ["| recipe | greedy: cold start → after RL | sampled (T=1): cold start → after RL | sampled gain | "
             "response length | s/step | seeds |", "|---|---|---|---|---|---|---|"]
    for name, a in table.items():
        lines.append(f"| {name} | {pct(a['greedy_start'])} → {pct(a['greedy'])} | {pct(a['sampled_start'])} → "
                     f"{pct(a['sampled'])} | {100 * a['sampled_gain']:+.1f} | {a['response_length']['mean']:.1f} | "
                     f"{a['s_per_step']['mean']:.2f} | {len(a['seeds'])} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipes", default=",".join(RECIPES))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--out", default="runs/recipe_table")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--report-only", action="store_true", help="summarise the finished runs under --out; run nothing")
    args = ap.parse_args()
    out = (ROOT / args.out).resolve()
    t0 = time.time()
    model = out / "cold_start" / "sft_model" if args.report_only else cold_start(out)
    # seed-major: every recipe's first seed before any second seed, so an interrupted table covers every recipe
    jobs = [(r, int(s)) for s in args.seeds.split(",") for r in args.recipes.split(",")]
    if args.report_only:
        jobs = [j for j in jobs if (out / f"{j[0]}-s{j[1]}" / "summary.json").is_file()]
    with ThreadPoolExecutor(args.parallel) as pool:
        rows = list(pool.map(lambda j: one_run(out, model, j[0], j[1], args.steps), jobs))
    table = summarise(rows)
    print(json.dumps({"bench": "recipes", "steps": args.steps, "seeds": args.seeds, "wall_s": round(time.time() - t0),
                      "date": time.strftime("%Y-%m-%d"), "table": table, "runs": rows}))
    if args.markdown:
        print(markdown(table))


if __name__ == "__main__":
    main()
