"""`mmreason pipeline`: stage references and overrides checked before anything runs, and a pipeline killed in the
middle of a stage continues without redoing the finished stages (the interrupted one from its own checkpoint)."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from mmreason.config import load_config
from mmreason.errors import ConfigError
from mmreason.runner import plan

ROOT = Path(__file__).resolve().parents[1]


def cfg_with(stages, *extra):
    return load_config(None, [f"pipeline={json.dumps(stages)}", *extra])


def test_stage_references_and_keys_are_checked_with_their_place():
    with pytest.raises(ConfigError, match=r"pipeline\[1\].from: 'colt' is not an earlier stage \(earlier: cold\)"):
        cfg_with([{"name": "cold", "stage": "sft"}, {"name": "rl", "stage": "rl", "from": "colt"}])
    with pytest.raises(ConfigError, match=r"pipeline\[1\].data: stage 'cold' is a sft stage, need one of sample"):
        cfg_with([{"name": "cold", "stage": "sft"}, {"name": "x", "stage": "sft", "data": "cold"}])
    with pytest.raises(ConfigError, match=r"pipeline\[0\].stage: must be one of sft, rl, sample, dpo, merge, eval"):
        cfg_with([{"name": "a", "stage": "grpo"}])
    with pytest.raises(ConfigError, match=r"pipeline\[0\].other: a merge stage needs"):
        cfg_with([{"name": "a", "stage": "merge"}])
    with pytest.raises(ConfigError, match=r"pipeline\[1\].name: duplicate stage name 'a'"):
        cfg_with([{"name": "a", "stage": "sft"}, {"name": "a", "stage": "rl"}])


def test_stage_configs_are_built_and_validated_before_anything_runs(tmp_path):
    good = [{"name": "cold", "stage": "sft", "overrides": {"sft": {"steps": 3}}},
            {"name": "rs", "stage": "sample", "overrides": {"sample": {"keep": "shortest"}}},
            {"name": "rs_sft", "stage": "sft", "from": "cold", "data": "rs", "overrides": {"sft": {"steps": 2}}},
            {"name": "rl", "stage": "rl", "overrides": {"train": {"steps": 4}}}]
    p = plan(cfg_with(good), tmp_path, "/models/init")
    assert p["cold"].cfg.model.path == "/models/init" and p["cold"].cfg.run.out_dir == str(tmp_path / "cold")
    assert p["rs"].cfg.model.path == str(tmp_path / "cold" / "sft_model")          # default: the last model
    assert p["rs_sft"].cfg.data.train[0].path == str(tmp_path / "rs" / "sampled" / "sft")
    assert p["rs_sft"].cfg.model.path == str(tmp_path / "cold" / "sft_model")
    assert p["rl"].cfg.model.path == str(tmp_path / "rs_sft" / "sft_model") and p["rl"].cfg.train.resume
    bad = [dict(good[0], overrides={"sft": {"stepz": 3}})]
    with pytest.raises(ConfigError, match=r"pipeline\[0\].overrides: unknown config key 'sft.stepz'; did you mean "
                                          r"sft.steps\?"):
        plan(cfg_with(bad), tmp_path, "/m")
    with pytest.raises(ConfigError, match=r"pipeline\[0\] \(cold\): a sft stage needs sft.steps > 0"):
        plan(cfg_with([{"name": "cold", "stage": "sft"}]), tmp_path, "/m")
    no_data = [good[0], dict(good[1], overrides={"sample": {"keep": "none"}}), good[2]]
    with pytest.raises(ConfigError, match=r"pipeline\[2\].data: stage 'rs' writes no sft data"):
        plan(cfg_with(no_data), tmp_path, "/m")


def write_config(tmp_path, tiny_model_dir, count_data, second_steps):
    cfg = {"run": {"out_dir": str(tmp_path / "run"), "threads": 1}, "model": {"path": tiny_model_dir},
           "data": {"train": [{"name": "count", "adapter": "puzzles", "path": count_data["train"]}],
                    "eval": [{"name": "held", "adapter": "puzzles", "path": count_data["heldout"]}]},
           "rollout": {"max_new_tokens": 16}, "eval": {"n": 2, "sampled": False},
           "sft": {"batch_size": 4, "micro_batch_size": 4, "warmup_steps": 0},
           "train": {"save_every": 2}, "log": {"progress": "plain"},
           "pipeline": [{"name": "s1", "stage": "sft", "overrides": {"sft": {"steps": 3}}},
                        {"name": "s2", "stage": "sft", "overrides": {"sft": {"steps": second_steps}}}]}
    path = tmp_path / "pipe.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_a_pipeline_killed_mid_stage_resumes_without_redoing_finished_stages(tmp_path, tiny_model_dir, count_data):
    path = write_config(tmp_path, tiny_model_dir, count_data, 12)
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "mmreason", "pipeline", str(path)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list((run / "s2" / "checkpoints").glob("sft-*/COMPLETE")) and time.time() < deadline:
        assert proc.poll() is None, "the pipeline ended before it could be killed"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)                                     # killed in the middle of stage s2
    proc.wait()
    first = json.loads((run / "pipeline.json").read_text())
    assert set(first["stages"]) == {"initial", "s1"}
    s1_model = (run / "s1" / "sft_model" / "model.safetensors").stat().st_mtime_ns
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "[pipeline] s1: finished earlier, skipped" in out.stdout
    assert "[pipeline] initial: finished earlier, skipped" in out.stdout
    done = json.loads((run / "pipeline.json").read_text())
    assert done["stages"]["s1"] == first["stages"]["s1"] and done["stages"]["s2"]["resumed"] is True
    assert (run / "s1" / "sft_model" / "model.safetensors").stat().st_mtime_ns == s1_model
    steps = [json.loads(l)["step"] for l in (run / "s2" / "metrics.jsonl").read_text().splitlines()
             if json.loads(l).get("phase") == "sft"]
    resumed_from = int(re.search(r"\[resume\] from \S+sft-0*(\d+) \(step (\d+)\)", out.stdout).group(2))
    assert resumed_from >= 2 and resumed_from % 2 == 0                             # a saved step (save_every=2)
    before = len(steps) - (12 - resumed_from)                                     # steps logged before the kill
    assert before >= resumed_from and steps == list(range(1, before + 1)) + list(range(resumed_from + 1, 13))
    summary = json.loads((run / "summary.json").read_text())
    assert set(summary) >= {"heldout_accuracy/greedy/s1", "heldout_accuracy/greedy/s2",
                            "heldout_accuracy/greedy/initial"}
    changed = load_config(str(write_config(tmp_path, tiny_model_dir, count_data, 13)))
    with pytest.raises(ConfigError, match="stage 's2' finished with a different config"):
        from mmreason.runner import run_pipeline
        run_pipeline(changed)


def test_stage_fingerprints_read_only_the_keys_that_differ_from_the_defaults():
    """A stage's fingerprint is over its non-default keys, so a key the schema gains later (at its default) leaves
    finished stages resumable, while any real change of a value still changes it."""
    from mmreason.config import Config
    from mmreason.config.load import load_config
    from mmreason.runner import config_delta

    assert config_delta(Config()) == "{}"
    one = load_config(None, ["sft.steps=7", "dpo.sft_weight=0.0", "train.packing=false"])  # two keys at defaults
    assert json.loads(config_delta(one)) == {"sft.steps": 7}
    assert config_delta(load_config(None, ["sft.steps=8"])) != config_delta(one)
