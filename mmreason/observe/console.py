"""What a person watching a run sees: a live progress bar (rich) with ETA and the key metrics, plain lines for logs and
CI, or nothing but results (quiet).

    mode    auto   a bar when stdout is a terminal and $CI is unset, plain lines otherwise
            bar    a live bar per task (train, sft, eval, build), messages printed above it
            plain  one line every `plain_every` steps (default: about 20 per task) and at the end of each task
            quiet  no progress at all; only results the commands print themselves, and messages marked important

A task is opened with its total (None for work of unknown length: a spinner and the elapsed time) and updated with
the absolute position and, for training steps, the step's metrics, of which `headline` keeps the key ones.
"""

from __future__ import annotations

import os
import sys
import time

MODES = ("auto", "bar", "plain", "quiet")

# (metric, label, format) shown in the bar and the plain lines, in this order, when present
HEADLINE = (("reward/mean", "reward", "{:.3f}"), ("accuracy/mean", "acc", "{:.3f}"), ("loss", "loss", "{:.4g}"),
            ("kl", "kl", "{:.3g}"), ("response_length/mean", "len", "{:.1f}"), ("time/step", "step", "{:.2f}s"))
SKIP_WHEN_REWARD = ("loss",)    # RL steps show reward and accuracy; the loss is the SFT stage's headline
ALIVE_EVERY_S = 30.0            # plain mode: a task kept off the log still prints a line this often


def _fmt_time(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def headline(metrics: dict | None) -> str:
    """The key metrics of one step in a short line: reward, accuracy, length, step time and the phase split
    (share of each timed phase in the step), e.g. `reward 1.250 acc 0.750 len 31.5 step 0.84s | rollout 41% …`."""
    if not metrics:
        return ""
    parts = []
    for key, label, fmt in HEADLINE:
        v = metrics.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if key in SKIP_WHEN_REWARD and "reward/mean" in metrics:
                continue
            parts.append(f"{label} {fmt.format(v)}")
    phases = {k[5:]: float(v) for k, v in metrics.items()
              if k.startswith("time/") and k != "time/step" and isinstance(v, (int, float))}
    total = sum(phases.values())
    if len(phases) > 1 and total > 0:  # phases under 1% of the step are left out
        split = " ".join(f"{name} {100 * v / total:.0f}%" for name, v in phases.items() if v >= 0.01 * total)
        return " ".join(parts) + " | " + split
    return " ".join(parts)


class Task:
    """One unit of work on the console (a stage's steps, an evaluation's samples, a build)."""

    def __init__(self, console: "Console", name: str, total: int | None, done: int = 0, unit: str = "step",
                 lines: bool = True):
        self.console, self.name, self.total, self.unit, self.lines = console, name, total, unit, lines
        self.done = self.start = self.printed = int(done)
        self.t0 = self.t_printed = time.perf_counter()
        self.info = ""
        self.closed = False
        self.every = console.plain_every or max(1, -(-(total or 20) // 20))
        self._id = console._bar_add(self) if console.mode == "bar" else None

    def eta(self) -> float | None:
        """Seconds left, from the pace since the task opened (None before the first step or without a total)."""
        if self.total is None or self.done <= self.start:
            return None
        per = (time.perf_counter() - self.t0) / (self.done - self.start)
        return per * max(self.total - self.done, 0)

    def update(self, done: int, metrics: dict | None = None) -> None:
        """Move to position `done` (absolute), showing `metrics`' headline."""
        if self.closed:
            return
        self.done = int(done)
        if metrics is not None:
            self.info = headline(metrics)
        if self.console.mode == "bar":
            self.console._bar_update(self)
        elif self.console.mode == "plain" and self._due():
            self.printed, self.t_printed = self.done, time.perf_counter()
            self.console._write(self.line())

    def _due(self) -> bool:
        """Plain mode: a line at the last step and each time the position crosses a multiple of `every`; a task
        kept off the log (`lines=False`) only when it has run `ALIVE_EVERY_S` since its last line."""
        if not self.lines:
            return self.done != self.total and time.perf_counter() - self.t_printed >= ALIVE_EVERY_S
        return self.done == self.total or self.done // self.every > self.printed // self.every

    def advance(self, n: int = 1, metrics: dict | None = None) -> None:
        self.update(self.done + n, metrics)

    def line(self) -> str:
        """The plain-mode line: `[train] 12/120 10% 0m10s eta 1m32s | reward 1.250 …`."""
        elapsed = _fmt_time(time.perf_counter() - self.t0)
        if self.total:
            pos = f"{self.done}/{self.total} {100 * self.done // self.total}% {elapsed} eta {_fmt_time(self.eta())}"
        else:
            pos = f"{self.done} {self.unit}s {elapsed}"
        return f"[{self.name}] {pos}" + (f" | {self.info}" if self.info else "")

    def close(self, message: str | None = None) -> None:
        """Finish the task (a plain-mode line for a task of unknown length, then `message` if given)."""
        if self.closed:
            return
        self.closed = True
        if self.console.mode == "bar":
            self.console._bar_close(self)
        elif self.console.mode == "plain" and self.total is None and self.lines:
            self.console._write(f"[{self.name}] done in {_fmt_time(time.perf_counter() - self.t0)}")
        if message:
            self.console.say(message)

    def __enter__(self) -> "Task":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Console:
    """The run's console. `enabled=False` (ranks other than 0) makes every call a no-op."""

    def __init__(self, mode: str = "auto", plain_every: int = 0, stream=None, enabled: bool = True):
        if mode not in MODES:
            raise ValueError(f"log.progress: must be one of {', '.join(MODES)}, got {mode!r}")
        self._stream = stream
        if mode == "auto":
            isatty = getattr(self.stream, "isatty", lambda: False)()
            mode = "bar" if isatty and not os.environ.get("CI") else "plain"
        self.mode = mode if enabled else "quiet"
        self.enabled = enabled
        self.plain_every = int(plain_every)
        self._progress = None
        self._open: list[Task] = []

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    def task(self, name: str, total: int | None, done: int = 0, unit: str = "step", lines: bool = True) -> Task:
        """A task; `lines=False` keeps it off the plain-mode log (tasks that report their own result), but for a
        line every `ALIVE_EVERY_S` seconds while it runs long."""
        return Task(self, name, total, done, unit, lines)

    def say(self, line: str, important: bool = False) -> None:
        """A message line (above the bar in bar mode); quiet mode shows only important ones."""
        if not self.enabled or (self.mode == "quiet" and not important):
            return
        if self._progress is not None:
            self._progress.console.print(line, markup=False, highlight=False)
        else:
            self._write(line)

    def _write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    # -------------------------------------------------------------------- the live bar (rich)
    def _bar_add(self, task: Task) -> int:
        from rich.console import Console as RichConsole
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        from rich.table import Column

        if self._progress is None:  # the metrics column gives way first on a narrow terminal (cut with …)
            info = TextColumn("{task.fields[info]}", markup=False,
                              table_column=Column(no_wrap=True, overflow="ellipsis", min_width=8, ratio=1))
            self._progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(bar_width=24),
                                      MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("eta"),
                                      TimeRemainingColumn(), info, console=RichConsole(file=self.stream),
                                      refresh_per_second=4, expand=True)
            self._progress.start()
        self._open.append(task)
        return self._progress.add_task(task.name, total=task.total, completed=task.done, info="")

    def _bar_update(self, task: Task) -> None:
        self._progress.update(task._id, completed=task.done, info=task.info)

    def _bar_close(self, task: Task) -> None:
        p = self._progress
        if task.total is not None:
            p.update(task._id, completed=task.done, info=task.info)
        else:
            p.update(task._id, total=1, completed=1)
        p.stop_task(task._id)
        self._open.remove(task)
        if not self._open:  # the finished bars stay printed; the next task starts a fresh display
            p.stop()
            self._progress = None

    def close(self) -> None:
        """Close every open task (an interrupted run leaves the terminal as it was)."""
        for task in list(self._open):
            task.close()
