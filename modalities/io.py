"""Shared readers: rows from JSON / JSONL / CSV / parquet / a `datasets` save_to_disk dir, and image references.

Readers yield `(row_index, row_dict)`; a row that cannot be read at all (a JSONL line that is not JSON, a JSON
item that is not an object) is yielded as a `BadRow` error instead of a dict, so the caller's skip policy applies
to it like to any other bad row. Row indices are 0-based positions in the file (blank JSONL lines not counted).

Images stay lazy: a file becomes its path, encoded bytes become an `ImageBytes` buffer that `PIL.Image.open`
reads on demand. With `check=True` (the adapters' default) each image is checked at load time (its size from the
header, then that its data is complete: see `mmreason.images`), but no decoded pixels are kept, so a large
mixture never holds them.

Unreadable text (a line that is not UTF-8, JSON nested too deeply for the parser) is a bad row like invalid JSON;
a parquet or arrow file that turns out corrupt while it is read is an error naming the file and the row reached.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from PIL import Image

from mmreason.errors import DataError
from mmreason.images import check_decodes, open_image, size_problem

DATA_SUFFIXES = (".jsonl", ".parquet", ".json", ".csv")
BATCH_ROWS = 1024  # rows per parquet / arrow batch


class BadRow(DataError):
    """A DataError with a short, row-independent `reason` used to count skipped rows."""

    def __init__(self, reason: str, detail: str = "", *, file=None, row=None, field=None):
        self.reason = reason
        super().__init__(f"{reason}{': ' + detail if detail else ''}", file=file, row=row, field=field)


def reason_of(err: DataError) -> str:
    """The counting key of a bad row (any DataError, also one raised by a user's adapter)."""
    reason = getattr(err, "reason", None)
    if reason:
        return reason
    return f"bad field '{err.field}'" if err.field else "bad row"


@dataclass(frozen=True)
class DataFile:
    """Where rows come from: the file named in errors, and the directory relative image paths start from."""
    path: Path
    fmt: str           # jsonl | json | csv | parquet | hf
    base_dir: Path
    split: str | None = None  # the split chosen inside a DatasetDict


def find_data_file(path: str | os.PathLike, split: str | None = None) -> DataFile:
    """Resolve a file or a dataset directory (data.jsonl / data.parquet / <split>.jsonl / save_to_disk dir)."""
    p = Path(path).expanduser().absolute()
    if not p.exists():
        raise DataError("data path not found", file=str(p))
    if p.is_file():
        if p.suffix.lower() not in DATA_SUFFIXES:
            raise DataError(f"unsupported data file type '{p.suffix}' (expected one of {', '.join(DATA_SUFFIXES)})",
                            file=str(p))
        return DataFile(p, p.suffix.lower().lstrip("."), p.parent)
    if (p / "dataset_dict.json").is_file() or (p / "state.json").is_file():
        return DataFile(p, "hf", p, split)
    stems = ([split] if split else []) + ["data"]
    tried = [f"{s}{suf}" for s in stems for suf in DATA_SUFFIXES]
    for name in tried:
        if (p / name).is_file():
            return DataFile(p / name, Path(name).suffix.lstrip("."), p)
    raise DataError(f"no data file in directory (looked for {', '.join(tried)}, or a datasets save_to_disk dir)",
                    file=str(p))


def read_rows(df: DataFile) -> Iterator[tuple[int, dict | BadRow]]:
    """Rows of a data file, lazily, in file order."""
    reader = {"jsonl": _jsonl, "json": _json, "csv": _csv, "parquet": _parquet, "hf": _hf}[df.fmt]
    return reader(df)


def _parse_line(raw: bytes, lineno: int, df: DataFile, index: int) -> dict | BadRow:
    where = dict(file=str(df.path), row=index)
    try:
        row = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        return BadRow("not valid UTF-8", f"line {lineno}: byte {e.start}", **where)
    except json.JSONDecodeError as e:
        return BadRow("not valid JSON", f"line {lineno}: {e.msg}", **where)
    except RecursionError:
        return BadRow("not valid JSON", f"line {lineno}: nested too deeply", **where)
    if not isinstance(row, dict):
        return BadRow("row is not a JSON object", f"line {lineno}: got {type(row).__name__}", **where)
    return row


def _jsonl(df: DataFile):
    index = 0
    with open(df.path, "rb") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            yield index, _parse_line(line, lineno, df, index)
            index += 1


def _json(df: DataFile):
    try:
        data = json.loads(df.path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON (line {e.lineno}: {e.msg})", file=str(df.path)) from None
    except (UnicodeDecodeError, RecursionError) as e:
        why = "nested too deeply" if isinstance(e, RecursionError) else f"not UTF-8 at byte {e.start}"
        raise DataError(f"not valid JSON ({why})", file=str(df.path)) from None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise DataError(f"expected a JSON list of rows, got {type(data).__name__}", file=str(df.path))
    for i, row in enumerate(data):
        if not isinstance(row, dict):
            row = BadRow("row is not a JSON object", f"got {type(row).__name__}", file=str(df.path), row=i)
        yield i, row


def _csv(df: DataFile):
    index = 0
    try:
        with open(df.path, encoding="utf-8", newline="") as f:
            for index, row in enumerate(csv.DictReader(f)):
                yield index, row
    except (UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"not a readable CSV file after row {index} ({type(e).__name__}: {e})",
                        file=str(df.path)) from None


def _table_rows(batches, df: DataFile, what: str):
    """Rows of arrow record batches; a batch that fails to read is an error naming the file and the row reached."""
    import pyarrow as pa

    index = 0
    try:
        for batch in batches:
            for row in batch.to_pylist():
                yield index, row
                index += 1
    except (pa.ArrowException, OSError) as e:
        raise DataError(f"corrupt {what} at row {index} ({type(e).__name__}: {e})", file=str(df.path)) from None


def _parquet(df: DataFile):
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(df.path)
    except Exception as e:
        raise DataError(f"not a readable parquet file ({type(e).__name__}: {e})", file=str(df.path)) from None
    yield from _table_rows(pf.iter_batches(batch_size=BATCH_ROWS), df, "parquet file")


def _hf(df: DataFile):
    import datasets

    try:
        ds = datasets.load_from_disk(str(df.path))
    except Exception as e:
        raise DataError(f"cannot load the datasets directory ({type(e).__name__}: {e})", file=str(df.path)) from None
    if isinstance(ds, datasets.DatasetDict):
        splits = list(ds)
        split = df.split or ("train" if "train" in ds else (splits[0] if len(splits) == 1 else None))
        if split not in ds:
            raise DataError(f"split {df.split!r} not found; choose one of {', '.join(splits)} with `split:`",
                            file=str(df.path))
        ds = ds[split]
    # The arrow format leaves Image features undecoded: {"bytes": ..., "path": ...} dicts.
    yield from _table_rows(ds.with_format("arrow").iter(batch_size=BATCH_ROWS), df, "datasets directory")


class ImageBytes(io.BytesIO):
    """Encoded image bytes kept undecoded; `PIL.Image.open` accepts it (it seeks to 0 on every open)."""

    def __init__(self, data: bytes, origin: str = ""):
        super().__init__(data)
        self.origin = origin

    def __repr__(self) -> str:
        return f"<image bytes ({len(self.getbuffer())} B) from {self.origin or 'memory'}>"

    __str__ = __repr__


def _check_opens(src, *, file, row, field) -> None:
    """Parse the header, refuse oversized images and check that the data is complete (`mmreason.images`: PNG
    chunk checksums, JPEG decoded at 1/8 scale, other formats decoded; no pixels are kept), so a corrupt,
    truncated or bomb-sized file is reported at load time, not mid-training."""
    try:
        with open_image(src) as im:
            problem = size_problem(*im.size)
            if problem:
                raise BadRow(*problem, file=file, row=row, field=field)
            check_decodes(im)
    except BadRow:
        raise
    except FileNotFoundError:
        raise BadRow("image file not found", str(src), file=file, row=row, field=field) from None
    except Image.DecompressionBombError as e:
        raise BadRow("image too large", f"{src}: {e}", file=file, row=row, field=field) from None
    except Exception as e:
        raise BadRow("unreadable image", f"{src}: {type(e).__name__}: {e}", file=file, row=row, field=field) from None


def resolve_image(value: Any, base_dir: Path, *, file=None, row=None, field="images", check: bool = True):
    """A path (relative to `base_dir` or absolute), raw bytes, a {"bytes", "path"} dict or a PIL image → a lazy
    image reference for `Sample.images` (a path string, `ImageBytes`, or the PIL image as given)."""
    if isinstance(value, Image.Image):
        return value
    if isinstance(value, dict) and ("bytes" in value or "path" in value):
        value = value.get("bytes") or value.get("path")
    if isinstance(value, (bytes, bytearray, memoryview)):
        if not value:
            raise BadRow("missing image", "empty bytes", file=file, row=row, field=field)
        ref = ImageBytes(bytes(value), origin=f"{file} row {row} {field}")
    elif isinstance(value, (str, os.PathLike)):
        if not str(value).strip():
            raise BadRow("missing image", "empty path", file=file, row=row, field=field)
        p = Path(value).expanduser()
        ref = str(p if p.is_absolute() else base_dir / p)
        if not os.path.isfile(ref):
            raise BadRow("image file not found", ref, file=file, row=row, field=field)
    elif value is None:
        raise BadRow("missing image", "value is null", file=file, row=row, field=field)
    else:
        raise BadRow("wrong type", f"expected an image path, bytes, a {{'bytes', 'path'}} dict or a PIL image, "
                     f"got {type(value).__name__}", file=file, row=row, field=field)
    if check:
        _check_opens(ref, file=file, row=row, field=field)
    return ref


def as_list(value: Any) -> list:
    """A single value or a list (JSON lists stored as strings in CSV are parsed) → a list; None → []."""
    if value is None:
        return []
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            parsed = json.loads(value)
            if isinstance(parsed, list):
                return parsed
        except json.JSONDecodeError:
            pass
    if isinstance(value, (list, tuple)):
        return list(value)
    if hasattr(value, "tolist") and not isinstance(value, (bytes, str)):
        return list(value.tolist())
    return [value]
