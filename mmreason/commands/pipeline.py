HELP = "run a list of stages (sft, rl, sample, dpo, merge, eval), each feeding the next; resumable stage by stage"
DESCRIPTION = (HELP + ". The config's `pipeline:` lists {name, stage, from, data, other, weight, overrides}; each "
               "stage runs in RUN_DIR/<name>/; RUN_DIR/pipeline.json records outputs, wall time and held-out "
               "accuracy; run the same command again to continue after an interruption. Example: "
               "mmreason pipeline configs/r1_pipeline.yaml")


def add_arguments(p):
    p.add_argument("config", help="YAML config file with a `pipeline:` list")
    p.add_argument("overrides", nargs="*", help="key=value overrides of the shared config, e.g. run.out_dir=runs/r1")


def run(args) -> int:
    import json

    from transformers.utils import logging as hf_logging

    from ..config import load_config
    from ..distributed import comm
    from ..runner import run_pipeline
    from .show_config import split_config_args

    hf_logging.disable_progress_bar()
    path, overrides = split_config_args(args.config, args.overrides)
    summary = run_pipeline(load_config(path, overrides))
    comm.destroy()
    if comm.is_main():
        print(json.dumps(summary, indent=2, sort_keys=True))
    return 0
