"""RL step throughput on the embedded tiny VLM (CPU): seconds per phase, generated tokens/s. Prints one JSON object.

    python bench/bench_rl.py [--steps 5] [--size tiny|small] [--group-size 8] [--prompts 8] [--max-new-tokens 48]
                             [--packing] [--no-share-prompts] [--no-share-prefill] [--model DIR]

`--packing` sets train.packing=true. Either way the JSON reports the padding share of the update's micro-batches in
the padded layout (`pad_fraction_padded`) and in the packed layout train.packing builds (`pad_fraction_packed`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--size", default="tiny", choices=["tiny", "small"])
    ap.add_argument("--group-size", type=int, default=8)
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--minibatches", type=int, default=2)
    ap.add_argument("--packing", action="store_true", help="train.packing=true (the update's forwards packed)")
    ap.add_argument("--share-prompts", action=argparse.BooleanOptionalAction, default=None,
                    help="train.share_prompts (default: the config's default)")
    ap.add_argument("--share-prefill", action=argparse.BooleanOptionalAction, default=True,
                    help="the hf engine's share_prefill (rollout.engine_options; default on)")
    ap.add_argument("--model", default="", help="model directory (e.g. a cold start, whose responses vary in "
                                                 "length); default: a fresh embedded model of --size")
    args = ap.parse_args()

    import torch
    from transformers.utils import logging as hf_logging

    from data_builders import build_dataset
    from mmreason.config import load_config
    from mmreason.pipeline import Pipeline
    from mmreason.tiny_model import init_model

    hf_logging.disable_progress_bar()
    tmp = Path(tempfile.mkdtemp(prefix="bench_rl."))
    model = Path(args.model) if args.model else init_model(tmp / "model", size=args.size)
    data = build_dataset("puzzles", tmp / "data", n=64, seed=0, difficulty="1", families=["count"], image_size=112)
    cfg = load_config(None, [f"run.out_dir={tmp / 'run'}", f"model.path={model}",
                             f"data.train=[{{adapter: puzzles, path: '{data}'}}]",
                             f"rollout.group_size={args.group_size}", f"rollout.prompts_per_step={args.prompts}",
                             f"rollout.max_new_tokens={args.max_new_tokens}", f"train.minibatches={args.minibatches}",
                             "train.micro_batch_size=32", f"train.packing={str(args.packing).lower()}"]
                      + ([] if args.share_prompts is None else [f"train.share_prompts={str(args.share_prompts).lower()}"])
                      + [f"rollout.engine_options={{share_prefill: {str(args.share_prefill).lower()}}}"])
    pipe = Pipeline(cfg)
    pipe.setup()
    try:
        trainer = pipe.make_rl_trainer()
        pad = count_padding(trainer)
        trainer.step()  # warm-up
        pad.update(real=0, padded=0, packed=0)
        rows = [trainer.step() for _ in range(args.steps)]
    finally:
        pipe.close()
    mean = lambda k: sum(r[k] for r in rows) / len(rows)  # noqa: E731
    out = {"bench": "rl_step", "size": args.size, "model": args.model or "fresh", "torch_threads": torch.get_num_threads(),
           "completions_per_step": args.group_size * args.prompts, "max_new_tokens": args.max_new_tokens,
           "steps": args.steps, "packing": args.packing,
           "share_prompts": cfg.train.share_prompts, "share_prefill": args.share_prefill, "s_per_step": round(mean("time/step"), 4),
           "pad_fraction_padded": round(1 - pad["real"] / max(pad["padded"], 1), 4),
           "pad_fraction_packed": round(1 - pad["real"] / max(pad["packed"], 1), 4),
           "tokens_per_s_rollout": round(mean("tokens_per_s"), 1),
           "response_length": round(mean("response_length/mean"), 1),
           **{k: round(mean(k), 4) for k in rows[0] if k.startswith("time/") and k != "time/step"}}
    print(json.dumps(out))


def count_padding(trainer) -> dict:
    """Token counts of every update micro-batch: real tokens, the padded layout's B·T, the packed layout's R·L."""
    from mmreason.trainer.packing import plan_rows

    counts = {"real": 0, "padded": 0, "packed": 0}
    micro_step = trainer._micro_step

    def counting(micro, *a, **kw):
        lengths = micro.attention_mask.sum(1).tolist()
        B, T = micro.input_ids.shape
        rows = plan_rows(lengths, T)  # sdpa/eager: rows of at most the padded width (packing.row_budget)
        counts["real"] += sum(lengths)
        counts["padded"] += B * T
        counts["packed"] += len(rows) * max(sum(lengths[i] for i in r) for r in rows)
        return micro_step(micro, *a, **kw)

    trainer._micro_step = counting
    return counts


if __name__ == "__main__":
    sys.exit(main())
