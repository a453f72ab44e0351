"""`mmreason doctor`: is this environment able to run mmreason? Each check says ok, warn or FAIL, and every failure
comes with its fix; the command exits non-zero when something needed is missing.

    packages      torch, torchvision (importable, and the release paired with torch), transformers, deepspeed;
                  vllm is optional (GPU rollouts)
    accelerator   CUDA devices (name, memory) or the CPU (cores); either is fine
    processor     the image processor mmreason needs: a given model's (`--model PATH`: AutoProcessor must bring an
                  image processor — transformers returns a bare tokenizer, or fails, without a working torchvision),
                  else the Qwen2-VL image processor the embedded model uses, run on a small image
    fonts         the TrueType fonts the data builders draw with (shipped inside matplotlib), loadable by Pillow
    disk          free space where runs are written (warn under 5 GiB, FAIL under 1 GiB)
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

REQUIRED = ("torch", "torchvision", "transformers", "deepspeed")
OPTIONAL = {"vllm": "optional: rollouts with vLLM on a GPU (pip install 'mmreason[vllm]')"}
GIB = 1024 ** 3
DISK_FAIL_GIB, DISK_WARN_GIB = 1.0, 5.0


@dataclass
class Check:
    name: str
    status: str          # ok | warn | fail
    detail: str
    fix: str = ""


def _first_line(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return f"{type(e).__name__}: {lines[0]}" if lines else type(e).__name__


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def torchvision_for(torch_version: str) -> str:
    """The torchvision release series paired with a torch release: torch 2.Y ↔ torchvision 0.(Y+15)."""
    major, minor = (int(p) for p in torch_version.split("+")[0].split(".")[:2])
    return f"0.{minor + 15}" if major == 2 else "the release listed for your torch at pytorch.org"


def check_package(name: str) -> Check:
    """Installed and importable (an installed torchvision built for another torch fails to import)."""
    version = _version(name)
    try:
        importlib.import_module(name)
    except Exception as e:  # noqa: BLE001 — any import failure is the finding
        fix = f"pip install {name}"
        if name == "torchvision" and _version("torch"):
            torch_v = _version("torch")
            fix = f"pip install 'torchvision=={torchvision_for(torch_v)}.*' (the release paired with torch {torch_v})"
        what = f"installed ({version}) but not importable" if version else "not installed"
        return Check(name, "fail", f"{what}: {_first_line(e)}", fix)
    return Check(name, "ok", version or "importable (no version metadata)")


def check_packages() -> list[Check]:
    out = [check_package(n) for n in REQUIRED]
    torch_v, tv_v = _version("torch"), _version("torchvision")
    if torch_v and tv_v and all(c.status == "ok" for c in out[:2]):
        want = torchvision_for(torch_v)
        if not tv_v.startswith(want + "."):
            out[1] = Check("torchvision", "warn", f"{tv_v} with torch {torch_v} (paired release: {want}.*)",
                           f"pip install 'torchvision=={want}.*'")
    for name, why in OPTIONAL.items():
        v = _version(name)
        out.append(Check(name, "ok", v) if v else Check(name, "warn", f"not installed — {why}"))
    return out


def check_accelerator() -> Check:
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        return Check("accelerator", "fail", f"torch unavailable: {_first_line(e)}", "pip install torch")
    if torch.cuda.is_available():
        devs = [torch.cuda.get_device_properties(i) for i in range(torch.cuda.device_count())]
        names = ", ".join(f"{d.name} ({d.total_memory / GIB:.0f} GiB)" for d in devs)
        return Check("accelerator", "ok", f"CUDA {torch.version.cuda}: {len(devs)} × {names}")
    return Check("accelerator", "ok", f"CPU only ({os.cpu_count()} cores); run.device=cpu, rollout.engine=hf")


def check_processor(model: str | None = None) -> Check:
    """A given model's processor (AutoProcessor), or the Qwen2-VL image processor on a 56×56 image."""
    fix = ("install a torchvision that imports with your torch (mmreason doctor's torchvision line says which); "
           "transformers builds Qwen2-VL processors only with it")
    try:
        if model:
            from transformers import AutoProcessor

            proc = AutoProcessor.from_pretrained(model)
            ip = getattr(proc, "image_processor", None)
            if ip is None:
                return Check("processor", "fail", f"{model}: the processor has no image processor (got "
                             f"{type(proc).__name__})", fix + "; or give a model directory with processor_config.json"
                             " / preprocessor_config.json")
            return Check("processor", "ok", f"{model}: {type(proc).__name__} with {type(ip).__name__}")
        from PIL import Image
        from transformers import Qwen2VLImageProcessor

        out = Qwen2VLImageProcessor(min_pixels=56 * 56, max_pixels=56 * 56)(images=[Image.new("RGB", (56, 56))])
        return Check("processor", "ok", f"Qwen2VLImageProcessor: grid {out['image_grid_thw'].tolist()[0]} "
                     "(pass --model PATH to check a model's own processor)")
    except Exception as e:  # noqa: BLE001 — whatever breaks the processor is the finding
        where = f"{model}: " if model else "Qwen2VLImageProcessor: "
        return Check("processor", "fail", where + _first_line(e), fix)


def check_fonts() -> Check:
    try:
        from PIL import ImageFont, features

        from data_builders import fonts
    except Exception as e:  # noqa: BLE001
        return Check("fonts", "fail", _first_line(e), "pip install matplotlib pillow")
    if not features.check("freetype2"):
        return Check("fonts", "fail", "Pillow was built without FreeType (no TrueType text)",
                     "pip install --force-reinstall pillow")
    missing = []
    for name in fonts.ALL:
        try:
            ImageFont.truetype(fonts.font_path(name), 12)
        except Exception:  # noqa: BLE001
            missing.append(name)
    if missing:
        return Check("fonts", "fail", f"missing or unreadable in {fonts.font_dir()}: {', '.join(missing)}",
                     "pip install --force-reinstall matplotlib (the builders use the fonts it ships)")
    return Check("fonts", "ok", f"{len(fonts.ALL)} fonts in {fonts.font_dir()}")


def check_disk(path: str | os.PathLike = ".") -> Check:
    p = Path(path).resolve()
    while not p.exists():
        p = p.parent
    free = shutil.disk_usage(p).free / GIB
    detail = f"{free:.1f} GiB free at {p}"
    if free < DISK_FAIL_GIB:
        return Check("disk", "fail", detail, "free some space, or point run.out_dir at a larger disk")
    if free < DISK_WARN_GIB:
        return Check("disk", "warn", detail + " (checkpoints of real models need tens of GiB)",
                     "free some space, or point run.out_dir at a larger disk")
    return Check("disk", "ok", detail)


def run_checks(model: str | None = None, disk_path: str | os.PathLike = ".") -> list[Check]:
    return [*check_packages(), check_accelerator(), check_processor(model), check_fonts(), check_disk(disk_path)]


def render(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = []
    for c in checks:
        mark = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}[c.status]
        lines.append(f"{mark}  {c.name.ljust(width)}  {c.detail}")
        if c.fix and c.status != "ok":
            lines.append(f"{' ' * (8 + width)}fix: {c.fix}")
    failed = [c.name for c in checks if c.status == "fail"]
    lines.append(f"{len(failed)} problem(s): {', '.join(failed)}" if failed else "everything mmreason needs is here")
    return "\n".join(lines)
