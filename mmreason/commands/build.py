"""`mmreason build puzzles|ocr ...`: write a procedural dataset directory (see data_builders)."""

HELP = "build a procedural puzzles or OCR dataset (jsonl/parquet + PNG images + manifest)"
DESCRIPTION = (HELP + ". Same arguments → byte-identical files; train and heldout are disjoint by puzzle state; "
               "every gold answer is checked by its own verifier.")


def add_arguments(p):
    p.add_argument("kind", choices=["puzzles", "ocr"], help="dataset kind")
    p.add_argument("--families", default="", help="comma-separated families (default: all of the kind)")
    p.add_argument("--n", type=int, default=1000, help="number of items (spread over families × levels)")
    p.add_argument("--seed", type=int, default=0, help="seed (items of different seeds share almost nothing)")
    p.add_argument("--difficulty", default="1-5", help="a level 1-5 or a range like 1-3")
    p.add_argument("--split", default="train", choices=["train", "heldout"], help="split (by puzzle-state hash)")
    p.add_argument("--out", help="output directory (written atomically)")
    p.add_argument("--format", default="jsonl", choices=["jsonl", "parquet"], help="row file format")
    p.add_argument("--image-size", type=int, default=224, help="side of the square images in pixels")
    p.add_argument("--multiple-choice", action="store_true", help="four options per item (default: open answers)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    p.add_argument("--min-pixels", type=int, default=56 * 56, help="policy processor's min_pixels (legibility check)")
    p.add_argument("--max-pixels", type=int, default=112 * 112, help="policy processor's max_pixels (legibility check)")
    p.add_argument("--check-against", metavar="DIR", help="another dataset to count shared puzzles with (manifest)")
    p.add_argument("--list", action="store_true", help="list the families of KIND with their difficulty knobs")


def run(args) -> int:
    import json

    from data_builders import FAMILIES, build_dataset, load_families
    from data_builders.core import BuildError

    if args.list:
        load_families()
        for name in FAMILIES[args.kind].names():
            knobs = FAMILIES[args.kind].get(name).knobs
            print(name)
            for level in sorted(knobs):
                print(f"  {level}: {json.dumps(knobs[level])}")
        return 0
    if not args.out:
        raise BuildError("--out is required")
    out = build_dataset(args.kind, args.out, n=args.n, seed=args.seed, split=args.split,
                        difficulty=args.difficulty, families=[f for f in args.families.split(",") if f.strip()],
                        image_size=args.image_size, format=args.format, multiple_choice=args.multiple_choice,
                        overwrite=args.overwrite, min_pixels=args.min_pixels, max_pixels=args.max_pixels,
                        check_against=args.check_against)
    manifest = json.loads((out / "manifest.json").read_text())
    rates = {f: v["acceptance_rate"] for f, v in manifest["visibility_check"]["families"].items()}
    print(f"wrote {manifest['n']} {args.kind} items ({', '.join(manifest['families'])}) to {out}")
    print(f"legibility acceptance: {json.dumps(rates)}; overlap: {json.dumps(manifest['overlap_check']['probe'])}")
    return 0
