"""Rollout recording and `mmreason report`: the recorded files, the report's views on fixed rollouts, and the report
of a real short run opened in headless Chromium (screenshot checked for the charts and a rollout's image)."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from PIL import Image

from mmreason.cli import main
from mmreason.report import ReportError, build_report
from mmreason.report.data import choose_steps, load_run
from mmreason.report.rollouts import longest, reward_without_accuracy, split_answer
from mmreason.rewards import RewardBreakdown
from mmreason.stages.rollout_log import RolloutRecorder
from mmreason.trainer.scored import ScoredGroups
from mmreason.types import Completion, ImagePart, Sample, user

RED = Image.new("RGB", (8, 6), (200, 30, 30))
BLUE = Image.new("RGB", (8, 6), (30, 30, 200))


def scored_groups() -> ScoredGroups:
    """Three groups of G=2: group 0 and 2 share the red image."""
    images = [RED, BLUE, RED]
    samples = [Sample(id=f"p{i}", messages=[user(ImagePart(), f"How many? {i}")], images=[images[i]], answer=str(i),
                      verifier="integer", difficulty=1 + i, source="count", meta={"family": "count"})
               for i in range(3)]
    prompts = [SimpleNamespace(text=f"<|im_start|>user How many? {i}", images=[images[i]]) for i in range(3)]
    texts = [["<think>one</think><answer>0</answer>", "<think>long long</think><answer>7</answer>"],
             ["<answer>1</answer>", "no tags at all"], ["<think>x</think><answer>2</answer>", "<think>cut"]]
    completions = [[Completion(list(range(3 + 5 * g + p)), t, None, "length" if t == "<think>cut" else "stop")
                    for g, t in enumerate(ts)] for p, ts in enumerate(texts)]
    acc = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    fmt = torch.tensor([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    breakdowns = [[RewardBreakdown(float(acc[p, g] + 0.5 * fmt[p, g]), float(acc[p, g]), float(fmt[p, g]),
                                   "no_answer" if texts[p][g] in ("no tags at all", "<think>cut") else None,
                                   None if texts[p][g] in ("no tags at all", "<think>cut") else texts[p][g][-10])
                   for g in range(2)] for p in range(3)]
    shaping = torch.tensor([[0.0, -0.25], [0.0, 0.0], [0.0, 0.0]])
    rewards = torch.tensor([[b.reward for b in bs] for bs in breakdowns]) + shaping
    lengths = torch.tensor([[float(len(c.token_ids)) for c in cs] for cs in completions])
    return ScoredGroups(samples, prompts, completions, breakdowns, rewards, acc, shaping, lengths)


def test_recorder_writes_chosen_steps_bounded_with_images_once(tmp_path):
    rec = RolloutRecorder(tmp_path, every=2, max_groups=3)
    scored = scored_groups()
    written = [rec.record(step, scored) for step in (1, 2, 3, 4)]
    assert [p.name if p else None for p in written] == ["step_000001.jsonl", "step_000002.jsonl", None,
                                                        "step_000004.jsonl"]   # step 1, then every 2nd
    assert len(list((tmp_path / "rollouts" / "images").iterdir())) == 2           # red and blue, each once
    groups = [json.loads(line) for line in (tmp_path / "rollouts" / "step_000002.jsonl").read_text().splitlines()]
    assert len(groups) == 3 and groups[0]["images"] == groups[2]["images"] != groups[1]["images"]
    g = groups[0]
    assert {k: g[k] for k in ("step", "prompt_id", "source", "family", "difficulty", "gold", "verifier")} == {
        "step": 2, "prompt_id": "p0", "source": "count", "family": "count", "difficulty": 1, "gold": "0",
        "verifier": "integer"}
    assert g["prompt"] == "<|im_start|>user How many? 0"
    assert g["completions"][1] == {"text": "<think>long long</think><answer>7</answer>", "reward": 0.25,
                                   "accuracy": 0.0, "format": 1.0, "shaping": -0.25, "extracted": "7", "error": None,
                                   "length": 8, "finish_reason": "stop"}
    with Image.open(tmp_path / g["images"][0]) as im:
        assert im.getpixel((0, 0)) == (200, 30, 30)
    assert len(RolloutRecorder(tmp_path / "b", every=1, max_groups=1).record(1, scored).read_text().splitlines()) == 1
    assert RolloutRecorder(tmp_path / "c", every=0, max_groups=4).record(1, scored) is None    # 0 = off


def test_split_answer_reads_reasoning_and_answer_blocks():
    assert split_answer("<think>a</think> <answer> 3 </answer>") == ("a", "3")
    assert split_answer("count them <answer>3</answer>") == ("count them", "3")
    assert split_answer("<r>b</r><ans>4</ans>", "r", "ans") == ("b", "4")
    assert split_answer("no tags") == (None, None)


def synthetic_run(run: Path) -> Path:
    rec = RolloutRecorder(run, every=1, max_groups=3)
    rec.record(1, scored_groups())
    rec.record(2, scored_groups())
    (run / "config.yaml").write_text("reward: {accuracy_weight: 1.0, format_weight: 0.5}\nalgorithm: {kl_beta: 0.0}\n")
    rows = [{"phase": "rl", "step": s, "reward/mean": 0.5 * s, "accuracy/mean": 0.25 * s, "entropy": 1.0 / s,
             "response_length/mean": 10.0 + s, "clip_frac": 0.01 * s, "time/step": 1.0, "time/rollout": 0.5}
            for s in (1, 2, 3)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    held = {"initial": {"greedy": {"accuracy/mean": 0.125}}, "rl": {"greedy": {"accuracy/mean": 0.625},
                                                                      "sampled": {"accuracy/mean": 0.5,
                                                                                  "pass@4/mean": 0.75}}}
    (run / "summary.json").write_text(json.dumps({"heldout": held, "wall_time_s": 12.5}))
    return run


def test_views_pick_the_longest_and_the_rewarded_wrong_completions(tmp_path):
    data = load_run(synthetic_run(tmp_path))
    assert [(g["prompt_id"], i) for g, _, i in longest(data.rollouts, 3)] == [("p2", 1), ("p2", 1), ("p1", 1)]
    hacks = reward_without_accuracy(data.rollouts)
    # wrong but rewarded: p2 #1 (format 0 → reward 0 is excluded), p0 #1 (format 0.5 − shaping 0.25 = 0.25)
    assert [(g["step"], g["prompt_id"], i, c["reward"]) for g, c, i in hacks] == [(1, "p0", 1, 0.25),
                                                                                  (2, "p0", 1, 0.25)]


def test_report_html_is_self_contained_with_charts_tables_and_views(tmp_path):
    out = build_report(synthetic_run(tmp_path / "run"), tmp_path / "r.html")
    html = out.read_text()
    assert html.count('<svg class="chart"') == 8 and "http://" not in html.replace("http://www.w3.org", "")
    assert "<script src" not in html and "<link" not in html                       # nothing fetched
    # images: 3 groups × 2 steps, then each of the 12 completions (all among the 20 longest), 2 rewarded-wrong
    assert html.count("data:image/png;base64,") == 3 * 2 + 12 + 2
    assert "no KL recorded (algorithm.kl_beta = 0)" in html                         # an empty chart says why
    assert 'class="comp wrong truncated"' in html and 'class="comp correct"' in html   # what the filters act on
    assert "accuracy 1×0.00 + format 0.5×1.00 + shaping -0.25 = <b>0.250</b>" in html
    assert html.index("<td>initial</td>") < html.index("<td>rl</td>") and "<td>0.750</td>" in html
    assert '<option value="2" selected>step 2</option>' in html


def test_report_steps_and_errors_name_what_is_wrong(tmp_path, capsys):
    assert choose_steps(list(range(10, 210, 10)), None, 5) == [10, 60, 110, 150, 200]
    with pytest.raises(ReportError, match=r"no rollouts recorded at step\(s\) 3; recorded: 1, 2"):
        build_report(synthetic_run(tmp_path / "run"), steps=[2, 3])
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert f"error: run directory not found: {tmp_path / 'nope'}" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "nothing to report" in capsys.readouterr().err


def test_a_report_during_training_skips_a_half_written_line_but_names_a_corrupt_one(tmp_path):
    run = synthetic_run(tmp_path / "run")
    with open(run / "metrics.jsonl", "a") as f:
        f.write('{"phase": "rl", "step": 4, "rew')                 # the trainer is writing step 4
    assert [r["step"] for r in load_run(run).rl] == [1, 2, 3]
    (run / "metrics.jsonl").write_text('{"phase": "rl", "step": 1}\nnot json\n{"phase": "rl", "step": 2}\n')
    with pytest.raises(ReportError, match=r"metrics\.jsonl: line 2 is not JSON"):
        load_run(run)
