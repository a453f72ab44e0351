HELP = "the SFT stage on its own: fine-tune model.path on data.train (cold start, rejection-sampled, long-to-short)"
DESCRIPTION = (HELP + ". Loss on the assistant tokens only, images included; checkpoints as in `train` "
               "(RUN_DIR/checkpoints/sft-NNNNNN, train.resume=true continues), RUN_DIR/sft_model, held-out "
               "evaluation and RUN_DIR/summary.json. Example: mmreason sft configs/demo.yaml "
               "'data.train=[{name: rs, adapter: puzzles, path: runs/rs/sampled/sft}]' model.path=runs/demo/sft_model "
               "sft.steps=100 run.out_dir=runs/rs_sft")


def add_arguments(p):
    p.add_argument("config", help="YAML config file")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. sft.steps=100 model.path=DIR")


def run(args) -> int:
    import json
    from pathlib import Path

    from transformers.utils import logging as hf_logging

    from ..atomic import write_json
    from ..config import load_config
    from ..distributed import comm
    from ..errors import ConfigError
    from ..stages.single import execute_stage
    from .show_config import split_config_args

    hf_logging.disable_progress_bar()
    path, overrides = split_config_args(args.config, args.overrides)
    cfg = load_config(path, overrides)
    if cfg.sft.steps <= 0:
        raise ConfigError("sft.steps: must be > 0 for `mmreason sft`")
    res = execute_stage(cfg, "sft", "sft")
    comm.destroy()
    if comm.is_main():
        summary = {"run_dir": cfg.run.out_dir, **res}
        for mode, r in (res["heldout"] or {}).items():
            summary[f"heldout_accuracy/{mode}/sft"] = r.get("accuracy/mean")
        write_json(Path(cfg.run.out_dir) / "summary.json", summary)
        print(json.dumps(summary, indent=2, sort_keys=True))
    return 0
