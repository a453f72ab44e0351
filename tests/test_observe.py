"""Watching a run: the console (bar / plain / quiet), the metric sinks read back (TensorBoard event files, an offline
W&B run file), the config section, and the filter on third-party notices."""

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mmreason.config import load_config
from mmreason.errors import ConfigError
from mmreason.observe import Console, TensorBoardSink, WandbSink, headline, make_sinks, sink_tag

STEP = {"reward/mean": 1.25, "accuracy/mean": 0.75, "loss": 0.01, "response_length/mean": 31.5, "time/step": 0.8,
        "time/rollout": 0.4, "time/update": 0.3, "time/reward": 0.1, "time/sync": 0.001}


def test_headline_keeps_the_key_metrics_and_the_phase_split():
    assert headline(STEP) == ("reward 1.250 acc 0.750 len 31.5 step 0.80s | rollout 50% update 37% reward 12%")
    assert headline({"loss": 6.25, "time/step": 0.1}) == "loss 6.25 step 0.10s"   # SFT: the loss is the headline


def test_plain_mode_prints_about_twenty_lines_per_task_with_eta(capsys):
    console = Console("plain")
    task = console.task("train", total=100)
    for step in range(1, 101):
        task.update(step, STEP)
    task.close()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 20 and lines[0].startswith("[train] 5/100 5% ") and " eta " in lines[0]
    assert lines[-1].startswith("[train] 100/100 100% ") and lines[-1].endswith(headline(STEP))
    every = Console("plain", plain_every=50).task("sft", total=120)
    for step in range(1, 121):
        every.update(step)
    assert [ln.split()[1] for ln in capsys.readouterr().out.splitlines()] == ["50/120", "100/120", "120/120"]


def test_plain_eta_follows_the_pace_since_the_task_opened():
    task = Console("plain", stream=io.StringIO()).task("train", total=10, done=4)   # resumed at step 4
    assert task.eta() is None
    task.t0 -= 6.0                     # 6 s for 2 steps → 3 s per step, 4 steps left
    task.update(6)
    assert task.eta() == pytest.approx(12.0, abs=0.1)


def test_quiet_mode_shows_only_important_messages(capsys):
    console = Console("quiet")
    with console.task("train", total=3) as task:
        for step in (1, 2, 3):
            task.update(step, STEP)
    console.say("[data] 3 rows skipped")
    console.say("[eval] rl: held-out accuracy greedy 0.600", important=True)
    assert capsys.readouterr().out == "[eval] rl: held-out accuracy greedy 0.600\n"
    assert Console("plain", enabled=False).mode == "quiet"         # ranks other than 0 print nothing


def test_bar_mode_draws_a_live_bar_with_eta_and_metrics(monkeypatch):
    monkeypatch.delenv("CI", raising=False)  # CI machines set $CI, which turns auto into plain lines
    out = io.StringIO()
    out.isatty = lambda: True          # a terminal: auto picks the bar
    console = Console("auto", stream=out)
    assert console.mode == "bar"
    task = console.task("train", total=4)
    for step in range(1, 5):
        task.update(step, STEP)
    console.say("[eval] between steps")
    task.close()
    text = out.getvalue()
    final = text.split("\r")[-1]
    assert "train" in final and "4/4" in final and "eta" in final and "reward 1.250 acc 0.750" in final
    assert "[eval] between steps" in text and console._progress is None    # the display stopped with its task


def test_auto_mode_prints_plain_lines_when_not_on_a_terminal_or_in_ci(monkeypatch):
    assert Console("auto", stream=io.StringIO()).mode == "plain"
    tty = io.StringIO()
    tty.isatty = lambda: True
    monkeypatch.setenv("CI", "true")
    assert Console("auto", stream=tty).mode == "plain"


def test_log_section_is_validated_with_the_dotted_key():
    cfg = load_config(None, ["log.progress=quiet", "log.sinks=[jsonl,tensorboard]"])
    assert cfg.log.progress == "quiet" and cfg.log.sinks == ["jsonl", "tensorboard"]
    with pytest.raises(ConfigError, match=r"log\.progress: must be one of auto, bar, plain, quiet, got 'fancy'"):
        load_config(None, ["log.progress=fancy"])
    with pytest.raises(ConfigError, match=r"log\.sinks\[1\]: must be one of jsonl, tensorboard, wandb"):
        load_config(None, ["log.sinks=[jsonl,mlflow]"])
    with pytest.raises(ConfigError, match=r"train\.record_rollouts_every: must be >= 0"):
        load_config(None, ["train.record_rollouts_every=-1"])
    with pytest.raises(ConfigError, match=r"eval\.k: must be >= 1"):
        load_config(None, ["eval.k=0"])


RECORDS = [{"phase": "sft", "step": 1, "loss": 6.5}, {"phase": "sft", "step": 2, "loss": 6.0},
           {"phase": "rl", "step": 1, "reward/mean": 0.5, "accuracy/source/count": 0.25, "note": "text"},
           {"phase": "rl", "step": 2, "reward/mean": 0.75, "accuracy/source/count": 0.5, "kl": float("nan")},
           {"phase": "eval/rl", "step": 2, "greedy/accuracy/mean": 0.625, "sampled/pass@4/mean": 0.875}]


def test_sink_tags_name_the_phase_group():
    assert sink_tag("rl", "reward/mean") == "train/reward/mean" and sink_tag("sft", "loss") == "sft/loss"
    assert sink_tag("eval/rl_step_10", "greedy/accuracy/mean") == "eval/greedy/accuracy/mean"


def test_tensorboard_event_files_read_back(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    sink = TensorBoardSink(tmp_path / "tb")
    for r in RECORDS:
        sink.log(r)
    sink.close()
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    read = lambda tag: [(e.step, e.value) for e in acc.Scalars(tag)]  # noqa: E731
    assert read("train/reward/mean") == [(1, 0.5), (2, 0.75)]
    assert read("train/accuracy/source/count") == [(1, 0.25), (2, 0.5)]
    assert read("sft/loss") == [(1, 6.5), (2, 6.0)]
    assert read("eval/sampled/pass@4/mean") == [(2, 0.875)]
    assert "train/kl" not in acc.Tags()["scalars"] and "train/note" not in acc.Tags()["scalars"]  # NaN, text


def wandb_records(run_file: Path) -> list:
    """The protobuf records of an offline W&B run file (a LevelDB-style log: a 7-byte header, then 32 KiB blocks
    of [crc 4 | length 2 | type 1 | payload], types full=1 / first=2 / middle=3 / last=4)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data, pos, block, buf, records = run_file.read_bytes(), 7, 32768, b"", []
    assert data[:4] == b":W&B"
    while pos + 7 <= len(data):
        if block - pos % block < 7:             # a block's tail too short for a header is padding
            pos += block - pos % block
            continue
        length, kind = int.from_bytes(data[pos + 4:pos + 6], "little"), data[pos + 6]
        if pos + 7 + length > len(data):        # a record still being written
            break
        buf += data[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            record = pb.Record()
            record.ParseFromString(buf)
            buf = b""
            records.append(record)
    return records


def wandb_history(run_file: Path, timeout_s: float = 30.0) -> list[dict]:
    """History rows of an offline run, once W&B's service has written the run's exit record (it closes the file
    shortly after `finish()` returns)."""
    deadline = time.monotonic() + timeout_s
    while True:
        records = wandb_records(run_file)
        if any(r.WhichOneof("record_type") == "exit" for r in records) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return [{"/".join(i.nested_key) or i.key: json.loads(i.value_json) for i in r.history.item}
            for r in records if r.WhichOneof("record_type") == "history"]


def test_wandb_offline_run_records_every_metric(tmp_path, monkeypatch):
    pytest.importorskip("wandb", reason="wandb is optional; install it to test the W&B sink")
    monkeypatch.setenv("WANDB_SILENT", "true")
    sink = WandbSink("mmreason-test", tmp_path, name="t", mode="offline", config={"seed": 0})
    for r in RECORDS:
        sink.log(r)
    sink.close()
    run_files = list((tmp_path / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(run_files) == 1
    rows = wandb_history(run_files[0])
    train = [r for r in rows if "train/reward/mean" in r]
    assert [(r["train/step"], r["train/reward/mean"]) for r in train] == [(1, 0.5), (2, 0.75)], rows
    assert [r["sft/loss"] for r in rows if "sft/loss" in r] == [6.5, 6.0]
    assert [r["eval/sampled/pass@4/mean"] for r in rows if "eval/step" in r] == [0.875]


def test_a_missing_optional_sink_is_refused_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)       # as if wandb were not installed
    cfg = load_config(None, ["log.sinks=[jsonl,wandb]"])
    with pytest.raises(ConfigError, match=r"log\.sinks: wandb is not installed; pip install wandb"):
        make_sinks(cfg.log, tmp_path)
    assert make_sinks(load_config(None, []).log, tmp_path) == []          # jsonl is the metrics log's own


NOISE_SCRIPT = """
import logging, sys
from mmreason.observe.noise import DropMessages, hide_third_party_noise
hide_third_party_noise()
import deepspeed                                   # detects the accelerator at import: CPU on this machine
from deepspeed.accelerator import real_accelerator
print("IMPORTED", flush=True)
for f in list(logging.getLogger("DeepSpeed").filters):
    if isinstance(f, DropMessages):
        logging.getLogger("DeepSpeed").removeFilter(f)
real_accelerator.ds_accelerator = None             # detect again, unfiltered: the notice must show
real_accelerator.get_accelerator()
logging.getLogger("DeepSpeed").warning("another DeepSpeed warning")
"""


def test_deepspeeds_accelerator_notice_is_hidden_but_other_warnings_show():
    env = {k: v for k, v in os.environ.items() if k != "DS_ACCELERATOR"}   # let DeepSpeed auto-detect (CPU)
    env.pop("MMREASON_SHOW_WARNINGS", None)
    r = subprocess.run([sys.executable, "-c", NOISE_SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    before, after = (r.stdout + r.stderr).split("IMPORTED")
    if "cuda" in after.lower():
        pytest.skip("a GPU was detected: DeepSpeed prints no CPU notice here")
    assert "Setting accelerator to CPU" not in before
    assert "Setting accelerator to CPU" in after and "another DeepSpeed warning" in after


def test_a_task_kept_off_the_plain_log_still_shows_it_is_alive_when_long(capsys):
    task = Console("plain").task("eval rl greedy", total=500, unit="sample", lines=False)
    task.update(64)
    assert capsys.readouterr().out == ""                  # short so far: nothing
    task.t_printed -= 31.0                                # 31 s since the task began
    task.update(128)
    task.update(192)
    lines = capsys.readouterr().out.splitlines()          # one line, then quiet again for 30 s
    assert len(lines) == 1 and lines[0].startswith("[eval rl greedy] 128/500 25% ") and " eta " in lines[0]
    task.update(500)
    task.close()
    assert capsys.readouterr().out == ""                  # the end is the caller's result line
