"""Watching a real short run end to end: held-out pass@k / maj@k every N steps in the metrics log, TensorBoard
events read back, rollouts recorded, `mmreason eval`'s table and JSON, and the report opened in headless Chromium
(Debian's package; .ci/run installs it) with its screenshot checked for the charts and a rollout's image."""

import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from helpers import rl_overrides
from mmreason.cli import main
from mmreason.config import load_config
from mmreason.pipeline import run_training
from mmreason.trainer.metrics import read_metrics

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BLUE = (31, 119, 180)     # the first series colour of every chart (mmreason.report.charts.PALETTE[0])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, sft_model_dir, count_data):
    run = tmp_path_factory.mktemp("watched") / "run"
    run_training(load_config(None, rl_overrides(
        run, sft_model_dir, count_data, "train.steps=3", "train.eval_every=2", "train.record_rollouts_every=1",
        "train.record_rollouts_max=2", "eval.k=2", "eval.n=4", "log.sinks=[jsonl,tensorboard]",
        "log.progress=plain")))
    return run


def test_heldout_pass_and_maj_are_logged_every_n_steps_beside_the_old_keys(run_dir):
    evals = {r["phase"]: r for r in read_metrics(run_dir / "metrics.jsonl") if r["phase"].startswith("eval/")}
    assert list(evals) == ["eval/initial", "eval/rl_step_2", "eval/rl"]
    mid = evals["eval/rl_step_2"]
    assert mid["step"] == 2 and evals["eval/rl"]["step"] == 3
    for key in ("sampled/pass@1/mean", "sampled/pass@2/mean", "sampled/maj@2/mean", "sampled/pass@2/source/held",
                "sampled/maj@2/family/count", "sampled/pass@2/difficulty/1", "greedy/pass@1/mean",
                "greedy/accuracy/mean", "sampled/accuracy/source/held"):
        assert 0.0 <= mid[key] <= 1.0, key
    assert mid["sampled/pass@1/mean"] == pytest.approx(mid["sampled/accuracy/mean"])
    assert mid["sampled/pass@2/mean"] >= mid["sampled/pass@1/mean"] - 1e-9
    assert mid["sampled/count"] == 8 and mid["sampled/items"] == 4          # n=4 items × k=2 samples
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["heldout_accuracy/sampled/rl"] == summary["heldout"]["rl"]["sampled"]["accuracy/mean"]


def test_tensorboard_events_of_the_run_read_back(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir / "tensorboard"))
    acc.Reload()
    rl = {r["step"]: r for r in read_metrics(run_dir / "metrics.jsonl") if r["phase"] == "rl"}
    got = [(e.step, e.value) for e in acc.Scalars("train/reward/mean")]
    assert got == [(s, pytest.approx(rl[s]["reward/mean"])) for s in (1, 2, 3)]
    assert [e.step for e in acc.Scalars("eval/sampled/pass@2/mean")] == [0, 2, 3]
    assert "sft/loss" not in acc.Tags()["scalars"]                           # no SFT in this run


def test_rollouts_are_recorded_with_images(run_dir):
    files = sorted(p.name for p in (run_dir / "rollouts").glob("step_*.jsonl"))
    assert files == ["step_000001.jsonl", "step_000002.jsonl", "step_000003.jsonl"]
    groups = [json.loads(line) for line in (run_dir / "rollouts" / files[0]).read_text().splitlines()]
    assert len(groups) == 2 and all(len(g["completions"]) == 4 for g in groups)     # bounded; G=4 each
    assert all((run_dir / g["images"][0]).is_file() and g["verifier"] == "integer" for g in groups)
    assert "<|vision_start|>" in groups[0]["prompt"]


def test_eval_command_prints_the_table_and_writes_json(run_dir, tmp_path, capsys):
    out = tmp_path / "ev"
    assert main(["eval", str(run_dir / "config.yaml"), f"model.path={run_dir / 'final_model'}",
                 f"run.out_dir={out}", "eval.k=2", "eval.n=4", "log.progress=quiet", "train.resume=false"]) == 0
    printed = capsys.readouterr().out.splitlines()
    res = json.loads((out / "eval.json").read_text())["eval"]
    assert res["sampled"]["samples_per_item"] == 2 and "maj@2/source/held" in res["sampled"]
    head = next(i for i, line in enumerate(printed) if line.startswith("group "))
    assert printed[head].split() == ["group", "items", "greedy", "pass@1", "sampled", "pass@1", "sampled",
                                     "pass@2", "sampled", "maj@2"]
    assert printed[head + 2].split() == ["all", "4"] + [f"{v:.3f}" for v in (
        res["greedy"]["pass@1/mean"], res["sampled"]["pass@1/mean"], res["sampled"]["pass@2/mean"],
        res["sampled"]["maj@2/mean"])]
    assert [line.split()[0] for line in printed[head + 3:head + 6]] == ["source/held", "family/count",
                                                                       "difficulty/1"]


def find_image(shot: np.ndarray, image: np.ndarray, tol: float = 4.0) -> tuple[int, int] | None:
    """Top-left corner where `image` appears in `shot` (mean absolute difference ≤ tol), anchored on the image's
    most saturated pixel."""
    sat = image.max(2).astype(int) - image.min(2).astype(int)
    ay, ax = np.unravel_index(np.argmax(sat), sat.shape)
    h, w = image.shape[:2]
    ys, xs = np.nonzero(np.abs(shot.astype(int) - image[ay, ax].astype(int)).max(2) <= 6)
    for y, x in zip(ys, xs):
        oy, ox = y - ay, x - ax
        if oy < 0 or ox < 0 or oy + h > shot.shape[0] or ox + w > shot.shape[1]:
            continue
        if np.abs(shot[oy:oy + h, ox:ox + w].astype(int) - image.astype(int)).mean() <= tol:
            return int(oy), int(ox)
    return None


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium; .ci/run does)")
def test_report_opens_in_chromium_with_charts_and_a_rollout_image(run_dir, tmp_path):
    assert main(["report", str(run_dir)]) == 0
    html = (run_dir / "report.html").read_text()
    shot_path = tmp_path / "shot.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           "--force-device-scale-factor=1", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot_path}",
           "--window-size=1280,2600", (run_dir / "report.html").as_uri()]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert shot_path.is_file(), r.stderr[-2000:]
    shot = np.asarray(Image.open(shot_path).convert("RGB"))
    # the charts: lines in the first series colour, spread over several rows of charts
    blue = np.abs(shot.astype(int) - np.array(BLUE)).max(2) <= 10
    rows_with_lines = {y // 250 for y in np.nonzero(blue)[0]}
    assert blue.sum() > 1500 and len(rows_with_lines) >= 3, (int(blue.sum()), sorted(rows_with_lines))
    # the shown step's first rollout: its recorded image, drawn at the page's integer scale
    step = max(int(p.stem.split("_")[1]) for p in (run_dir / "rollouts").glob("step_*.jsonl"))
    first = json.loads((run_dir / "rollouts" / f"step_{step:06d}.jsonl").read_text().splitlines()[0])
    scale = int(html.split('data-scale="')[1].split('"')[0])
    with Image.open(run_dir / first["images"][0]) as im:
        image = np.asarray(im.convert("RGB").resize((im.width * scale, im.height * scale), Image.NEAREST))
    where = find_image(shot, image)
    assert where is not None, "the first rollout's image is not on the screenshot"
    assert where[0] > 800                                                     # below the charts, in the browser
    assert f"prompt <code>{first['prompt_id']}</code>" in html
