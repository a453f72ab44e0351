"""Watching a run: the console (live bar, plain lines or quiet), the metric sinks (JSONL, TensorBoard, W&B), the
evaluation table and the filter that hides third-party notices that mean nothing to a user."""

from .console import Console, Task, headline
from .noise import hide_third_party_noise
from .sinks import TensorBoardSink, WandbSink, make_sinks, sink_tag

__all__ = ["Console", "Task", "TensorBoardSink", "WandbSink", "headline", "hide_third_party_noise",
           "make_sinks", "sink_tag"]
