"""Benchmark of the data builders: items generated per second on one core, per family and overall.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_builders.py [--items 300] [--image-size 224]

Prints one JSON object. `gen_per_s` counts generation only (sampling, rejection, drawing, legibility checks at
the model's input size); `with_png_per_s` adds PNG encoding; `with_selfcheck_per_s` adds the verifier self-check;
`build_per_s` is a whole `build_dataset` call (files, manifest, overlap probe). Target: ≥ 500 puzzles/s/core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_builders import build_dataset  # noqa: E402
from data_builders.core import get_family, resolve_families  # noqa: E402
from data_builders.draw import png_bytes  # noqa: E402
from data_builders.generate import generate_stream  # noqa: E402
from data_builders.selfcheck import check_item, scorer  # noqa: E402
from data_builders.visibility import View  # noqa: E402


def bench_family(kind: str, name: str, items: int, view: View) -> dict:
    fam = get_family(kind, name)
    per_level = max(1, items // 5)
    generated = []
    t0 = time.perf_counter()
    for level in range(1, 6):
        generated += list(generate_stream(fam, "train", level, 12345, per_level, view))
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    for item in generated:
        png_bytes(item.image)
    t_png = time.perf_counter() - t0
    t0 = time.perf_counter()
    for item in generated:
        check_item(item.row, item.distractors)
    t_check = time.perf_counter() - t0
    n = len(generated)
    return {"items": n, "gen_per_s": round(n / t_gen, 1), "with_png_per_s": round(n / (t_gen + t_png), 1),
            "with_selfcheck_per_s": round(n / (t_gen + t_png + t_check), 1),
            "png_ms": round(1000 * t_png / n, 3), "selfcheck_ms": round(1000 * t_check / n, 3)}


def bench_kind(kind: str, items: int, view: View) -> dict:
    fams = resolve_families(kind, None)
    per = {name: bench_family(kind, name, items, view) for name in fams}
    total = sum(v["items"] for v in per.values())
    overall = {key: round(total / sum(v["items"] / v[key] for v in per.values()), 1)
               for key in ("gen_per_s", "with_png_per_s", "with_selfcheck_per_s")}
    with tempfile.TemporaryDirectory() as d:
        n = items * 2
        t0 = time.perf_counter()
        build_dataset(kind, Path(d) / "ds", n=n, seed=7, difficulty="1-5", image_size=view.size)
        overall["build_per_s"] = round(n / (time.perf_counter() - t0), 1)
    return {"overall": overall, "families": per}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=300, help="items per family")
    ap.add_argument("--image-size", type=int, default=224)
    args = ap.parse_args()
    view = View(args.image_size)
    scorer()  # import the verifiers outside the timed region
    result = {"image_size": args.image_size, "model_input": list(view.model_hw), "verifiers": scorer()[0],
              "python": platform.python_version(), "omp_threads": os.environ.get("OMP_NUM_THREADS"),
              "puzzles": bench_kind("puzzles", args.items, view), "ocr": bench_kind("ocr", args.items, view)}
    result["target_puzzles_per_s"] = 500
    result["target_met"] = result["puzzles"]["overall"]["gen_per_s"] >= 500
    print(json.dumps(result))


if __name__ == "__main__":
    main()
