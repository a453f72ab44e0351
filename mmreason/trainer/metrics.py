"""Phase timers and the metrics log (console line + JSONL file in the run dir)."""

from __future__ import annotations

import json
import math
import time
from contextlib import contextmanager
from pathlib import Path


class PhaseTimer:
    """Accumulates wall time per named phase; `metrics()` gives {'time/<phase>': seconds}."""

    def __init__(self):
        self.totals: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.totals[name] = self.totals.get(name, 0.0) + time.perf_counter() - t0

    def metrics(self) -> dict[str, float]:
        return {f"time/{k}": v for k, v in self.totals.items()}


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


class MetricsLogger:
    """Appends one JSON object per step to `path` and hands it to each sink (TensorBoard, W&B:
    `mmreason.observe.sinks`); with `console`, prints a short line with the headline numbers (runs show a
    progress display instead: `mmreason.observe.Console`)."""

    HEADLINE = ("reward/mean", "accuracy/mean", "format/mean", "loss", "kl", "entropy", "clip_frac",
                "response_length/mean", "time/step")

    def __init__(self, path: str | Path | None, console: bool = True, sinks=()):
        self.path = Path(path) if path else None
        self.console = console
        self.sinks = list(sinks)
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def log(self, record: dict, console: bool | None = None) -> None:
        if self.path:
            with open(self.path, "a") as f:
                f.write(json.dumps({k: _clean(v) for k, v in record.items()}, sort_keys=True) + "\n")
        for sink in self.sinks:
            sink.log(record)
        if self.console if console is None else console:
            head = [f"{record.get('phase', '')} step {record.get('step', '?')}"]
            for k in self.HEADLINE:
                if k in record and isinstance(record[k], (int, float)):
                    head.append(f"{k.split('/')[0] if k.endswith('/mean') else k}={record[k]:.4g}")
            print(" ".join(head), flush=True)

    def close(self) -> None:
        """Close the sinks (TensorBoard flushes its event file, W&B finishes its run)."""
        sinks, self.sinks = self.sinks, []
        for sink in sinks:
            sink.close()


def read_metrics(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
