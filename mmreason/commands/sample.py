HELP = "rejection sampling / STaR: k completions per prompt, verified; write SFT data, preference pairs, pass rates"
DESCRIPTION = (HELP + ". Generates with model.path on data.train, verifies with the training reward, keeps the "
               "correct ones (sample.keep=all|max|shortest), writes RUN_DIR/sampled/{sft,pairs,difficulty} (datasets "
               "the puzzles adapter reads) and report.json (pass@1/pass@k per source and difficulty). Example: "
               "mmreason sample configs/demo.yaml model.path=runs/demo/final_model sample.k=8 sample.keep=shortest "
               "sample.pairs=short_long run.out_dir=runs/rs")


def add_arguments(p):
    p.add_argument("config", help="YAML config file")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. model.path=DIR sample.k=8")


def run(args) -> int:
    import json

    from transformers.utils import logging as hf_logging

    from ..config import load_config
    from ..distributed import comm
    from ..stages.single import execute_stage
    from .show_config import split_config_args

    hf_logging.disable_progress_bar()
    path, overrides = split_config_args(args.config, args.overrides)
    cfg = load_config(path, overrides)
    res = execute_stage(cfg, "sample", "sample")
    comm.destroy()
    if comm.is_main():
        report = json.loads(open(res["outputs"]["report"]).read())["report"]
        keys = {k: v for k, v in report.items() if "/" not in k or k.startswith(("pass@", "maj@", "tokens/"))}
        print(json.dumps({"outputs": res["outputs"], "report": keys}, indent=2, sort_keys=True))
    return 0
