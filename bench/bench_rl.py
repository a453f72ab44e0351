"""RL step throughput on the embedded tiny VLM (CPU): seconds per phase, generated tokens/s. Prints one JSON object.

    python bench/bench_rl.py [--steps 5] [--size tiny|small] [--group-size 8] [--prompts 8] [--max-new-tokens 48]
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
    args = ap.parse_args()

    import torch
    from transformers.utils import logging as hf_logging

    from data_builders import build_dataset
    from mmreason.config import load_config
    from mmreason.pipeline import Pipeline
    from mmreason.tiny_model import init_model

    hf_logging.disable_progress_bar()
    tmp = Path(tempfile.mkdtemp(prefix="bench_rl."))
    model = init_model(tmp / "model", size=args.size)
    data = build_dataset("puzzles", tmp / "data", n=64, seed=0, difficulty="1", families=["count"], image_size=112)
    cfg = load_config(None, [f"run.out_dir={tmp / 'run'}", f"model.path={model}",
                             f"data.train=[{{adapter: puzzles, path: '{data}'}}]",
                             f"rollout.group_size={args.group_size}", f"rollout.prompts_per_step={args.prompts}",
                             f"rollout.max_new_tokens={args.max_new_tokens}", f"train.minibatches={args.minibatches}",
                             "train.micro_batch_size=32"])
    pipe = Pipeline(cfg)
    pipe.setup()
    try:
        trainer = pipe.make_rl_trainer()
        trainer.step()  # warm-up
        rows = [trainer.step() for _ in range(args.steps)]
    finally:
        pipe.close()
    mean = lambda k: sum(r[k] for r in rows) / len(rows)  # noqa: E731
    out = {"bench": "rl_step", "size": args.size, "torch_threads": torch.get_num_threads(),
           "completions_per_step": args.group_size * args.prompts, "max_new_tokens": args.max_new_tokens,
           "steps": args.steps, "s_per_step": round(mean("time/step"), 4),
           "tokens_per_s_rollout": round(mean("tokens_per_s"), 1),
           "response_length": round(mean("response_length/mean"), 1),
           **{k: round(mean(k), 4) for k in rows[0] if k.startswith("time/") and k != "time/step"}}
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
