HELP = "one self-contained HTML report of a run: curves, held-out results, a rollout browser"
DESCRIPTION = (HELP + ". Example: mmreason report runs/demo (writes runs/demo/report.html; open it in a browser). "
               "Rollouts are recorded during training every train.record_rollouts_every steps.")


def _steps(text: str) -> list[int]:
    import argparse

    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--steps: expected comma-separated step numbers, got {text!r}") from None


def add_arguments(p):
    p.add_argument("run_dir", help="run directory (run.out_dir of a training run)")
    p.add_argument("--out", default=None, help="output HTML file (default RUN_DIR/report.html)")
    p.add_argument("--steps", type=_steps, default=None, help="recorded steps to show in the rollout browser, "
                   "e.g. 10,50,120 (default: up to --max-steps spread over the run)")
    p.add_argument("--max-steps", type=int, default=20, help="recorded steps shown when --steps is not given")


def run(args) -> int:
    from ..report import build_report

    out = build_report(args.run_dir, args.out, args.steps, args.max_steps)
    size = out.stat().st_size
    print(f"wrote {out} ({size / 1024:.0f} KiB)")
    return 0
