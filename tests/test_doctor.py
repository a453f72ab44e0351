"""`mmreason doctor`: a healthy environment passes; a broken one (a processor without an image processor, torchvision
missing) fails with exit code 1 and the fix."""

import json
import shutil
import subprocess
import sys
from collections import namedtuple

import pytest

from mmreason import doctor
from mmreason.cli import main

# what a missing torchvision looks like to Python and to transformers (find_spec is how it checks)
HIDE_TORCHVISION = """
import importlib.abc, importlib.util, sys
_find_spec = importlib.util.find_spec
def find_spec(name, package=None):
    return None if name.split(".")[0] == "torchvision" else _find_spec(name, package)
importlib.util.find_spec = find_spec
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torchvision":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Hide())
from mmreason.cli import main
sys.exit(main(["doctor", "--model", sys.argv[1]]))
"""


@pytest.fixture()
def tokenizer_only_dir(tiny_model_dir, tmp_path):
    """A model directory whose processor is a bare tokenizer: no processor config, no processor class."""
    out = tmp_path / "tokenizer_only"
    out.mkdir()
    for name in ("tokenizer.json", "chat_template.jinja"):
        shutil.copy(f"{tiny_model_dir}/{name}", out / name)
    cfg = json.loads(open(f"{tiny_model_dir}/tokenizer_config.json").read())
    cfg.pop("processor_class", None)
    (out / "tokenizer_config.json").write_text(json.dumps(cfg))
    return str(out)


def test_torchvision_release_paired_with_torch():
    assert doctor.torchvision_for("2.14.1") == "0.29" and doctor.torchvision_for("2.6.0+cu124") == "0.21"


def test_a_processor_without_image_processor_fails_with_the_fix(tokenizer_only_dir, tiny_model_dir):
    bad = doctor.check_processor(tokenizer_only_dir)
    assert bad.status == "fail" and "the processor has no image processor (got " in bad.detail
    assert "torchvision" in bad.fix
    good = doctor.check_processor(tiny_model_dir)
    assert good.status == "ok" and "Qwen2_5_VLProcessor with Qwen2VLImageProcessor" in good.detail


def test_disk_thresholds(monkeypatch, tmp_path):
    usage = namedtuple("usage", "total used free")
    for free_gib, status in ((0.5, "fail"), (3.0, "warn"), (50.0, "ok")):
        monkeypatch.setattr(doctor.shutil, "disk_usage", lambda p, f=free_gib: usage(0, 0, int(f * doctor.GIB)))
        check = doctor.check_disk(tmp_path / "not" / "yet")        # a run dir that does not exist yet
        assert check.status == status and f"{free_gib:.1f} GiB free at {tmp_path}" in check.detail


def test_doctor_passes_here_and_fails_on_a_broken_model(capsys, tokenizer_only_dir):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("torch", "torchvision", "transformers", "deepspeed", "vllm", "accelerator", "processor", "fonts",
                 "disk"):
        assert any(line.split()[1:2] == [name] for line in out.splitlines()), name
    assert out.rstrip().endswith("everything mmreason needs is here")
    assert main(["doctor", "--model", tokenizer_only_dir]) == 1
    out = capsys.readouterr().out
    assert "FAIL  processor" in out and "fix: install a torchvision" in out
    assert out.rstrip().endswith("1 problem(s): processor")


def test_doctor_without_torchvision_names_the_fix(tiny_model_dir):
    from importlib.metadata import version

    r = subprocess.run([sys.executable, "-c", HIDE_TORCHVISION, tiny_model_dir], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr[-2000:]
    torch_version = version("torch")
    want = doctor.torchvision_for(torch_version)
    assert "FAIL  torchvision" in r.stdout and "No module named 'torchvision'" in r.stdout
    assert f"fix: pip install 'torchvision=={want}.*' (the release paired with torch {torch_version})" in r.stdout
    assert "FAIL  processor" in r.stdout and "2 problem(s): torchvision, processor" in r.stdout
