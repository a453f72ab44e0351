"""Drive any adapter over its data: stop at the first bad row (default) or skip bad rows and count them by reason.

Skipping is never silent: every skipped row lands in a `SkipReport` (counts per reason plus the first message of
each reason, which names file, row and field) that the caller prints or logs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Collection

from mmreason.errors import DataError
from mmreason.types import Sample

from .base import ModalityAdapter
from .io import BadRow, reason_of


@dataclass
class SkipReport:
    """Rows skipped while loading one source: counts per reason and one example message per reason."""
    source: str = ""
    counts: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    kept: int = 0

    def add(self, err: DataError) -> None:
        reason = reason_of(err)
        self.counts[reason] += 1
        self.examples.setdefault(reason, str(err))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        """Human-readable summary, one line per reason, most frequent first (empty when nothing was skipped)."""
        if not self.total:
            return []
        head = f"source '{self.source}': skipped {self.total} bad rows (kept {self.kept})"
        return [head] + [f"  {n} × {reason} (first: {self.examples[reason]})"
                         for reason, n in self.counts.most_common()]

    def to_dict(self) -> dict:
        return {"source": self.source, "kept": self.kept, "skipped": self.total, "reasons": dict(self.counts)}


def _check_verifier(sample: Sample, verifiers: Collection[str] | None, adapter, index) -> None:
    if verifiers is not None and sample.verifier not in verifiers:
        raise BadRow("unknown verifier", f"{sample.verifier!r} (valid: {', '.join(sorted(verifiers))})",
                     file=getattr(adapter, "file", None), row=index, field="verifier")


def load_samples(adapter: ModalityAdapter, path: str, *, source: str = "", split: str | None = None,
                 limit: int | None = None, skip_bad_rows: bool = False,
                 verifiers: Collection[str] | None = None) -> tuple[list[Sample], SkipReport]:
    """All samples of `path` through `adapter` (at most `limit`), each stamped with `source` and an id
    '<source>/<row id>'. A bad row raises its DataError, or with `skip_bad_rows` is counted in the report.
    Errors about the file as a whole (not found, not parquet) always raise. `verifiers`, when given, is the
    set of valid verifier names: a row naming another one is a bad row."""
    report = SkipReport(source=source)
    samples: list[Sample] = []
    seen: set[str] = set()
    for index, row in adapter.load(path, split=split, limit=limit):
        try:
            if isinstance(row, DataError):
                raise row
            sample = adapter.to_sample(row, index)
            _check_verifier(sample, verifiers, adapter, index)
            if sample.id in seen:
                raise BadRow("duplicate id", sample.id, file=getattr(adapter, "file", None), row=index, field="id")
        except DataError as e:
            if not skip_bad_rows:
                raise
            report.add(e)
            continue
        seen.add(sample.id)
        if source:
            sample.source = source
            sample.id = f"{source}/{sample.id}"
        samples.append(sample)
        if limit is not None and len(samples) >= limit:
            break
    report.kept = len(samples)
    return samples, report
