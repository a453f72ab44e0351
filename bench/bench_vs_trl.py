"""One GRPO step of mmreason against TRL's `GRPOTrainer` on the same work (CPU, one thread). Prints one JSON object.

Same model directory (`--model DIR`, ideally a cold-start checkpoint such as `RUN_DIR/sft_model` of
`mmreason train configs/demo.yaml`; without it a fresh `init_model(size=--size)` with random weights, whose
completions nearly all run to the token budget), the same 64 count puzzles (level 1, 112 px), P prompts × G samples,
max new tokens, learning rate, temperature 1, β = 0 (no reference model), one optimizer step per rollout batch
(mmreason `train.minibatches=1`; TRL `num_iterations=1`, `steps_per_generation` = gradient accumulation = P·G /
micro-batch), micro-batches of 32 on both sides, and the same reward: TRL's reward function calls mmreason's
`RewardFunction` (accuracy by the row's verifier + 0.5 × format) on the completion text. The TRL side gets the
prompt mmreason's `PromptEncoder` builds (the same chat messages + image; the token ids are compared and the
result is reported as `prompt_ids_identical`).

Runs alternate (mmreason, TRL, mmreason, TRL, …), each in its own subprocess with one thread
(OMP_NUM_THREADS=1, torch.set_num_threads(1)): 1 untimed warm-up step, then `--steps` timed steps. Reported per
run: s/step (median over steps), the phase split (mmreason: its own time/* metrics; TRL: timers wrapped around
`_generate`, `_calculate_rewards`, `_generate_and_score_completions` and `training_step`), generated tokens/s
(over the rollout phase and over the whole step), peak RSS of the worker; then the medians per side and the
ratio mmreason / TRL.

TRL is not a dependency of mmreason: it lives in its own environment, which runs both workers (identical
library versions; see `versions` in the output):

    python3 -m venv .venv-trl && .venv-trl/bin/pip install torch==2.14.1 torchvision==0.29.1 -e . trl==1.16.0
    .venv-trl/bin/python bench/bench_vs_trl.py [--model DIR] [--size tiny|small] [--steps 5] [--repeats 3]
        [--prompts 8] [--group-size 8] [--max-new-tokens 64] [--lr 2e-4] [--micro-batch-size 32] [--markdown]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
INSTALL = ("python3 -m venv .venv-trl && .venv-trl/bin/pip install torch==2.14.1 torchvision==0.29.1 -e . "
           "trl==1.16.0")
MARK = "BENCH_RESULT "
DIFFERENCES = [
    ("prompt order: each trainer draws from the same 64 rows with its own sampler (mmreason: seeded mixture; TRL: "
    "RepeatSampler shuffle), and sampling uses different random streams, so completions and their lengths differ "
    "step by step; compare s/step and tokens/s alongside gen_tokens_per_step"),
    ("mmreason's engine computes each sampled token's logprob in its decode loop (rollout logprobs) and, by default, "
    "prefills each prompt once for its G samples (rollout.engine_options share_prefill) and runs a group's common "
    "prompt once in the update (train.share_prompts); TRL's transformers path keeps no logprobs and runs G copies"),
    ("TRL runs the image processor twice per rollout (chat-template tokenization for generate, then processor() for "
    "the training forward) and its dataloader fetches steps_per_generation × the generation batch per optimizer "
    "step (only the first is used); images come from a datasets Image column (PNG decode in the dataloader). "
    "These are TRL's own costs and are counted in its step time"),
    "advantage epsilon: mmreason's algorithm.adv_eps is set to TRL's 1e-4 (mmreason's default is 1e-6)",
    ("stop tokens and suppressed tokens were made equal: TRL's eos list is the policy's stop ids (<|im_end|>, "
    "<|endoftext|>) via model.generation_config, and generation_kwargs.suppress_tokens the 4 vision tokens "
    "mmreason bans (TRL alone suppresses only <|image_pad|>)"),
    ("peak RSS is each worker's whole process: the imports each framework pulls in (TRL: accelerate, datasets' "
    "Arrow table of the rows) are included"),
]


def _effective_share_prompts(flag: bool | None) -> bool:
    from mmreason.config import load_config

    return load_config(None, []).train.share_prompts if flag is None else flag


# ---------------------------------------------------------------------------------------------- shared by workers
def _config(spec: dict, run_dir: Path):
    from mmreason.config import load_config

    return load_config(None, [
        f"run.out_dir={run_dir}", f"run.seed={spec['seed']}", "run.threads=1", "run.device=cpu",
        f"model.path={spec['model']}", f"data.train=[{{adapter: puzzles, path: '{spec['data']}'}}]",
        f"rollout.group_size={spec['group_size']}", f"rollout.prompts_per_step={spec['prompts']}",
        f"rollout.max_new_tokens={spec['max_new_tokens']}", "rollout.temperature=1.0", "rollout.top_p=1.0",
        "rollout.top_k=0", f"optim.lr={spec['lr']}", "optim.schedule=constant", "optim.grad_clip=1.0",
        "train.minibatches=1", "train.epochs_per_batch=1", f"train.micro_batch_size={spec['micro_batch_size']}",
        f"train.steps={spec['steps'] + 1}", "train.record_rollouts_every=0", "algorithm.advantage=grpo",
        *([] if spec.get("share_prompts") is None else [f"train.share_prompts={str(spec['share_prompts']).lower()}"]),
        "algorithm.loss=ppo_clip", "algorithm.aggregation=seq_mean_token_mean", "algorithm.kl_beta=0.0",
        "algorithm.adv_eps=1e-4", "algorithm.clip_low=0.2", "algorithm.clip_high=0.2",
        "reward.accuracy_weight=1.0", "reward.format_weight=0.5", "reward.combine=sum"])


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.executable}
    for pkg in ("torch", "transformers", "trl", "accelerate", "datasets", "mmreason"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def _finish(side: str, steps: list[dict], extra: dict) -> None:
    """Print the worker's result line: per-step rows (warm-up already dropped) and peak RSS."""
    import torch

    out = {"side": side, "steps": steps, "torch_threads": torch.get_num_threads(), "versions": _versions(),
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), **extra}
    print(MARK + json.dumps(out), flush=True)


# ---------------------------------------------------------------------------------------------- mmreason worker
def worker_mmreason(spec: dict) -> None:
    import torch

    from mmreason.pipeline import Pipeline

    torch.set_num_threads(1)
    pipe = Pipeline(_config(spec, Path(spec["tmp"]) / f"mm_{os.getpid()}"))
    pipe.setup()
    try:
        trainer = pipe.make_rl_trainer()
        trainer.step()  # warm-up, not timed
        rows = [trainer.step() for _ in range(spec["steps"])]
    finally:
        pipe.close()
    n = spec["prompts"] * spec["group_size"]
    steps = []
    for r in rows:
        phases = {k[5:]: float(r[k]) for k in r if k.startswith("time/") and k != "time/step"}
        phases["other"] = float(r["time/step"]) - sum(phases.values())
        steps.append({"s": float(r["time/step"]), "tokens": float(r["response_length/mean"]) * n, "completions": n,
                      "rollout_s": phases.get("rollout", 0.0), "reward_mean": float(r["reward/mean"]),
                      "phases": phases})
    _finish("mmreason", steps, {})


# ---------------------------------------------------------------------------------------------- TRL worker
def _trl_rows(cfg, fmt) -> list[dict]:
    """The training rows as TRL's conversational VLM dataset: mmreason's chat messages + the image + reward columns."""
    from mmreason import wiring
    from mmreason.prompts import chat_messages

    rows = []
    for _name, _weight, samples in wiring.load_source_group(cfg, "train"):
        for s in samples:
            images = s.load_images()
            assert len(images) == 1, "count puzzles carry one image"
            rows.append({"prompt": chat_messages(s, fmt.instruction, cfg.prompt.system_prompt), "image": images[0],
                         "answer": s.answer, "verifier": s.verifier, "options": json.dumps(s.meta.get("options") or {}),
                         "_sample": s})
    return rows


def _trl_reward(reward_fn):
    """A TRL reward function scoring with mmreason's reward (verifier accuracy + 0.5 × format) on the text."""
    from mmreason.rewards import VerifyRequest

    def accuracy_plus_format(prompts, completions, answer, verifier, options, **_):
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        reqs = [VerifyRequest(completion=t, gold=a, verifier=v, options=json.loads(o))
                for t, a, v, o in zip(texts, answer, verifier, options)]
        return [b.reward for b in reward_fn(reqs)]

    return accuracy_plus_format


def _trl_args(spec: dict, banned: list[int]):
    from trl import GRPOConfig

    n = spec["prompts"] * spec["group_size"]
    mb = spec["micro_batch_size"]
    return GRPOConfig(
        output_dir=str(Path(spec["tmp"]) / f"trl_{os.getpid()}"), seed=spec["seed"], use_cpu=True,
        per_device_train_batch_size=mb, gradient_accumulation_steps=n // mb, steps_per_generation=n // mb,
        num_generations=spec["group_size"], num_iterations=1, max_completion_length=spec["max_new_tokens"],
        temperature=1.0, top_p=1.0, top_k=0, beta=0.0, loss_type="grpo", scale_rewards="group", epsilon=0.2,
        learning_rate=spec["lr"], lr_scheduler_type="constant", weight_decay=0.0, max_grad_norm=1.0,
        optim="adamw_torch", bf16=False, fp16=False, activation_checkpointing=False, disable_dropout=True,
        max_steps=spec["steps"] + 1, logging_steps=1, save_strategy="no", report_to="none", disable_tqdm=True,
        dataloader_num_workers=0, remove_unused_columns=False, log_completions=False,
        generation_kwargs={"suppress_tokens": banned})


def _wrap(trainer, name: str, acc: dict, key: str, after=None) -> None:
    """Accumulate the wall time of `trainer.name(...)` in acc[key] (and let `after` read its result)."""
    fn = getattr(trainer, name)

    def timed(*a, **k):
        t0 = time.perf_counter()
        out = fn(*a, **k)
        acc[key] += time.perf_counter() - t0
        if after is not None:
            after(out)
        return out

    setattr(trainer, name, timed)


def _trl_steps(marks: list, n: int) -> list[dict]:
    """Per optimizer step (the first, the warm-up, dropped): wall time between step ends and the phase split."""
    steps = []
    for (t0, a0), (t1, a1) in itertools.pairwise(marks):
        d = {k: a1.get(k, 0.0) - a0.get(k, 0.0) for k in a1}
        phases = {"rollout": d["rollout"], "reward": d["reward"],
                  "score_other": d["score"] - d["rollout"] - d["reward"], "update": d["train"] - d["score"],
                  "other": (t1 - t0) - d["train"]}
        steps.append({"s": t1 - t0, "tokens": d["tokens"], "completions": int(d["completions"]),
                      "rollout_s": d["rollout"],
                      "reward_mean": d["reward_sum"] / max(n, 1), "phases": phases})
    return steps[1:]


def _prompt_ids_identical(trainer, encoder, row) -> bool:
    from trl.data_utils import prepare_multimodal_messages

    ids, _, _ = trainer._tokenize_prompts([prepare_multimodal_messages(row["prompt"], images=[row["image"]])])
    return list(ids[0]) == encoder.encode(row["_sample"]).input_ids


def worker_trl(spec: dict) -> None:
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOTrainer

    from mmreason import wiring

    torch.set_num_threads(1)
    cfg = _config(spec, Path(spec["tmp"]) / f"trl_run_{os.getpid()}")
    fmt = wiring.answer_format(cfg)
    policy = wiring.load_model(cfg, Path(cfg.run.out_dir))  # mmreason's own loader: same class, dtype, processor
    policy.model.generation_config.eos_token_id = policy.stop_token_ids()
    reward_fn = wiring.reward_function(cfg, fmt)
    rows = _trl_rows(cfg, fmt)
    data = Dataset.from_list([{k: v for k, v in r.items() if k != "_sample"} for r in rows])
    trainer = GRPOTrainer(model=policy.model, reward_funcs=_trl_reward(reward_fn),
                          args=_trl_args(spec, policy.banned_token_ids()), train_dataset=data,
                          processing_class=policy.processor)
    same_prompt = _prompt_ids_identical(trainer, wiring.prompt_encoder(cfg, policy.processor, fmt), rows[0])
    acc: dict = defaultdict(float)

    def count(out):
        acc["tokens"] += sum(len(c) for c in out[1])
        acc["completions"] += len(out[1])

    _wrap(trainer, "_generate", acc, "rollout", count)
    _wrap(trainer, "_calculate_rewards", acc, "reward", lambda out: acc.__setitem__(
        "reward_sum", acc["reward_sum"] + float(out.sum())))
    _wrap(trainer, "_generate_and_score_completions", acc, "score")
    _wrap(trainer, "training_step", acc, "train")
    marks: list = []

    class Clock(TrainerCallback):
        def on_train_begin(self, *a, **k):
            marks.append((time.perf_counter(), dict(acc)))

        def on_step_end(self, *a, **k):
            marks.append((time.perf_counter(), dict(acc)))

    trainer.add_callback(Clock())
    try:
        trainer.train()
    finally:
        reward_fn.close()
    _finish("trl", _trl_steps(marks, spec["prompts"] * spec["group_size"]), {"prompt_ids_identical": same_prompt})


# ---------------------------------------------------------------------------------------------- the driver
def run_worker(side: str, spec: dict) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false",
               HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", side, "--spec", json.dumps(spec)]
    proc = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        raise SystemExit(f"{side} worker failed (exit {proc.returncode})")
    return json.loads(lines[-1][len(MARK):])


def summarize_run(res: dict, repeat: int) -> dict:
    steps = res["steps"]
    med = lambda xs: round(statistics.median(xs), 4)
    tokens = sum(s["tokens"] for s in steps)
    phases = {k: med([s["phases"][k] for s in steps]) for k in steps[0]["phases"]}
    return {"side": res["side"], "repeat": repeat, "s_per_step": med([s["s"] for s in steps]),
            "s_per_step_all": [round(s["s"], 4) for s in steps],
            "completions_per_step": statistics.median(s["completions"] for s in steps),
            "gen_tokens_per_step": round(tokens / len(steps), 1),
            "tokens_per_s_rollout": round(tokens / max(sum(s["rollout_s"] for s in steps), 1e-9), 1),
            "tokens_per_s_step": round(tokens / max(sum(s["s"] for s in steps), 1e-9), 1),
            "reward_mean": round(statistics.fmean(s["reward_mean"] for s in steps), 4),
            "peak_rss_mb": res["peak_rss_mb"], "torch_threads": res["torch_threads"], "phases_median_s": phases,
            **({"prompt_ids_identical": res["prompt_ids_identical"]} if "prompt_ids_identical" in res else {})}


def summary(runs: list[dict]) -> dict:
    keys = ("s_per_step", "tokens_per_s_rollout", "tokens_per_s_step", "gen_tokens_per_step", "peak_rss_mb")
    out = {side: {k: round(statistics.median(r[k] for r in runs if r["side"] == side), 4) for k in keys}
           for side in ("mmreason", "trl")}
    out["ratio_mmreason_over_trl"] = {k: round(out["mmreason"][k] / out["trl"][k], 3) if out["trl"][k] else None
                                      for k in keys}
    return out


def markdown(result: dict) -> str:
    lines = ["| trainer | s/step | gen tokens/step | tokens/s (rollout) | tokens/s (step) | peak RSS MB |",
             "|---|---|---|---|---|---|"]
    for side in ("mmreason", "trl"):
        s = result["summary"][side]
        lines.append(f"| {side} | {s['s_per_step']:.3f} | {s['gen_tokens_per_step']:.0f} | "
                     f"{s['tokens_per_s_rollout']:.0f} | {s['tokens_per_s_step']:.0f} | {s['peak_rss_mb']:.0f} |")
    r = result["summary"]["ratio_mmreason_over_trl"]
    lines.append(f"| mmreason / TRL | {r['s_per_step']} | {r['gen_tokens_per_step']} | {r['tokens_per_s_rollout']} "
                 f"| {r['tokens_per_s_step']} | {r['peak_rss_mb']} |")
    return "\n".join(lines)


def prepare(args, tmp: Path) -> tuple[str, str]:
    """The model directory (given, or a fresh embedded model) and the 64 count puzzles both sides train on."""
    from data_builders import build_dataset

    model = args.model
    if not model:
        from mmreason.tiny_model import init_model

        model = str(init_model(tmp / "model", size=args.size))
    data = build_dataset("puzzles", tmp / "data", n=64, seed=0, difficulty="1", families=["count"], image_size=112)
    return str(Path(model).resolve()), str(data)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="", help="model directory (a cold-start checkpoint); default: a fresh one")
    ap.add_argument("--size", default="tiny", choices=["tiny", "small"])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--group-size", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--micro-batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--share-prompts", action=argparse.BooleanOptionalAction, default=None,
                    help="mmreason's train.share_prompts (default: the config's default)")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--worker", choices=["mmreason", "trl"], help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmreason.observe.noise import hide_third_party_noise

    hide_third_party_noise()  # DeepSpeed's "Setting accelerator to CPU" line would land on stdout
    if args.worker:
        (worker_mmreason if args.worker == "mmreason" else worker_trl)(json.loads(args.spec))
        return 0
    import importlib.util

    if importlib.util.find_spec("trl") is None:
        sys.exit(f"trl is not installed in {sys.executable}; create its environment with:\n  {INSTALL}\n"
                 "and run this script with .venv-trl/bin/python")
    n = args.prompts * args.group_size
    if args.group_size < 2 or n % args.micro_batch_size:
        sys.exit(f"need group size >= 2 (TRL) and P·G={n} divisible by --micro-batch-size={args.micro_batch_size}")
    tmp = Path(tempfile.mkdtemp(prefix="bench_vs_trl."))
    try:
        model, data = prepare(args, tmp)
        spec = {"model": model, "data": data, "tmp": str(tmp), "seed": args.seed, "steps": args.steps,
                "prompts": args.prompts, "group_size": args.group_size, "max_new_tokens": args.max_new_tokens,
                "lr": args.lr, "micro_batch_size": args.micro_batch_size, "share_prompts": args.share_prompts}
        results = [run_worker(side, spec) for _ in range(args.repeats) for side in ("mmreason", "trl")]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    runs = [summarize_run(r, i // 2) for i, r in enumerate(results)]
    versions = {r["side"]: r["versions"] for r in results}
    result = {"bench": "mmreason_vs_trl_grpo_step", "model": args.model or f"fresh init_model(size={args.size})",
              "size": None if args.model else args.size, "prompts": args.prompts, "group_size": args.group_size,
              "max_new_tokens": args.max_new_tokens, "lr": args.lr, "micro_batch_size": args.micro_batch_size,
              "mmreason_share_prompts": _effective_share_prompts(args.share_prompts),
              "steps_timed": args.steps, "warmup_steps": 1, "repeats": args.repeats, "threads": 1,
              "versions": versions["mmreason"], "same_environment": versions["mmreason"] == versions["trl"],
              "runs": runs, "summary": summary(runs), "differences": DIFFERENCES}
    print(json.dumps(result))
    if args.markdown:
        print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
