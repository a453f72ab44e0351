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
    print(f"summary: {summary['run_dir']}/summary.json")
    return 0
