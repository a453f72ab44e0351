"""One small registry: a name → object dict that refuses duplicates and suggests close names on a miss."""

from __future__ import annotations

import difflib
import re
from typing import Callable, Generic, Iterator, TypeVar

from .errors import MMReasonError

T = TypeVar("T")


class UnknownNameError(MMReasonError, KeyError):
    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class Registry(Generic[T]):
    """Registry of named components (adapters, verifiers, builders, advantage estimators, losses)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, obj: T | None = None):
        """Register `obj` under `name`; usable directly or as a decorator."""
        if obj is None:
            def decorator(o: T) -> T:
                self.register(name, o)
                return o
            return decorator
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.kind} name must be a non-empty string, got {name!r}")
        if name in self._items:
            raise ValueError(f"duplicate {self.kind} name '{name}': already registered as {self._items[name]!r}")
        self._items[name] = obj
        return obj

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(str(name), list(self._items), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown {self.kind} '{name}'{hint} (valid: {', '.join(sorted(self._items))})"

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def __len__(self) -> int:
        return len(self._items)


def closest(name: str, valid: list[str], n: int = 3) -> list[str]:
    """Closest valid names to `name` (used by config validation too)."""
    return difflib.get_close_matches(name, valid, n=n, cutoff=0.5)


_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_IMPORT_PATH = re.compile(rf"{_IDENT}(\.{_IDENT})*:{_IDENT}(\.{_IDENT})*")


def load_object(path: str) -> Callable:
    """Import 'package.module:Attr' (e.g. a user adapter class named in a config)."""
    import importlib

    if not isinstance(path, str) or not _IMPORT_PATH.fullmatch(path):
        raise MMReasonError(f"import path {path!r} must look like 'package.module:Name' (dotted Python identifiers)")
    module_name, attr = path.split(":", 1)
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise MMReasonError(f"cannot import module '{module_name}' from '{path}': {e}") from None
    except Exception as e:  # the module exists but fails while importing (a syntax error, an exception at import)
        raise MMReasonError(f"importing module '{module_name}' from '{path}' failed: {type(e).__name__}: {e}") from None
    try:
        obj = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        raise MMReasonError(f"module '{module_name}' has no attribute '{attr}' (from '{path}')") from None
    return obj


def declared_options(fn: Callable, options: dict) -> dict:
    """The subset of `options` that `fn` declares as parameters: registered variants (losses, advantages,
    aggregations) take only what they use, and the caller offers what it has."""
    import inspect

    params = inspect.signature(fn).parameters
    return {k: v for k, v in options.items() if k in params}
