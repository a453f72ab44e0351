"""DeepSpeed update cost on CPU: seconds per RL update step and full-weight gather (+ copy into the rollout
engine) for ZeRO-0/2/3 with two ranks on the `small` embedded model. Prints one JSON object.
    python bench/bench_deepspeed.py [--nproc 2] [--steps 4] [--size small]

Each stage runs as its own `torchrun` job (this file re-launched with --worker).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]


def worker(args) -> None:

    import torch
    from transformers.utils import logging as hf_logging

    from mmreason.config import load_config
    from mmreason.distributed import comm
    from mmreason.pipeline import Pipeline
    from mmreason.rollout import SamplingParams, make_engine
    from mmreason.trainer.metrics import PhaseTimer
    from mmreason.trainer.scored import LengthShaping, score_groups

    hf_logging.disable_progress_bar()
    cfg = load_config(None, [f"run.out_dir={args.tmp}/run{args.stage}", f"model.path={args.model}",
                             f"data.train=[{{adapter: puzzles, path: '{args.data}'}}]", "rollout.group_size=8",
                             "rollout.prompts_per_step=8", "train.micro_batch_size=16", "deepspeed.enabled=true",
                             f"deepspeed.zero_stage={args.stage}"])
    pipe = Pipeline(cfg)
    pipe.setup()
    samples = list(pipe.train_sources[0].samples)[:8]
    torch.manual_seed(0)  # the same global batch on every rank; each trains on its slice
    prompts = [pipe.encoder.encode(s) for s in samples]
    comps = pipe.engine.generate(prompts, SamplingParams(n=8, max_new_tokens=48))
    groups = score_groups(pipe.parts.reward_fn, samples, prompts, comps, LengthShaping(), 0)
    per = len(groups) // comm.world_size()
    mine = groups.select(list(range(comm.rank() * per, (comm.rank() + 1) * per)))
    if args.stage != 3:  # a separate rollout model, so the sync really copies weights as in ZeRO-3
        pipe.parts.engine = make_engine("hf", pipe.policy, separate_weights=True)
    trainer = pipe.make_rl_trainer()
    trainer.train_on(mine)  # warm-up
    update, sync = [], []
    for _ in range(args.steps):
        timer = PhaseTimer()
        trainer.train_on(mine, timer)
        update.append(timer.totals["update"])
        sync.append(timer.totals["sync"])
    t0 = time.perf_counter()
    with trainer.backend.gathered_weights():
        pass
    gather = time.perf_counter() - t0
    pipe.close()
    if comm.is_main():
        n = sum(p.numel() for p in pipe.policy.model.parameters())
        Path(args.result).write_text(json.dumps({"update_s": sum(update) / len(update),
                                                 "sync_s": sum(sync) / len(sync), "gather_s": gather,
                                                 "params": n}))
    comm.destroy()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nproc", type=int, default=2)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--size", default="small", choices=["tiny", "small"])
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--stage", type=int, default=0)
    ap.add_argument("--tmp")
    ap.add_argument("--model")
    ap.add_argument("--data")
    ap.add_argument("--result")
    args = ap.parse_args()
    if args.worker:
        return worker(args)

    from data_builders import build_dataset
    from mmreason.tiny_model import init_model

    tmp = Path(tempfile.mkdtemp(prefix="bench_ds."))
    model = init_model(tmp / "model", size=args.size)
    data = build_dataset("puzzles", tmp / "data", n=32, seed=0, difficulty="1", families=["count"], image_size=112)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DS_ACCELERATOR": "cpu"}
    out = {"bench": "deepspeed_update", "size": args.size, "ranks": args.nproc, "rows_per_step": 64,
           "max_new_tokens": 48, "device": "cpu (gloo)"}
    for stage in (0, 2, 3):
        res = tmp / f"z{stage}.json"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={args.nproc}",
               __file__, "--worker", "--stage", str(stage), "--steps", str(args.steps), "--tmp", str(tmp),
               "--model", str(model), "--data", str(data), "--result", str(res)]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        if r.returncode != 0:
            raise SystemExit(r.stderr[-3000:])
        out[f"zero{stage}"] = {k: round(v, 4) if isinstance(v, float) else v
                               for k, v in json.loads(res.read_text()).items()}
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
