"""`mmreason show-samples`: the real command on a config with a builder-layout source and a text source."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from mmreason.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def config(tmp_path):
    puz = tmp_path / "puz"
    (puz / "images").mkdir(parents=True)
    rows = []
    for i in range(3):
        Image.new("RGB", (32, 32), (40 * i, 0, 0)).save(puz / "images" / f"p{i}.png")
        rows.append({"id": f"p{i}", "kind": "puzzles", "family": "count", "split": "train", "difficulty": i + 1,
                     "images": [f"images/p{i}.png"], "question": f"How many dots? ({i})", "answer": str(i),
                     "answer_type": "int", "verifier": "integer", "options": None, "reasoning": f"I see {i}.",
                     "state_hash": f"h{i}", "generator_version": "1", "config_hash": "c", "meta": {}})
    (puz / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (puz / "manifest.json").write_text("{}")
    (tmp_path / "gsm.jsonl").write_text(json.dumps({"question": "What is 1+1?", "answer": "1+1=2\n#### 2"}) + "\n")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"""run: {{out_dir: '{tmp_path / "run"}'}}
prompt: {{system_prompt: "You are a careful solver."}}
data:
  train:
    - {{name: puz, adapter: puzzles, path: '{puz}'}}
    - {{name: gsm, adapter: text_math, path: '{tmp_path / "gsm.jsonl"}', weight: 0.5}}
""")
    return cfg


def run_cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "mmreason", "show-samples", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_show_samples_renders_prompts_images_and_gold(config, tmp_path):
    out = tmp_path / "shown"
    r = run_cli(str(config), "prompt.template=r1", "--n", "3", "--source", "puz", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert text.count("=== sample ") == 3 and "=== sample 1/3: puz/p" in text
    assert "source: puz   verifier: integer   difficulty: " in text
    assert "<|im_start|>system\nYou are a careful solver.<|im_end|>" in text
    assert "<|vision_start|><|image_pad|><|vision_end|>How many dots?" in text
    assert "<think> </think>" in text and "<|im_start|>assistant\n--- gold answer: " in text
    assert "image tokens)" in text and "--- reference reasoning: I see" in text
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 3 and Image.open(pngs[0]).size == (32, 32)
    assert str(pngs[0]) in text
    assert (tmp_path / "run" / "init_model" / "config.json").is_file()  # the tiny model was built in the run dir


def test_show_samples_mixture_without_out_lists_paths(config, tmp_path):
    r = run_cli(str(config), "--n", "6", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "source: gsm   verifier: math   difficulty: -" in r.stdout and "--- gold answer: 2" in r.stdout
    assert str(tmp_path / "puz" / "images") in r.stdout


def test_show_samples_errors_are_one_line(config, capsys):
    assert main(["show-samples", str(config), "--source", "pzu"]) == 2
    assert "did you mean 'puz'" in capsys.readouterr().err
    assert main(["show-samples", str(config), "--eval"]) == 2
    assert "data.eval has no sources" in capsys.readouterr().err
