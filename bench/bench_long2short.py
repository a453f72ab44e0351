"""Long-to-short on the embedded tiny VLM (count puzzles, level 1): a "long" policy, then Kimi k1.5's four ways to
shorten it, each measured by held-out accuracy and mean response length (greedy and sampled at T=1).

The long policy: cold-start SFT on reference reasoning where 70% of the rows (chosen by a hash of the row id) carry
a redundant self-check after the trace ("… = 3. Check again: rows: 1, 0, 2, 0. 1 + 0 + 2 + 0 = 3."), about twice
the tokens — the kind of verbosity long-CoT models carry — then GRPO on accuracy. From it, as one pipeline:
    rs / short_sft   shortest rejection sampling (k=8, the shortest correct per prompt) + SFT
    dpo              DPO on pairs: shortest correct ≻ a correct one ≥ 1.5× longer
    merged           0.5·long + 0.5·short_sft (weight averaging)
    lp_rl            GRPO with the Kimi length reward (reward.length_weight)
Prints one JSON object (and writes OUT/results.json); RUN_DIR/pipeline.json has every stage.

    python bench/bench_long2short.py --out runs/bench_long2short
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

LONG_FRACTION = 0.7
METHODS = ("short_sft", "dpo", "merged", "lp_rl")


def verbose(trace: str) -> str:
    return f"{trace} Check again: {trace[0].lower()}{trace[1:]}"


def make_long_data(src: Path, out: Path) -> Path:
    """The training rows with the self-check appended to LONG_FRACTION of the traces (hash of the row id)."""
    from mmreason.config.schema import SourceConfig
    from mmreason.data import load_sources
    from mmreason.data.writer import write_dataset

    if (out / "manifest.json").is_file():
        return out
    samples = load_sources([SourceConfig(name="count", adapter="puzzles", path=str(src))])[0].samples
    rows = []
    for s in samples:
        h = int.from_bytes(hashlib.blake2b(s.id.encode(), digest_size=8).digest(), "little") / 2 ** 64
        rows.append((s, {"id": s.id.split("/", 1)[1], "reasoning": verbose(s.reasoning) if h < LONG_FRACTION
                         else s.reasoning}))
    return write_dataset(out, rows, {"kind": "long_cot", "long_fraction": LONG_FRACTION})


def pipeline_config(out: Path, long_data: Path, args) -> list[str]:
    data, base = out / "data", args.base
    stages = [
        {"name": "long_sft", "stage": "sft", "overrides": {
            "sft": {"steps": args.sft_steps}, "data": {"train": [{"name": "long", "adapter": "puzzles",
                                                                  "path": str(long_data)}]}}},
        {"name": "long_rl", "stage": "rl", "overrides": {"train": {"steps": args.rl_steps}}},
        {"name": "rs", "stage": "sample", "from": base, "overrides": {"sample": {
            "k": 8, "prompts": args.rs_prompts, "keep": "shortest", "pairs": "short_long", "long_ratio": 1.5,
            "batch_size": 50}}},
        {"name": "short_sft", "stage": "sft", "from": base, "data": "rs",
         "overrides": {"sft": {"steps": args.short_sft_steps, "lr": 2e-4, "warmup_steps": 0}}},
        {"name": "dpo", "stage": "dpo", "from": base, "data": "rs",
         "overrides": {"dpo": {"steps": args.dpo_steps, "beta": 0.1, "lr": args.dpo_lr,
                               "sft_weight": args.dpo_sft_weight, "batch_size": 16,
                               "micro_batch_size": 16}}},
        {"name": "merged", "stage": "merge", "from": base, "other": "short_sft", "weight": 0.5},
        {"name": "lp_rl", "stage": "rl", "from": base, "overrides": {
            "train": {"steps": args.lp_steps}, "reward": {"length_weight": args.length_weight}}},
    ]
    return [f"run.out_dir={out / 'run'}", "run.threads=1", "run.seed=0",
            f"data.train=[{{name: count, adapter: puzzles, path: '{data / 'train'}'}}]",
            f"data.eval=[{{name: held, adapter: puzzles, path: '{data / 'heldout'}'}}]",
            "rollout.group_size=8", "rollout.prompts_per_step=8", "rollout.max_new_tokens=128",
            "sft.batch_size=32", "sft.lr=1e-3", "sft.schedule=constant", "optim.lr=2e-4", "train.minibatches=2",
            "train.micro_batch_size=32", "train.save_every=50", "train.record_rollouts_every=0",
            "log.progress=plain", f"eval.n={args.eval_n}", f"pipeline={json.dumps(stages)}"]


def table(record: dict, base: str = "long_rl") -> dict:
    def row(name):
        h = record["stages"][name]["heldout"]
        return {f"{k}/{mode}": round(h[mode][m], 4) for mode in ("greedy", "sampled")
                for k, m in (("accuracy", "accuracy/mean"), ("length", "response_length/mean"))}
    out = {f"{name} (before)" if name == base else name: row(name) for name in ("long_sft", "long_rl")}
    base = row(base)
    for name in METHODS:
        r = row(name)
        for mode in ("greedy", "sampled"):
            r[f"length_change/{mode}"] = round(r[f"length/{mode}"] / base[f"length/{mode}"] - 1, 4)
            r[f"accuracy_change_points/{mode}"] = round(100 * (r[f"accuracy/{mode}"] - base[f"accuracy/{mode}"]), 1)
        out[name] = r
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/bench_long2short")
    ap.add_argument("--sft-steps", type=int, default=300)
    ap.add_argument("--rl-steps", type=int, default=60)
    ap.add_argument("--rs-prompts", type=int, default=800)
    ap.add_argument("--short-sft-steps", type=int, default=150)
    ap.add_argument("--dpo-steps", type=int, default=100)
    ap.add_argument("--dpo-lr", type=float, default=2e-5)
    ap.add_argument("--dpo-sft-weight", type=float, default=1.0)
    ap.add_argument("--lp-steps", type=int, default=60)
    ap.add_argument("--length-weight", type=float, default=0.5)
    ap.add_argument("--eval-n", type=int, default=300)
    ap.add_argument("--base", choices=["long_rl", "long_sft"], default="long_rl",
                    help="the long policy the four methods start from (and are compared with)")
    args = ap.parse_args()
    out = Path(args.out).absolute()
    from data_builders import build_dataset
    from mmreason.config import load_config
    from mmreason.runner import run_pipeline

    t0 = time.perf_counter()
    for split, n in (("train", 2000), ("heldout", 300)):
        if not (out / "data" / split / "manifest.json").is_file():
            build_dataset("puzzles", out / "data" / split, n=n, seed=0, split=split, difficulty="1",
                          families=["count"], image_size=112)
    long_data = make_long_data(out / "data" / "train", out / "data" / "train_long")
    summary = run_pipeline(load_config(None, pipeline_config(out, long_data, args)))
    record = json.loads((out / "run" / "pipeline.json").read_text())
    rs = json.loads((out / "run" / "rs" / "sampled" / "report.json").read_text())["report"]
    result = {"bench": "long2short", "wall_time_s": round(time.perf_counter() - t0, 1), "args": vars(args),
              "table": table(record, args.base), "rs": {k: rs[k] for k in ("pass@1/mean", "pass@8/mean", "sft_rows", "pairs",
                                                               "tokens/mean_all", "tokens/mean_kept")},
              "pipeline_summary": summary}
    (out / "results.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result["table"], indent=1))


if __name__ == "__main__":
    main()
