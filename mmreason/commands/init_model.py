HELP = "build the embedded tiny Qwen2.5-VL-architecture policy (random weights, local tokenizer)"
DESCRIPTION = HELP + ". The directory loads offline with AutoModelForImageTextToText and AutoProcessor."


def add_arguments(p):
    p.add_argument("--out", required=True, help="output model directory")
    p.add_argument("--size", choices=["tiny", "small"], default="tiny", help="tiny ≈0.7M params, small ≈4.9M")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights (same seed → identical files)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing directory")


def run(args) -> int:
    from ..tiny_model import init_model

    out = init_model(args.out, size=args.size, seed=args.seed, overwrite=args.overwrite)
    print(f"wrote {args.size} model to {out}")
    return 0
