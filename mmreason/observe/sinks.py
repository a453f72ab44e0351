"""Metric sinks: where the records of a run go besides RUN_DIR/metrics.jsonl (which is always written).

Every sink takes the same records the metrics log writes — `{"phase": "rl" | "sft" | "eval/<name>", "step": N,
<metric>: value, …}` — and names each scalar by `sink_tag`: `train/<metric>` for RL steps, `sft/<metric>` for the
cold start, `eval/<mode>/<metric>` for held-out evaluations (at the RL step they were taken; 0 before RL), so a
curve in TensorBoard or W&B is one metric of one phase.

    tensorboard   event files under `log.tensorboard_dir` (default RUN_DIR/tensorboard), via torch's SummaryWriter
    wandb         a Weights & Biases run (`log.wandb_project`, `log.wandb_mode`: offline needs no network; upload
                  later with `wandb sync RUN_DIR/wandb/offline-run-…`); wandb is optional and only imported here
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import ConfigError

GROUPS = {"rl": "train", "sft": "sft"}


def sink_tag(phase: str, key: str) -> str:
    """The scalar's name in TensorBoard / W&B: its phase group, then the metric name."""
    group = GROUPS.get(phase) or ("eval" if phase.startswith("eval") else phase or "misc")
    return f"{group}/{key}"


def scalars(record: dict) -> tuple[str, int, dict[str, float]]:
    """(group, step, {tag: value}) of a record: its finite numbers (bools and strings are left out)."""
    phase = str(record.get("phase", ""))
    step = int(record.get("step") or 0)
    out = {}
    for k, v in record.items():
        if k in ("phase", "step") or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if math.isfinite(v):
            out[sink_tag(phase, k)] = float(v)
    return sink_tag(phase, "").rstrip("/"), step, out


class TensorBoardSink:
    """TensorBoard event files, one scalar per metric and step."""

    def __init__(self, log_dir: str | Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            raise ConfigError(f"log.sinks: tensorboard needs the tensorboard package ({e}); "
                              "pip install tensorboard, or remove tensorboard from log.sinks") from None
        self.log_dir = Path(log_dir)
        self.writer = SummaryWriter(log_dir=str(self.log_dir))

    def log(self, record: dict) -> None:
        _, step, values = scalars(record)
        for tag, v in values.items():
            self.writer.add_scalar(tag, v, global_step=step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class WandbSink:
    """A Weights & Biases run; each phase group has its own step axis (`train/step`, `sft/step`, `eval/step`)."""

    def __init__(self, project: str, run_dir: str | Path, name: str | None = None, mode: str = "offline",
                 config: dict | None = None):
        try:
            import wandb
        except ImportError:
            raise ConfigError("log.sinks: wandb is not installed; pip install wandb, or remove wandb from "
                              "log.sinks") from None
        self.run = wandb.init(project=project, name=name or Path(run_dir).name, dir=str(run_dir), mode=mode,
                              config=config or {})
        self._defined: set[str] = set()

    def log(self, record: dict) -> None:
        group, step, values = scalars(record)
        if group not in self._defined:
            self.run.define_metric(f"{group}/step")
            self.run.define_metric(f"{group}/*", step_metric=f"{group}/step")
            self._defined.add(group)
        self.run.log({**values, f"{group}/step": step})

    def close(self) -> None:
        self.run.finish()


def make_sinks(log_cfg, run_dir: str | Path, config: dict | None = None) -> list:
    """The sinks `log.sinks` names besides JSONL (which `MetricsLogger` always writes to RUN_DIR/metrics.jsonl)."""
    run_dir = Path(run_dir)
    sinks = []
    try:
        if "tensorboard" in log_cfg.sinks:
            sinks.append(TensorBoardSink(log_cfg.tensorboard_dir or run_dir / "tensorboard"))
        if "wandb" in log_cfg.sinks:
            sinks.append(WandbSink(log_cfg.wandb_project, run_dir, log_cfg.wandb_run_name, log_cfg.wandb_mode,
                                   config))
    except BaseException:
        for s in sinks:
            s.close()
        raise
    return sinks
