"""The CLI as a user runs it: subprocesses, --help everywhere, one-line errors with exit codes ≠ 0."""

import os
import subprocess
import sys

import pytest

from mmreason.cli import COMMANDS, _available

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


def mmreason(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mmreason", *args], capture_output=True, text=True, env=ENV,
                          cwd=cwd, timeout=300)


def test_every_subcommand_has_help():
    available = _available()
    assert set(available) == set(COMMANDS), f"missing command modules: {set(COMMANDS) - set(available)}"
    top = mmreason("--help")
    assert top.returncode == 0
    for name in COMMANDS:
        assert name in top.stdout
        r = mmreason(name, "--help")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(f"usage: mmreason {name}")


def test_init_model_and_error_when_it_exists(tmp_path):
    out = tmp_path / "m"
    r = mmreason("init-model", "--out", str(out), "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert (out / "config.json").is_file() and (out / "processor_config.json").is_file()
    r = mmreason("init-model", "--out", str(out))
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [f"error: {out} already exists (pass --overwrite to replace it)"]


def test_show_config_prints_merged_yaml(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("train:\n  steps: 7\n")
    r = mmreason("show-config", str(cfg), "rollout.group_size=3")
    assert r.returncode == 0, r.stderr
    assert "steps: 7" in r.stdout and "group_size: 3" in r.stdout
    assert "group_size: 4" in mmreason("show-config", "rollout.group_size=4").stdout


@pytest.mark.parametrize("args, expect", [
    (("show-config", "{cfg}", "train.stepz=1"), "unknown config key 'train.stepz'; did you mean train.steps"),
    (("show-config", "{bad}"), "not valid YAML"),
    (("show-config", "{cfg}", "data.train=[{adapter: vqaa, path: x}]"), "unknown adapter 'vqaa'; did you mean 'vqa'"),
    (("train", "{cfg}", "model.path={missing}"), "model directory not found"),
])
def test_errors_are_one_line_without_traceback(tmp_path, args, expect):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("run:\n  out_dir: {}\n".format(tmp_path / "run"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [1\n")
    subst = {"{cfg}": str(cfg), "{bad}": str(bad), "{missing}": str(tmp_path / "no_model")}
    for k, v in subst.items():
        args = [a.replace(k, v) for a in args]
    r = mmreason(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expect in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_debug_shows_traceback(tmp_path):
    r = mmreason("--debug", "show-config", "train.stepz=1")
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_train_runs_from_the_cli_and_writes_summary(tmp_path, sft_model_dir, count_data):
    import json

    from helpers import rl_overrides

    r = mmreason("train", "configs/demo.yaml", *rl_overrides(tmp_path / "run", sft_model_dir, count_data,
                                                             "train.steps=2", "sft.steps=0", "data.build=[]"),
                 cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    for k in ("heldout_accuracy/greedy/initial", "heldout_accuracy/sampled/initial", "heldout_accuracy/greedy/rl",
              "heldout_accuracy/sampled/rl", "wall_time_s"):
        assert k in summary and k in r.stdout
    metrics = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if m.get("phase") == "rl"] == [1, 2]


def test_accepts_the_deepspeed_launchers_local_rank():
    r = mmreason("--local_rank=0", "show-config", "train.steps=2")
    assert r.returncode == 0 and "steps: 2" in r.stdout, r.stderr
