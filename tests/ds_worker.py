"""Worker run under torchrun by tests/test_deepspeed.py (and in one process for the reference).

Trains the RL update on fixed batches — the same global batches on every rank, each rank keeping its slice —
and writes what the test compares: per-step losses and grad norms, and the final full weights.

    torchrun --standalone --nproc_per_node 2 tests/ds_worker.py --mode update --stage 3 --out OUT ...
"""

import argparse
import json
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from helpers import rl_overrides  # noqa: E402


def fixed_batches(pipe, steps: int) -> list:
    """`steps` global batches of 4 prompt groups: two with images, then two text-only (so under 2 ranks, rank 1
    trains on text-only micro-batches while rank 0 runs the vision tower). Identical on every rank."""
    from mmreason.rollout import SamplingParams
    from mmreason.trainer.scored import LengthShaping, score_groups
    from mmreason.types import Sample, user

    images = list(pipe.train_sources[0].samples)
    out = []
    torch.manual_seed(1234)
    for k in range(steps):
        samples = images[2 * k:2 * k + 2] + [
            Sample(id=f"text{k}-{j}", messages=[user(f"How many shapes are in a picture of {j + 2} circles?")],
                   answer=str(j + 2), verifier="integer", source="text") for j in range(2)]
        prompts = [pipe.encoder.encode(s) for s in samples]
        comps = pipe.engine.generate(prompts, SamplingParams(n=4, temperature=1.0, max_new_tokens=48))
        out.append(score_groups(pipe.parts.reward_fn, samples, prompts, comps, LengthShaping(), k))
    return out


def local(groups):
    """This rank's contiguous slice of the scored groups."""
    from mmreason.distributed import comm

    per = len(groups) // comm.world_size()
    return groups.select(list(range(comm.rank() * per, (comm.rank() + 1) * per)))


def full_weights(trainer) -> dict:
    from mmreason.distributed import comm

    with trainer.backend.gathered_weights():
        if comm.is_main():
            return {n: p.detach().clone() for n, p in trainer.policy.model.named_parameters()}
    return {}


def run_steps(trainer, batches) -> list[dict]:
    from mmreason.distributed import comm

    rows = []
    for groups in batches:
        m = comm.reduce_metrics(trainer.train_on(local(groups)))
        rows.append({k: m[k] for k in ("loss", "grad_norm", "entropy", "adv/std", "critic/value_loss") if k in m})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["update", "resume", "options"], required=True)
    ap.add_argument("--stage", type=int, default=-1, help="ZeRO stage; -1 = no DeepSpeed (one process)")
    ap.add_argument("--model", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--extra", nargs="*", default=[])
    args = ap.parse_args()

    from mmreason import wiring
    from mmreason.config import load_config
    from mmreason.distributed import comm
    from mmreason.pipeline import Pipeline
    from mmreason.trainer.checkpoint import load_checkpoint, save_checkpoint

    out = Path(args.out)
    ds = ["deepspeed.enabled=true", f"deepspeed.zero_stage={args.stage}", "deepspeed.timeout_s=300"] \
        if args.stage >= 0 else []
    cfg = load_config(None, rl_overrides(out / "run", args.model, {"train": args.train, "heldout": args.heldout},
                                         "train.minibatches=1", "train.epochs_per_batch=2", "train.micro_batch_size=4", "optim.lr=1e-3",
                                         *ds, *args.extra))
    pipe = Pipeline(cfg)
    pipe.setup()
    result: dict = {"world_size": comm.world_size()}
    try:
        batches = fixed_batches(pipe, args.steps)
        if args.mode in ("update", "options"):
            trainer = pipe.make_rl_trainer()
            before = full_weights(trainer)
            result["steps"] = run_steps(trainer, batches)
            after = full_weights(trainer)
            if comm.is_main():
                torch.save(after, out / "weights.pt")
                result["changed"] = sorted(n for n in after if not torch.equal(before[n], after[n]))
                result["trainable"] = sorted(n for n, p in trainer.policy.model.named_parameters() if p.requires_grad)
        else:  # resume: 2 steps → checkpoint → a fresh model and engine → load → step 3
            trainer = pipe.make_rl_trainer()
            result["steps"] = run_steps(trainer, batches[:2])
            ckpt = save_checkpoint(out / "run", "rl", 2, trainer.policy.model, pipe.policy.processor,
                                   trainer.state_dict(), trainer.backend)
            pipe.parts.policy = wiring.load_model(cfg, out / "run", args.model)  # start again from the initial …
            pipe.parts.engine = wiring.rollout_engine(cfg, pipe.parts.policy)
            trainer = pipe.make_rl_trainer()
            trainer.load_state_dict(load_checkpoint(ckpt, trainer.backend))  # … weights, then resume
            trainer.sync_weights()
            result["steps"] += run_steps(trainer, batches[2:3])
            result["checkpoint"] = str(ckpt)
            after = full_weights(trainer)
            if comm.is_main():
                torch.save(after, out / "weights.pt")
    finally:
        pipe.close()
    if comm.is_main():
        (out / "result.json").write_text(json.dumps(result, indent=1))
    comm.destroy()


if __name__ == "__main__":
    main()
