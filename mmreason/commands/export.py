HELP = "export a checkpoint (DeepSpeed shards included) to one Hugging Face model directory"
DESCRIPTION = HELP + (". Reads RUN_DIR/checkpoints/<name>/: DeepSpeed's sharded files are consolidated offline "
                      "(no launcher needed); the config and processor come from the checkpoint's model/ or --base.")


def add_arguments(p):
    p.add_argument("checkpoint", help="a checkpoint directory, e.g. runs/x/checkpoints/rl-000100")
    p.add_argument("--out", required=True, help="output model directory (written atomically)")
    p.add_argument("--base", help="directory with the model config and processor (default: CHECKPOINT/model)")


def run(args) -> int:
    from ..export import export_checkpoint

    out = export_checkpoint(args.checkpoint, args.out, base=args.base)
    print(f"wrote {out}")
    return 0
