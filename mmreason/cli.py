"""`mmreason` command line: one module per subcommand under mmreason/commands (add_arguments + run)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# subcommand name → module under mmreason.commands (each defines HELP, add_arguments(parser), run(args) -> int)
COMMANDS = {
    "init-model": "init_model",
    "show-config": "show_config",
    "show-samples": "show_samples",
    "build": "build",
    "verify": "verify",
    "train": "train",
    "sft": "sft",
    "sample": "sample",
    "pipeline": "pipeline",
    "merge": "merge",
    "eval": "evaluate",
    "export": "export",
    "report": "report",
    "doctor": "doctor",
}


def _available() -> dict[str, object]:
    mods = {}
    for name, mod in COMMANDS.items():
        try:
            mods[name] = importlib.import_module(f"mmreason.commands.{mod}")
        except ModuleNotFoundError as e:
            if e.name != f"mmreason.commands.{mod}":
                raise
    return mods


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="mmreason", description="RL with rule-checked rewards for "
                                     "vision-language reasoning models.")
    parser.add_argument("--version", action="version", version=f"mmreason {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--show-warnings", action="store_true", help="show third-party notices hidden by default "
                        "(DeepSpeed's accelerator line)")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)  # deepspeed launcher
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, mod in _available().items():
        p = sub.add_parser(name, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show full tracebacks on errors")
        p.add_argument("--show-warnings", action="store_true", default=argparse.SUPPRESS,
                       help="show third-party notices hidden by default")
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .errors import MMReasonError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    debug = args.debug or os.environ.get("MMREASON_DEBUG") == "1"
    from .observe.noise import hide_third_party_noise

    hide_third_party_noise(show=args.show_warnings)
    try:
        return int(args._run(args) or 0)
    except MMReasonError as e:
        if debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug or an environment problem: one line, the traceback with --debug
        if debug:
            raise
        first = str(e).splitlines()[0] if str(e) else ""
        print(f"error: {type(e).__name__}: {first} (run with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
