"""train.packing on one update micro-batch (CPU): forward + backward seconds of the padded layout, the packed layout
train.packing builds (rows of at most the padded width, first-fit by decreasing length) and, for reference, all
sequences in one row. Prints one JSON object.

    python bench/bench_packing.py [--size tiny|small] [--rows 32] [--min-response 5] [--max-response 400]
                                  [--repeats 3] [--one-row]

Rows are count-puzzle prompts (112 px images) with responses of uniformly random length (random token ids: the
timing does not depend on them). Layouts alternate; each figure is the best of `--repeats` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def make_batch(size: str, rows: int, lengths: tuple[int, int], tmp: Path):
    from data_builders import build_dataset
    from mmreason.config import SourceConfig
    from mmreason.data import load_sources
    from mmreason.model import load_policy
    from mmreason.prompts import PromptEncoder
    from mmreason.rewards import AnswerFormat
    from mmreason.tiny_model import init_model
    from mmreason.trainer.batch import sft_batch_of

    policy = load_policy(str(init_model(tmp / "model", size=size)))
    data = build_dataset("puzzles", tmp / "data", n=rows, seed=0, difficulty="1", families=["count"], image_size=112)
    samples = list(load_sources([SourceConfig(name="c", adapter="puzzles", path=str(data))])[0].samples)[:rows]
    enc = PromptEncoder(policy.processor, instruction=AnswerFormat().instruction, max_prompt_length=1024)
    rng = random.Random(0)
    vocab = len(policy.processor.tokenizer)
    responses = [[rng.randrange(10, vocab - 16) for _ in range(rng.randint(*lengths))] for _ in samples]
    batch = sft_batch_of([enc.encode(s) for s in samples], responses, policy.processor.tokenizer.pad_token_id)
    return policy.model, enc, batch


def time_layout(model, enc, batch, budget, repeats: int) -> float:
    """Best forward + backward seconds; budget "padded" (packing off), None (one row) or a row budget."""
    import mmreason.trainer.logprobs as logprobs
    from mmreason.trainer.packing import pack_batch

    logprobs.pack_batch = lambda m, b, device, _budget: pack_batch(m, b, device, budget)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        lp, _, _ = logprobs.forward_response(model, batch, image_token_id=enc.image_token_id, with_entropy=True,
                                             packing=budget != "padded")
        (-(lp * batch.response_mask).sum()).backward()
        best = min(best, time.perf_counter() - t0)
    model.zero_grad(set_to_none=True)
    logprobs.pack_batch = pack_batch
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="tiny", choices=["tiny", "small"])
    ap.add_argument("--rows", type=int, default=32)
    ap.add_argument("--min-response", type=int, default=5)
    ap.add_argument("--max-response", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--one-row", action="store_true", help="also time all sequences in one row")
    args = ap.parse_args()

    import torch
    from transformers.utils import logging as hf_logging

    from mmreason.trainer.packing import pack_batch

    hf_logging.disable_progress_bar()
    model, enc, batch = make_batch(args.size, args.rows, (args.min_response, args.max_response),
                                   Path(tempfile.mkdtemp(prefix="bench_packing.")))
    model.train()
    B, T = batch.input_ids.shape
    packed = pack_batch(model, batch, "cpu", T)
    layouts = {"padded": "padded", "packed": T, **({"one_row": None} if args.one_row else {})}
    times = {k: [] for k in layouts}
    for _ in range(2):  # alternate the layouts twice (a shared machine's load drifts)
        for name, budget in layouts.items():
            times[name].append(time_layout(model, enc, batch, budget, args.repeats))
    best = {k: min(v) for k, v in times.items()}
    out = {"bench": "packing", "size": args.size, "torch_threads": torch.get_num_threads(), "rows": B,
           "padded_width": T, "pad_fraction_padded": round(1 - float(batch.attention_mask.float().mean()), 4),
           "packed_rows": None if packed is None else int(packed.inputs["input_ids"].shape[0]),
           "pad_fraction_packed": None if packed is None else round(packed.pad_fraction, 4),
           **{f"s_{k}": round(v, 4) for k, v in best.items()},
           **{f"{k}_vs_padded": round(v / best["padded"], 3) for k, v in best.items() if k != "padded"}}
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
