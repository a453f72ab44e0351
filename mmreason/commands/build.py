"""`mmreason build puzzles|ocr ...`: write a procedural dataset directory (see data_builders).

`mmreason build --list` prints every family (both kinds unless one is named) with its answer types, verifiers,
question types and the knobs each level sets; `mmreason build [KIND] --contact-sheet DIR` writes one
`<family>.png` per family: its first items at every level with their questions and answers.
"""

HELP = "build a procedural puzzles or OCR dataset (jsonl/parquet + PNG images + manifest)"
DESCRIPTION = (HELP + ". Same arguments → byte-identical files; train and heldout are disjoint by puzzle state; "
               "every gold answer is checked by its own verifier.")


def add_arguments(p):
    p.add_argument("kind", nargs="?", choices=["puzzles", "ocr", "text", "video"],
                   help="dataset kind (optional with --list / --contact-sheet: both kinds)")
    p.add_argument("--families", default="", help="comma-separated families (default: all of the kind)")
    p.add_argument("--n", type=int, default=1000, help="number of items (spread over families × levels)")
    p.add_argument("--seed", type=int, default=0, help="seed (items of different seeds share almost nothing)")
    p.add_argument("--difficulty", default="1-5", help="a level 1-5 or a range like 1-3")
    p.add_argument("--split", default="train", choices=["train", "heldout", "sealed"],
                   help="split (by puzzle-state hash; 'sealed': only the states of each family's sealed rule)")
    p.add_argument("--out", help="output directory (written atomically)")
    p.add_argument("--format", default="jsonl", choices=["jsonl", "parquet"], help="row file format")
    p.add_argument("--image-size", type=int, default=224, help="side of the square images in pixels")
    p.add_argument("--multiple-choice", action="store_true", help="four options per item (default: open answers)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    p.add_argument("--min-pixels", type=int, default=56 * 56, help="policy processor's min_pixels (legibility check)")
    p.add_argument("--max-pixels", type=int, default=112 * 112, help="policy processor's max_pixels (legibility check)")
    p.add_argument("--check-against", metavar="DIR", help="another dataset to count shared puzzles with (manifest)")
    p.add_argument("--minimal-pairs", action="store_true",
                   help="trust: each item as two rows differing in one controlled change that flips the answer")
    p.add_argument("--matched-modalities", action="store_true",
                   help="trust: each item as image, text-only and text-rendered-as-image rows with one answer")
    p.add_argument("--sealed", action="store_true",
                   help="trust: train/heldout refuse each family's sealed states (the 'sealed' split yields them)")
    p.add_argument("--steps", action="store_true", help="trust: rows carry checkable reasoning steps (meta.steps)")
    p.add_argument("--list", action="store_true",
                   help="list the families (of KIND, or all) with answer types, verifiers and knobs per level")
    p.add_argument("--contact-sheet", metavar="DIR",
                   help="write DIR/<family>.png per family (of KIND, or all): items per level with question + answer")
    p.add_argument("--sheet-items", type=int, default=3, help="items per level on a contact sheet (1-6)")


def _families(args) -> list[str]:
    return [f for f in args.families.split(",") if f.strip()]


def run(args) -> int:
    import json

    from data_builders import build_dataset
    from data_builders.core import BuildError

    if args.list:
        from data_builders.catalog import list_lines

        print("\n".join(list_lines([args.kind] if args.kind else None)))
        return 0
    if args.contact_sheet:
        from data_builders.catalog import write_contact_sheets

        if not 1 <= args.sheet_items <= 6:
            raise BuildError(f"--sheet-items must be 1-6, got {args.sheet_items}")
        paths = write_contact_sheets(args.kind, args.contact_sheet, _families(args), seed=args.seed,
                                     per_level=args.sheet_items, image_size=args.image_size)
        sizes = ", ".join(f"{p.stem} {p.stat().st_size // 1024} KB" for p in paths)
        print(f"wrote {len(paths)} contact sheets to {args.contact_sheet}: {sizes}")
        return 0
    if not args.kind:
        raise BuildError("a dataset kind is required: mmreason build puzzles|ocr|text|video --out DIR")
    if not args.out:
        raise BuildError("--out is required")
    from ..observe import Console

    with Console("auto").task(f"build {args.kind} n={args.n}", total=None, unit="item", lines=False):
        out = build_dataset(args.kind, args.out, n=args.n, seed=args.seed, split=args.split,
                            difficulty=args.difficulty, families=_families(args),
                            image_size=args.image_size, format=args.format, multiple_choice=args.multiple_choice,
                            overwrite=args.overwrite, min_pixels=args.min_pixels, max_pixels=args.max_pixels,
                            check_against=args.check_against, minimal_pairs=args.minimal_pairs,
                            matched=args.matched_modalities, sealed=args.sealed, steps=args.steps)
    manifest = json.loads((out / "manifest.json").read_text())
    rates = {f: v["acceptance_rate"] for f, v in manifest["visibility_check"]["families"].items()}
    print(f"wrote {manifest['n']} {args.kind} items ({', '.join(manifest['families'])}) to {out}")
    print(f"legibility acceptance: {json.dumps(rates)}; overlap: {json.dumps(manifest['overlap_check']['probe'])}")
    for line in manifest["state_coverage"]["warnings"]:
        print(f"warning: {line}")
    return 0
