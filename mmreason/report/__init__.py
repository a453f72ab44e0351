"""`mmreason report RUN_DIR`: one self-contained HTML file to judge a run — training curves (reward, accuracy per
source, response length, KL, entropy, clip fraction, phase times), held-out results per stage, and a browser of the
rollouts recorded during training (`train.record_rollouts_every`), with views for spotting reward hacking and
over-thinking."""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_file
from .data import ReportError, RunData, choose_steps, load_run
from .page import render_page
from .rollouts import rollout_sections


def build_report(run_dir: str | Path, out: str | Path | None = None, steps: list[int] | None = None,
                 max_steps: int = 20) -> Path:
    """Write the report of `run_dir` to `out` (default RUN_DIR/report.html) and return its path. `steps`: the
    recorded steps to show in the rollout browser (default: at most `max_steps`, spread over the run)."""
    data = load_run(run_dir)
    shown = choose_steps(list(data.rollouts), steps, max_steps)
    html = render_page(data, rollout_sections(data, shown), shown)
    out = Path(out) if out else data.run_dir / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as f:
        f.write(html)
    out.chmod(0o644)  # a file to open and share (the atomic writer's temporary file is private)
    return out


__all__ = ["ReportError", "RunData", "build_report", "load_run"]
