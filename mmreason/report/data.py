"""What a report reads from a run directory: the config, the metrics log, the held-out results and the recorded
rollouts (`mmreason.stages.rollout_log`). Everything is optional except the directory itself: a run interrupted
after a few steps still gets a report of what it has."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import MMReasonError


class ReportError(MMReasonError):
    """A run directory a report cannot be built from."""


@dataclass
class RunData:
    run_dir: Path
    config: dict = field(default_factory=dict)            # RUN_DIR/config.yaml
    rl: list[dict] = field(default_factory=list)          # RL step records, by step (the last record of a step)
    sft: list[dict] = field(default_factory=list)         # SFT step records
    evals: list[dict] = field(default_factory=list)       # held-out evaluation records (phase eval/<name>)
    heldout: dict = field(default_factory=dict)           # {stage name: {mode: metrics}}
    summary: dict = field(default_factory=dict)           # RUN_DIR/summary.json
    rollouts: dict[int, list[dict]] = field(default_factory=dict)  # recorded step → its prompt groups

    def cfg(self, dotted: str, default=None):
        """A config value by dotted key (`reward.format_weight`), or `default`."""
        node = self.config
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node


def _read_jsonl(path: Path) -> list[dict]:
    """The JSON lines of `path`; a last line still being written (no newline yet) is left out."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as e:
            if i == len(lines) and not text.endswith("\n"):
                break
            raise ReportError(f"{path}: line {i} is not JSON ({e.msg})") from None
    return out


def _by_step(records: list[dict]) -> list[dict]:
    """One record per step (a resumed run may log a step twice: the later one wins), in step order."""
    last = {}
    for r in records:
        if isinstance(r.get("step"), int):
            last[r["step"]] = r
    return [last[s] for s in sorted(last)]


def _read_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ReportError(f"{path}: not JSON ({e.msg})") from None


def load_run(run_dir: str | Path) -> RunData:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportError(f"run directory not found: {run_dir}")
    data = RunData(run_dir)
    if (run_dir / "config.yaml").is_file():
        data.config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8")) or {}
    metrics = _read_jsonl(run_dir / "metrics.jsonl") if (run_dir / "metrics.jsonl").is_file() else []
    data.rl = _by_step([r for r in metrics if r.get("phase") == "rl"])
    data.sft = _by_step([r for r in metrics if r.get("phase") == "sft"])
    data.evals = [r for r in metrics if str(r.get("phase", "")).startswith("eval/")]
    data.summary = _read_json(run_dir / "summary.json")
    data.heldout = data.summary.get("heldout") or _read_json(run_dir / "progress.json").get("heldout", {})
    data.rollouts = load_rollouts(run_dir)
    if not (metrics or data.rollouts or data.heldout):
        raise ReportError(f"{run_dir}: nothing to report (no metrics.jsonl, rollouts/ or summary.json); "
                          "is this a run directory (run.out_dir)?")
    return data


def load_rollouts(run_dir: Path, steps: list[int] | None = None) -> dict[int, list[dict]]:
    """{step: groups} of RUN_DIR/rollouts/step_*.jsonl (only `steps` when given)."""
    out = {}
    for path in sorted((run_dir / "rollouts").glob("step_*.jsonl")):
        try:
            step = int(path.stem.split("_", 1)[1])
        except ValueError:
            continue
        if steps is None or step in steps:
            out[step] = _read_jsonl(path)
    return out


def image_uri(run_dir: Path, rel: str, cache: dict | None = None) -> tuple[str, int, int] | None:
    """A recorded image as (data: URI, width, height) (None when the file is missing or unreadable)."""
    if cache is not None and rel in cache:
        return cache[rel]
    from PIL import Image

    path, out = run_dir / rel, None
    if path.is_file():
        try:
            with Image.open(path) as im:
                w, h = im.size
            out = ("data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii"), w, h)
        except OSError:
            out = None
    if cache is not None:
        cache[rel] = out
    return out


def choose_steps(available: list[int], wanted: list[int] | None, limit: int) -> list[int]:
    """The recorded steps to show: `wanted` (each must be recorded), else at most `limit` spread evenly over the
    run, the first and the last included."""
    available = sorted(available)
    if wanted:
        missing = [s for s in wanted if s not in available]
        if missing:
            raise ReportError(f"--steps: no rollouts recorded at step(s) {', '.join(map(str, missing))}; recorded: "
                              f"{', '.join(map(str, available)) or 'none'} (train.record_rollouts_every)")
        return sorted(set(wanted))
    if len(available) <= limit:
        return available
    if limit == 1:
        return [available[-1]]
    idx = sorted({round(i * (len(available) - 1) / (limit - 1)) for i in range(limit)})
    return [available[i] for i in idx]
