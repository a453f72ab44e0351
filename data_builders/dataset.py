"""`build_dataset`: items → a dataset directory (data.jsonl|data.parquet, images/<id>.png, manifest.json).

The directory is written into a temporary sibling and moved into place with `os.replace`, so `out` is either
absent or complete. Same arguments → byte-identical files (PNG without metadata, rows and manifest without
timestamps or absolute paths). `check_overlap` counts puzzles two datasets share (state hash or image bytes).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from . import visibility as vis
from .balance import RATIO, SLACK, balanced_ok
from .core import (GENERATOR_VERSION, SPLIT_RULE, SPLITS, BuildError, canonical_json, get_family, parse_difficulty,
                   resolve_families)
from .draw import png_bytes
from .generate import StreamStats, generate_stream, sample_states
from .selfcheck import check_item, scorer
from . import trust
from .writer import read_rows, write_rows

FORMATS = ("jsonl", "parquet")


def _validate(kind, n, seed, split, difficulty, families, image_size, format, min_pixels, max_pixels):
    fams = resolve_families(kind, families)
    levels = parse_difficulty(difficulty)
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise BuildError(f"n must be a positive integer, got {n!r}")
    if not isinstance(seed, int) or seed < 0:
        raise BuildError(f"seed must be a non-negative integer, got {seed!r}")
    if split not in SPLITS + (trust.SEALED,):
        raise BuildError(f"split must be one of {', '.join(SPLITS + (trust.SEALED,))}, got '{split}'")
    if format not in FORMATS:
        raise BuildError(f"format must be one of {', '.join(FORMATS)}, got '{format}'")
    if not isinstance(image_size, int) or not 56 <= image_size <= 2048:
        raise BuildError(f"image_size must be an integer in 56-2048, got {image_size!r}")
    if not 28 * 28 <= min_pixels <= max_pixels:
        raise BuildError(f"need 784 ≤ min_pixels ≤ max_pixels, got {min_pixels} and {max_pixels}")
    return fams, levels


def _request(kind, fams, n, split, levels, image_size, format, multiple_choice=False,
             min_pixels=vis.TINY_MIN_PIXELS, max_pixels=vis.TINY_MAX_PIXELS) -> dict[str, Any]:
    """The manifest's `config`: what a build was asked for (trust options aside)."""
    return {"generator_version": GENERATOR_VERSION, "kind": kind, "families": fams, "n": n, "split": split,
            "difficulty": levels, "image_size": image_size, "format": format,
            "multiple_choice": bool(multiple_choice), "min_pixels": min_pixels, "max_pixels": max_pixels}


def built_differently(out: str | os.PathLike, kind: str, n: int, seed: int = 0, split: str = "train",
                      difficulty: str | int = "1-5", families: list[str] | str | None = None, image_size: int = 224,
                      format: str = "jsonl") -> list[str]:
    """How the complete build at `out` differs from this request ("n: built 500, asked 1000"; empty when it is what
    the request would build). The generator version counts too: a newer builder may draw other items."""
    fams, levels = _validate(kind, n, seed, split, difficulty, families, image_size, format, vis.TINY_MIN_PIXELS,
                             vis.TINY_MAX_PIXELS)
    m = json.loads((Path(out) / "manifest.json").read_text())
    built = {**m["config"], "seed": m["seed"]}
    asked = {**_request(kind, fams, n, split, levels, image_size, format), "seed": seed}
    return [f"{key}: built {built.get(key)!r}, asked {value!r}" for key, value in asked.items()
            if built.get(key) != value]


def plan(n: int, families: list[str], levels: list[int]) -> list[tuple[str, int, int]]:
    """Global order of items: (family, level, stream index); families cycle fastest, then levels."""
    per = len(families) * len(levels)
    return [(families[k % len(families)], levels[(k // len(families)) % len(levels)], k // per) for k in range(n)]


def build_dataset(kind: str, out: str | os.PathLike, n: int, seed: int = 0, split: str = "train",
                  difficulty: str | int = "1-5", families: list[str] | str | None = None, image_size: int = 224,
                  format: str = "jsonl", multiple_choice: bool = False, *, overwrite: bool = False,
                  min_pixels: int = vis.TINY_MIN_PIXELS, max_pixels: int = vis.TINY_MAX_PIXELS,
                  check_against: str | os.PathLike | None = None, self_check: bool = True,
                  minimal_pairs: bool = False, matched: bool = False, sealed: bool = False,
                  steps: bool = False) -> Path:
    """Build a dataset directory at `out` and return its path (see the module docstring for the layout; the trust
    options `minimal_pairs`, `matched`, `sealed` (and split "sealed") and `steps`: data_builders.trust)."""
    fams, levels = _validate(kind, n, seed, split, difficulty, families, image_size, format, min_pixels, max_pixels)
    opts = trust.validate(kind, fams, split, trust.TrustOptions(minimal_pairs, matched, sealed, steps),
                          multiple_choice)
    out = Path(out)
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise BuildError(f"output '{out}' already exists; pass --overwrite to replace it")
    config = _request(kind, fams, n, split, levels, image_size, format, multiple_choice, min_pixels, max_pixels)
    if opts.active:  # only then: plain builds keep their config hash
        config["trust"] = opts.to_dict()
    config_hash = hashlib.blake2b(canonical_json(config).encode(), digest_size=8).hexdigest()
    view = vis.View(image_size, min_pixels, max_pixels)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; the dataset is meant to be read by others
        (tmp / "images").mkdir()
        rows, stats = _generate_all(kind, fams, levels, n, seed, split, view, multiple_choice, config_hash,
                                    tmp, self_check, opts)
        data_file = write_rows(rows, tmp, format)
        manifest = _manifest(config, config_hash, seed, rows, stats, fams, levels, view, data_file,
                             check_against, tmp, self_check)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        _move_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _generate_all(kind, fams, levels, n, seed, split, view, multiple_choice, config_hash, tmp, self_check,
                  opts: "trust.TrustOptions | None" = None):
    order = plan(n, fams, levels)
    counts = Counter((f, lv) for f, lv, _ in order)
    by_key: dict[tuple[str, int, int], list[dict]] = {}
    stats: dict[tuple[str, int], StreamStats] = {}
    for (fam_name, level), count in sorted(counts.items(), key=lambda kv: (fams.index(kv[0][0]), kv[0][1])):
        st = stats[(fam_name, level)] = StreamStats()
        fam = get_family(kind, fam_name)
        groups = (trust.group_stream(fam, split, level, seed, count, view, multiple_choice, st, opts)
                  if opts is not None and opts.active
                  else ([item] for item in generate_stream(fam, split, level, seed, count, view, multiple_choice, st)))
        for j, group in enumerate(groups):  # a group: one item, or a trust group (minimal pair, matched versions)
            for item in group:
                item.row["config_hash"] = config_hash
                images = item.image if isinstance(item.image, list) else [item.image]  # several: multi-image items
                for path, image in zip(item.row["images"], images):
                    (tmp / path).write_bytes(png_bytes(image))
                if self_check:
                    check_item(item.row, item.distractors)
            by_key[(fam_name, level, j)] = [item.row for item in group]
    return [row for key in order for row in by_key[key]], stats


def _move_into_place(tmp: Path, out: Path) -> None:
    if out.exists() or out.is_symlink():
        trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, trash / "old")
        os.replace(tmp, out)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, out)


def _histograms(rows: list[dict], key) -> dict[str, dict[str, int]]:
    hist: dict[str, Counter] = {}
    for r in rows:
        hist.setdefault(r["family"], Counter())[key(r)] += 1
    return {f: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for f, c in hist.items()}


FEW_STATES = 20  # a (family, level) stream of more items than this many distinct states gets a warning


def state_coverage(rows: list[dict], value=lambda r: r["answer"]) -> dict[str, Any]:
    """Per (family, level): items, distinct puzzle states and distinct answers, and a warning for each stream whose
    items repeat fewer than FEW_STATES states — a level whose state space is small (two dice: 21 states) splits
    into a held-out set of a handful of puzzles, whose accuracy then measures those few and a prior over their
    answers, not the skill."""
    streams: dict[tuple[str, int], list[dict]] = {}
    for r in rows:
        streams.setdefault((r["family"], int(r["difficulty"])), []).append(r)
    per: dict[str, dict[str, dict[str, int]]] = {}
    warnings = []
    for (fam, lv), rs in sorted(streams.items()):
        states = len({r["state_hash"] for r in rs})
        answers = sorted({str(value(r)) for r in rs})
        per.setdefault(fam, {})[str(lv)] = {"items": len(rs), "distinct_states": states,
                                           "distinct_answers": len(answers)}
        if states < min(FEW_STATES, len(rs)):
            shown = ", ".join(answers[:8]) + (", ..." if len(answers) > 8 else "")
            warnings.append(f"{fam} level {lv}: {len(rs)} items repeat only {states} distinct puzzle states "
                            f"(answers: {shown}) — accuracy on them measures {states} puzzles; use another level "
                            "or family for a held-out set")
    return {"rule": f"warn when a (family, level) holds fewer than {FEW_STATES} distinct states", "streams": per,
            "warnings": warnings}


def _manifest(config, config_hash, seed, rows, stats, fams, levels, view, data_file, check_against, tmp,
              self_check) -> dict[str, Any]:
    value = (lambda r: r["meta"]["answer_value"]) if config["multiple_choice"] else (lambda r: r["answer"])
    by_stream: dict[str, dict[str, Counter]] = {}
    for r in trust.balance_rows(rows):  # one row per trust group (its base / image row); every row otherwise
        by_stream.setdefault(r["family"], {}).setdefault(str(r["difficulty"]), Counter())[value(r)] += 1
    balance_ok = all(balanced_ok(c) for lv in by_stream.values() for c in lv.values())
    fam_stats = {}
    for (f, lv), st in stats.items():
        fam_stats.setdefault(f, {})[str(lv)] = st.to_dict()
    visibility = {}
    for f, per in fam_stats.items():
        rendered = sum(s["rendered"] for s in per.values())
        accepted = sum(s["accepted"] for s in per.values())
        visibility[f] = {"rendered": rendered, "accepted": accepted,
                         "acceptance_rate": round(accepted / rendered, 4) if rendered else None,
                         "rejections": dict(sorted(sum((Counter({k: v for k, v in s["rejections"].items()
                                                                  if k.startswith("visibility:")})
                                                         for s in per.values()), Counter()).items()))}
    return {
        "generator_version": GENERATOR_VERSION, "kind": config["kind"], "config_hash": config_hash,
        "config": config, "seed": seed, "split": config["split"], "n": len(rows),
        "difficulty": {"min": min(levels), "max": max(levels), "levels": levels},
        "families": fams, "format": config["format"], "data_file": data_file, "image_dir": "images",
        "multiple_choice": config["multiple_choice"],
        "knobs": {f: {str(lv): get_family(config["kind"], f).knobs[lv] for lv in levels} for f in fams},
        "answer_histograms": _histograms(rows, value),
        "answer_histograms_by_level": {f: {lv: dict(sorted(c.items())) for lv, c in per.items()}
                                       for f, per in by_stream.items()},
        "letter_histograms": _histograms(rows, lambda r: r["answer"]) if config["multiple_choice"] else None,
        "state_coverage": state_coverage(rows, value),
        "balance": {"rule": f"per (family, level): top answer count ≤ {RATIO} × runner-up + {SLACK}",
                    "ok": balance_ok},
        "overlap_check": _overlap_section(config, seed, rows, fams, levels, check_against, tmp),
        "visibility_check": {"model_input": {"min_pixels": view.min_pixels, "max_pixels": view.max_pixels,
                                             "model_hw": list(view.model_hw), "scale": round(view.scale, 6)},
                             "thresholds_model_px": {"min_object_area": vis.MIN_OBJECT_AREA, "min_gap": vis.MIN_GAP,
                                                     "min_text_height": vis.MIN_TEXT_HEIGHT,
                                                     "min_stroke": vis.MIN_STROKE, "min_contrast": vis.MIN_CONTRAST},
                             "families": visibility},
        "generation": fam_stats,
        "self_check": {"ran": self_check, "verifiers": scorer()[0] if self_check else None,
                       "items": len(rows) if self_check else 0, "passed": len(rows) if self_check else 0},
        **({"trust": trust.manifest_section(config["kind"], fams, rows, trust.TrustOptions(**config["trust"]))}
           if "trust" in config else {}),
    }


def _overlap_section(config, seed, rows, fams, levels, check_against, tmp) -> dict[str, Any]:
    split = config["split"]
    other = "heldout" if split == "train" else "train"
    opts = trust.TrustOptions(**config.get("trust", {}))
    hashes = {r["state_hash"] for r in rows}
    outside = sum(trust.expected_split(r) != split for r in rows)
    probe: set[str] = set()
    per_stream = max(2, min(50, config["n"] // (2 * len(fams) * len(levels))))  # a bounded, cheap probe
    for f in fams:
        fam = get_family(config["kind"], f)
        for lv in levels:
            probe |= (trust.probe_states(fam, other, lv, seed, per_stream, opts) if opts.active
                      else sample_states(fam, other, lv, seed, per_stream))
    section = {"rule": SPLIT_RULE + ("; with sealing, states a family's sealed rule matches are 'sealed'"
                                     if opts.sealed else ""), "rows_outside_split": outside,
               "probe": {"split": other, "states": len(probe), "shared": len(probe & hashes)},
               "against": None}
    if check_against is not None:
        section["against"] = {"path": str(check_against), "shared": check_overlap(check_against, tmp)}
    if outside:
        raise BuildError(f"{outside} rows lie outside the {split} split: generator bug")
    return section


def _image_digests(root: Path, rows: list[dict]) -> set[str]:
    """Digests of the rows' images; a video row's frames count as one clip (two clips that share a frame — a ball
    passing the same spot — are different clips)."""
    out = set()
    for r in rows:
        files = [(root / p).read_bytes() for p in r["images"]]
        if r.get("kind") == "video":
            files = [b"".join(hashlib.blake2b(f, digest_size=16).digest() for f in files)]
        out |= {hashlib.blake2b(f, digest_size=16).hexdigest() for f in files}
    return out


def overlap_report(dir_a: str | os.PathLike, dir_b: str | os.PathLike) -> dict[str, int]:
    """How many rows of b share a state hash / identical image bytes with some row of a."""
    a, b = Path(dir_a), Path(dir_b)
    rows_a, rows_b = read_rows(a), read_rows(b)
    states_a = {r["state_hash"] for r in rows_a}
    images_a = _image_digests(a, rows_a)
    shared_state = shared_image = shared_any = 0
    for r in rows_b:
        s = r["state_hash"] in states_a
        i = bool(_image_digests(b, [r]) & images_a)
        shared_state += s
        shared_image += i
        shared_any += s or i
    return {"shared_state": shared_state, "shared_image": shared_image, "shared": shared_any}


def check_overlap(dir_a: str | os.PathLike, dir_b: str | os.PathLike) -> int:
    """Rows of dataset b whose puzzle (state hash) or image bytes also occur in dataset a; 0 = disjoint."""
    return overlap_report(dir_a, dir_b)["shared"]
