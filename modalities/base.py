"""The `ModalityAdapter` seam: rows of some dataset → `Sample`s, whatever the modality.

An adapter is any object with `name`, `verifier` (its default verifier name), `load(path, split, limit)` yielding
`(row_index, row)` and `to_sample(row, index) -> Sample`. `BaseAdapter` implements `load` with the shared readers
of `modalities.io` and `to_sample` from lm-evaluation-harness-style hooks (`doc_to_text`, `doc_to_images`,
`doc_to_answer`, ...), so a new adapter usually writes three short methods. Configs pick adapters by registered
name or by import path ('my_pkg.adapters:MyAdapter'), see `get_adapter`.

Bad input is raised as `DataError` (a `BadRow` naming file, row and field); whether it stops loading or is
skipped and counted is decided by the caller (`modalities.loading.load_samples`), never here.
"""

from __future__ import annotations

import inspect
import math
from pathlib import Path
from typing import Any, ClassVar, Iterable, Protocol, runtime_checkable

from mmreason.errors import ConfigError, DataError
from mmreason.registry import Registry, load_object
from mmreason.types import Message, Sample

from .io import BadRow, DataFile, find_data_file, read_rows, resolve_image
from .text import user_turn


@runtime_checkable
class ModalityAdapter(Protocol):
    """What the data pipeline needs from an adapter."""
    name: str
    verifier: str

    def load(self, path: str, split: str | None = None, limit: int | None = None) -> Iterable[tuple[Any, Any]]:
        """Rows of the data at `path` as (row_index, row). `limit` is a hint: the caller stops pulling anyway."""

    def to_sample(self, row: Any, index: Any) -> Sample:
        """One row → one Sample; raise DataError (naming the field) for a bad row."""


ADAPTERS: Registry = Registry("adapter")
# Longest question, answer or conversation turn accepted (characters): far beyond any prompt budget (a 32k-token
# prompt is ~130k characters), so only broken rows (a file pasted into a cell) hit it.
MAX_TEXT_CHARS = 200_000
PROTOCOL_ATTRS = ("name", "verifier", "load", "to_sample")


def _builtin_adapters() -> None:
    import modalities  # noqa: F401  (importing the package registers vqa, ocr, puzzles, text_math)


def get_adapter(spec: str, **options) -> ModalityAdapter:
    """An adapter instance from a registered name ('vqa') or an import path ('pkg.mod:Class'), built with
    `options` as keyword arguments. Unknown names, unknown options and classes that are not adapters are
    ConfigErrors with one clear line."""
    _builtin_adapters()
    obj = load_object(spec) if ":" in spec else ADAPTERS.get(spec)
    if isinstance(obj, type) or (callable(obj) and not _satisfies(obj)):
        try:
            inspect.signature(obj).bind(**options)
        except TypeError as e:
            valid = [n for n, p in inspect.signature(obj).parameters.items() if p.kind == p.KEYWORD_ONLY
                     or p.kind == p.POSITIONAL_OR_KEYWORD]
            raise ConfigError(f"adapter '{spec}': bad options {sorted(options)} ({e}); valid options: "
                              f"{', '.join(valid) or 'none'}") from None
        adapter = obj(**options)
    elif options:
        raise ConfigError(f"adapter '{spec}' is an instance, it takes no options (got {sorted(options)})")
    else:
        adapter = obj
    missing = [a for a in PROTOCOL_ATTRS if not hasattr(adapter, a)]
    if missing or not callable(adapter.load) or not callable(adapter.to_sample):
        lacks = ", ".join(missing) or "callable load/to_sample"
        raise ConfigError(f"'{spec}' is not a ModalityAdapter: it lacks {lacks} (an adapter has "
                          f"{', '.join(PROTOCOL_ATTRS)})")
    return adapter


def _satisfies(obj) -> bool:
    return all(hasattr(obj, a) for a in PROTOCOL_ATTRS)


def check_verifier_option(adapter: str, verifier: str | None) -> str | None:
    if verifier is not None and (not isinstance(verifier, str) or not verifier):
        raise ConfigError(f"adapter '{adapter}': option verifier must be a verifier name, got {verifier!r}")
    return verifier


class BaseAdapter:
    """Reads rows with the shared readers and builds Samples from `doc_to_*` hooks.

    Subclasses set `name` and `verifier` and override `doc_to_text`, `doc_to_answer` and (for images)
    `doc_to_images`; the other hooks have useful defaults. While a row is converted, `self.row_index` and
    `self.data_file` say where it came from, so `self.bad(...)` / `self.field(...)` build errors naming file,
    row and field.
    """
    name: ClassVar[str] = ""
    verifier: ClassVar[str] = "exact"

    def __init__(self, check_images: bool = True, verifier_options: dict | None = None):
        self.check_images = check_images      # verify every image file's structure at load time
        if verifier_options is not None and not isinstance(verifier_options, dict):
            raise ConfigError(f"adapter '{self.name}': option verifier_options must be a mapping, "
                              f"got {type(verifier_options).__name__}")
        self.verifier_options = dict(verifier_options or {})  # defaults for every sample's meta["options"]
        self.data_file: DataFile | None = None
        self.row_index: Any = None

    # --- reading -------------------------------------------------------------------------------------------
    def load(self, path, split=None, limit=None):
        self.data_file = find_data_file(path, split)
        return read_rows(self.data_file)

    @property
    def file(self) -> str | None:
        return str(self.data_file.path) if self.data_file else None

    @property
    def base_dir(self) -> Path:
        return self.data_file.base_dir if self.data_file else Path(".")

    # --- errors and field access ---------------------------------------------------------------------------
    def bad(self, reason: str, detail: str = "", field: str | None = None) -> BadRow:
        return BadRow(reason, detail, file=self.file, row=self.row_index, field=field)

    def field(self, row: dict, key: str, types: type | tuple = str, required: bool = True, default=None):
        """row[key] checked for presence and type (a missing/None value is `default` when not required)."""
        if not isinstance(row, dict):
            raise self.bad("row is not a mapping", type(row).__name__)
        value = row.get(key)
        if value is None:
            if required and key in row:
                raise self.bad("missing value", f"'{key}' is null", key)
            if required:
                raise self.bad("missing column", f"no '{key}' (columns: {', '.join(map(str, row))})", key)
            return default
        if not isinstance(value, types):
            want = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
            raise self.bad("wrong type", f"expected {want}, got {type(value).__name__}", key)
        return value

    def text_field(self, row: dict, key: str, what: str) -> str:
        """A required, non-empty string (numbers are accepted as answers and turned into text)."""
        text = self.as_text(self.field(row, key, (str, int, float)), key)
        if not text:
            raise self.bad(f"empty {what}", field=key)
        return text

    def as_text(self, value, key: str) -> str:
        """A string or a finite number as stripped text; a bool, NaN/infinity or a text longer than
        `MAX_TEXT_CHARS` is a bad row naming `key`."""
        if isinstance(value, bool):
            raise self.bad("wrong type", "expected str or number, got bool", key)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.bad("not a finite number", repr(value), key)
        text = str(value).strip()
        if len(text) > MAX_TEXT_CHARS:
            raise self.bad("text too long", f"{len(text):,} characters > {MAX_TEXT_CHARS:,}", key)
        return text

    # --- hooks (lm-evaluation-harness vocabulary) ----------------------------------------------------------
    def doc_to_text(self, row) -> str:
        raise NotImplementedError

    def doc_to_images(self, row) -> list:
        """Raw image values (paths, bytes, {"bytes","path"} dicts, PIL images); resolved by to_sample."""
        return []

    def images_field(self, row) -> str:
        """The column holding the row's images (named in image errors)."""
        return "images"

    def doc_to_answer(self, row) -> str:
        raise NotImplementedError

    def doc_to_messages(self, row, n_images: int) -> list[Message]:
        return [user_turn(self.doc_to_text(row), n_images)]

    def doc_to_id(self, row, index) -> str:
        rid = row.get("id") if isinstance(row, dict) else None
        return str(rid) if rid not in (None, "") else str(index)

    def doc_to_verifier(self, row) -> str:
        return self.verifier

    def doc_to_difficulty(self, row) -> int | None:
        return None

    def doc_to_reasoning(self, row) -> str | None:
        return None

    def doc_to_meta(self, row) -> dict:
        """Extra data; `meta["options"]` is what the verifier receives as its options (choices, alternatives...)."""
        return {}

    # --- assembly ------------------------------------------------------------------------------------------
    def resolve_images(self, values: list, field: str = "images") -> list:
        return [resolve_image(v, self.base_dir, file=self.file, row=self.row_index, field=f"{field}[{k}]",
                              check=self.check_images) for k, v in enumerate(values)]

    def to_sample(self, row, index) -> Sample:
        if isinstance(row, DataError):
            raise row
        self.row_index = index
        field = self.images_field(row)
        images = self.resolve_images(self.doc_to_images(row), field)
        messages = self.doc_to_messages(row, len(images))
        n_parts = sum(m.num_images() for m in messages)
        if n_parts != len(images):
            raise self.bad("image count mismatch", f"{n_parts} <image> markers but {len(images)} images", field)
        meta = self.doc_to_meta(row)
        if self.verifier_options:
            meta["options"] = {**self.verifier_options, **(meta.get("options") or {})}
        return Sample(id=self.doc_to_id(row, index), messages=messages, images=images,
                      answer=self.doc_to_answer(row), verifier=self.doc_to_verifier(row),
                      difficulty=self.doc_to_difficulty(row), reasoning=self.doc_to_reasoning(row), meta=meta)
