"""Config sources → samples: resolve each source's adapter (registered name or 'pkg.mod:Class'), read its data
with `split`, `limit` and `options`, and report rows skipped under `data.skip_bad_rows`.

Skipped rows are never silent: each source's `SkipReport` travels with its samples, a warning is logged per
source that skipped anything, and `skip_summary()` gives the lines for the trainer to print.
"""

from __future__ import annotations

import logging
from typing import Collection, Sequence

from ..config.schema import SourceConfig
from ..errors import DataError
from ..types import Sample

log = logging.getLogger(__name__)


class LoadedSource(tuple):
    """One config source, loaded: unpacks as (name, weight, samples) like any mixture source, and carries its
    skip report as `.skipped` (a modalities.loading.SkipReport). Samples keep images lazy (paths, undecoded
    bytes)."""

    def __new__(cls, name: str, weight: float, samples: list[Sample], skipped):
        obj = super().__new__(cls, (name, weight, samples))
        obj.skipped = skipped
        return obj

    def __reduce__(self):
        return (LoadedSource, (*self, self.skipped))

    name = property(lambda self: self[0])
    weight = property(lambda self: self[1])
    samples = property(lambda self: self[2])


def load_source(cfg: SourceConfig, skip_bad_rows: bool = False,
                verifiers: Collection[str] | None = None) -> LoadedSource:
    from modalities import get_adapter, load_samples

    name = cfg.name or cfg.adapter.split(":")[-1]
    adapter = get_adapter(cfg.adapter, **dict(cfg.options or {}))
    samples, report = load_samples(adapter, cfg.path, source=name, split=cfg.split, limit=cfg.limit,
                                   skip_bad_rows=skip_bad_rows, verifiers=verifiers)
    for line in report.lines():
        log.warning(line)
    if not samples:
        why = f"all {report.total} rows were skipped as bad" if report.total else "no rows"
        raise DataError(f"source '{name}' has no samples ({why})", file=cfg.path)
    return LoadedSource(name, float(cfg.weight), samples, report)


def load_sources(source_cfgs: Sequence[SourceConfig], skip_bad_rows: bool = False,
                 verifiers: Collection[str] | None = None) -> list[LoadedSource]:
    """Every source of `data.train` (or `data.eval`), in config order. `verifiers`: valid verifier names
    (a row naming another is a bad row); None = not checked here."""
    return [load_source(cfg, skip_bad_rows, verifiers) for cfg in source_cfgs]


def skip_summary(sources: Sequence[LoadedSource]) -> list[str]:
    """Lines describing skipped rows of every source (empty when none were skipped)."""
    return [line for s in sources for line in s.skipped.lines()]
