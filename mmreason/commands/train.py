HELP = "train: build data, cold-start SFT, RL (GRPO and variants), held-out evaluation, summary.json"
DESCRIPTION = HELP + ". Example: mmreason train configs/demo.yaml train.steps=20 run.out_dir=runs/x"


def add_arguments(p):
    p.add_argument("config", help="YAML config file")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. train.steps=10 train.resume=true")


def run(args) -> int:
    import json

    from ..config import load_config
    from ..pipeline import run_training
    from .show_config import split_config_args

    path, overrides = split_config_args(args.config, args.overrides)
    cfg = load_config(path, overrides)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    from ..distributed import comm

    summary = run_training(cfg)
    comm.destroy()  # a clean exit for gloo/nccl (no-op in one process)
    if not comm.is_main():
        return 0
    keys = {k: v for k, v in summary.items() if k.startswith("heldout_accuracy/") or k == "wall_time_s"}
    print(json.dumps(keys, indent=2, sort_keys=True))
    for line in skipped_lines(summary.get("skipped_rows") or {}):
        print(line)
    print(f"summary: {summary['run_dir']}/summary.json")
    return 0


def skipped_lines(skipped: dict) -> list[str]:
    """End-of-run lines for the rows skipped under `data.skip_bad_rows` ({source: SkipReport.to_dict()})."""
    lines = []
    for name, rep in sorted(skipped.items()):
        if rep.get("skipped"):
            reasons = ", ".join(f"{n} × {r}" for r, n in sorted(rep["reasons"].items(), key=lambda x: (-x[1], x[0])))
            lines.append(f"[data] source '{name}': skipped {rep['skipped']} bad rows, kept {rep['kept']} ({reasons})")
    return lines
