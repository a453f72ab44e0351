from pathlib import Path

HELP = "evaluate a policy on the config's held-out sources (greedy and sampled pass@1, pass@k, maj@k)"
DESCRIPTION = (HELP + "; a table per source, family and difficulty on the console, every metric in RUN_DIR/eval.json. "
               "Example: mmreason eval configs/demo.yaml model.path=runs/demo/final_model eval.k=8")


def add_arguments(p):
    p.add_argument("config", help="YAML config file")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. model.path=DIR eval.n=500")
    p.add_argument("--name", default="eval", help="label of this evaluation in RUN_DIR/eval.json")


def run(args) -> int:
    import json

    from transformers.utils import logging as hf_logging

    from ..atomic import write_json
    from ..config import load_config
    from ..observe.eval_table import eval_table
    from ..pipeline import run_evaluation
    from .show_config import split_config_args
    from .train import skipped_lines

    hf_logging.disable_progress_bar()
    path, overrides = split_config_args(args.config, args.overrides)
    cfg = load_config(path, overrides)
    skipped: dict = {}
    res = run_evaluation(cfg, args.name, skipped)
    out = Path(cfg.run.out_dir) / "eval.json"
    write_json(out, {args.name: res, "skipped_rows": skipped})
    print(eval_table(res, args.name))
    print(json.dumps({k: v.get("accuracy/mean") for k, v in res.items()}, sort_keys=True))
    for line in skipped_lines(skipped):
        print(line)
    print(f"wrote {out}")
    return 0
