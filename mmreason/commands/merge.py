HELP = "average the weights of two checkpoints of one architecture: w·A + (1 − w)·B (long2short merging)"
DESCRIPTION = (HELP + ". A and B are model directories or checkpoint directories (their model/); the result is "
               "saved with A's processor, loadable with from_pretrained. Example: mmreason merge runs/long/final_model "
               "runs/short/sft_model --weight 0.5 --out runs/merged")


def add_arguments(p):
    p.add_argument("a", help="model A (weight w)")
    p.add_argument("b", help="model B (weight 1 − w)")
    p.add_argument("--weight", type=float, default=0.5, help="w, the weight of A, in [0, 1] (default 0.5)")
    p.add_argument("--out", required=True, help="output model directory (written atomically)")


def run(args) -> int:
    from ..merge import merge_models

    out = merge_models(args.a, args.b, args.weight, args.out)
    print(f"wrote {out}")
    return 0
