"""Rows ↔ data.jsonl / data.parquet, with one schema for both.

Every row gets the same `meta` keys (missing → null, keys sorted) and each meta key keeps one value type across
the dataset (str, int, float, bool, or a list of records with string values such as `meta.steps`), so
`datasets.load_dataset("json"|"parquet", ...)` infers one schema. Bytes are deterministic: json.dumps with fixed
settings; parquet with an explicit schema, fixed compression and row-group size.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .core import BuildError

ROW_FIELDS = ["id", "kind", "family", "split", "difficulty", "images", "question", "answer", "answer_type",
              "verifier", "options", "reasoning", "state_hash", "generator_version", "config_hash", "meta"]


def meta_types(rows: list[dict]) -> dict[str, type]:
    """The single value type of each meta key (None allowed anywhere); a mixed key is a generator bug."""
    types: dict[str, set[type]] = {}
    for r in rows:
        for k, v in r["meta"].items():
            types.setdefault(k, set())
            if v is not None:
                types[k].add(type(v))
    out = {}
    for k, ts in sorted(types.items()):
        if len(ts) > 1:
            raise BuildError(f"meta field '{k}' mixes types {sorted(t.__name__ for t in ts)}: generator bug")
        t = next(iter(ts), str)
        if t not in (str, int, float, bool, list):
            raise BuildError(f"meta field '{k}' has unsupported type {t.__name__}: use str/int/float/bool or a "
                             "list of records with string values")
        if t is list:
            _check_records(k, [r["meta"][k] for r in rows if r["meta"].get(k) is not None])
        out[k] = t
    return out


def _check_records(key: str, values: list[list]) -> None:
    """A list-valued meta field must hold records (dicts) whose values are all strings (e.g. `meta.steps`)."""
    for v in values:
        for rec in v:
            if not isinstance(rec, dict) or not all(isinstance(k, str) and isinstance(x, str) for k, x in rec.items()):
                raise BuildError(f"meta field '{key}' must be a list of records with string keys and values, "
                                 f"got an element {rec!r}")


def _record_keys(rows: list[dict], key: str) -> list[str]:
    return sorted({k for r in rows for rec in (r["meta"].get(key) or []) for k in rec})


def normalise(rows: list[dict]) -> tuple[list[dict], dict[str, type]]:
    types = meta_types(rows)
    out = []
    for r in rows:
        row = {f: r[f] for f in ROW_FIELDS}
        row["meta"] = {k: r["meta"].get(k) for k in types}
        out.append(row)
    return out, types


def write_rows(rows: list[dict], directory: Path, format: str) -> str:
    rows, types = normalise(rows)
    if format == "jsonl":
        name = "data.jsonl"
        with open(directory / name, "w", encoding="utf-8", newline="\n") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        return name
    name = "data.parquet"
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}
    arrow_of = lambda k, t: (pa.list_(pa.struct([(f, pa.string()) for f in _record_keys(rows, k)]))  # noqa: E731
                             if t is list else arrow[t])
    meta = (pa.struct([(k, arrow_of(k, t)) for k, t in types.items()]) if types
            else pa.struct([("attempts", pa.int64())]))
    schema = pa.schema([("id", pa.string()), ("kind", pa.string()), ("family", pa.string()), ("split", pa.string()),
                        ("difficulty", pa.int64()), ("images", pa.list_(pa.string())), ("question", pa.string()),
                        ("answer", pa.string()), ("answer_type", pa.string()), ("verifier", pa.string()),
                        ("options", pa.list_(pa.string())), ("reasoning", pa.string()), ("state_hash", pa.string()),
                        ("generator_version", pa.string()), ("config_hash", pa.string()), ("meta", meta)])
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, directory / name, compression="zstd", row_group_size=10_000, write_statistics=False,
                   store_schema=True)
    return name


def read_rows(directory: str | Path) -> list[dict[str, Any]]:
    """Rows of a dataset directory (either format), as plain dicts."""
    directory = Path(directory)
    if (directory / "data.jsonl").exists():
        with open(directory / "data.jsonl", encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    if (directory / "data.parquet").exists():
        import pyarrow.parquet as pq

        return pq.read_table(directory / "data.parquet").to_pylist()
    raise BuildError(f"'{directory}' holds no data.jsonl or data.parquet")
