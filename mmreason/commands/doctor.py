HELP = "check the environment: package versions, accelerator, image processor, builder fonts, free disk"
DESCRIPTION = (HELP + "; exits 1 with the fix when something needed is missing. "
               "Example: mmreason doctor --model Qwen/Qwen2.5-VL-3B-Instruct")


def add_arguments(p):
    p.add_argument("--model", default=None, help="model directory or hub id whose processor must have an image "
                   "processor (default: check the Qwen2-VL image processor the embedded model uses)")
    p.add_argument("--disk", default=".", help="where runs will be written (free space is checked there)")


def run(args) -> int:
    from ..doctor import render, run_checks

    checks = run_checks(args.model, args.disk)
    print(render(checks))
    return 1 if any(c.status == "fail" for c in checks) else 0
