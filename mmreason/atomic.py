"""Atomic writes: build a file or directory under a temporary sibling name, then rename it into place.

A crash leaves either the old file/directory or the new one, never a half-written one. Every writer of results,
checkpoints, datasets or reports in mmreason goes through these two helpers.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def staging_path(out: str | os.PathLike) -> Path:
    """The fixed temporary sibling of `out` (`.NAME.tmp`), for writers in several processes that must agree on it."""
    out = Path(out)
    return out.parent / f".{out.name}.tmp"


@contextmanager
def atomic_directory(out: str | os.PathLike, staging: str | os.PathLike | None = None) -> Iterator[Path]:
    """Yields an empty temporary directory beside `out`; on success it replaces `out`, on error it is removed.

    `staging` fixes the temporary name (see `staging_path`) so other processes can write into it too; by default
    a fresh unique name is used."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if staging is None:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp.", dir=out.parent))
    else:
        tmp = Path(staging)
        shutil.rmtree(tmp, ignore_errors=True)  # leftovers of an interrupted write
        tmp.mkdir(parents=True)
    try:
        yield tmp
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """Yields an open temporary file beside `path` (text mode "w" or binary "wb"); on success it replaces
    `path`, on error it is removed. The parent directory must exist."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike, data) -> None:
    """`data` as indented, key-sorted JSON, written atomically."""
    with atomic_file(path) as f:
        f.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
