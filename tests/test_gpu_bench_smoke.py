"""bench/gpu_grpo_step.py in its CPU smoke mode: a narrow 1-layer model, one GRPO step per configuration (the
one-process torch backend, and DeepSpeed ZeRO-2 on one rank under torchrun), through the real trainer. The GPU
run itself needs a GPU; this keeps the script, its config overrides and its JSON working where CI runs."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ["--device", "cpu", "--layers", "1", "--vision-depth", "1", "--narrow", "--image-px", "112",
         "--prompts", "2", "--group-size", "2", "--max-new-tokens", "4", "--steps", "1", "--warmup", "0"]


def positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def test_cpu_smoke_reports_positive_finite_figures(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_grpo_step.py"), *SMOKE,
                        "--out-dir", str(tmp_path / "work"), "--json-out", str(tmp_path / "out.json")],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out == json.loads((tmp_path / "out.json").read_text())
    assert out["bench"] == "grpo_step_gpu" and out["device"] == "cpu"
    assert out["versions"]["torch"] and out["versions"]["transformers"]
    for name, zero in (("torch", False), ("zero2", True)):
        res = out[name]
        assert "error" not in res, res
        assert res["deepspeed"] is zero and res["world_size"] == 1
        for key in ("s_per_step", "generated_tokens_per_s", "update_tokens_per_s", "peak_memory_gib"):
            assert positive(res[key]), (name, key, res[key])
        for phase in ("rollout", "update"):
            assert positive(res["phase_s"][phase]), (name, phase)
            assert positive(res["mfu"][phase]) and res["mfu"][phase] < 1, (name, phase)
            assert positive(res["achieved_tflops_per_s"][phase]), (name, phase)
        assert positive(res["mfu"]["step"])
        tokens = res["tokens_per_step"]
        assert tokens["rows"] == 4 and tokens["generated_tokens"] <= 4 * 4
        assert tokens["update_tokens"] == tokens["prompt_tokens"] + tokens["generated_tokens"]
        assert tokens["vision_patches"] == 4 * (112 // 14) ** 2  # one 112 px image per row
        assert all(positive(res["params"][k]) for k in ("text", "vision", "merger"))


def test_device_run_is_one_command_line_under_2000_characters():
    lines = [line for line in (ROOT / "bench" / "gpu_device_run.sh").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert len(lines) == 1 and len(lines[0]) < 2000 and "gpu_grpo_step.py" in lines[0]
