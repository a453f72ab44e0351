#!/usr/bin/env bash
# Wheels of the project's runtime dependencies that the GPU machine lacks, for an offline install there.
#
#   bash bench/gpu_wheels.sh [DEST]            # DEST defaults to .gpu_wheels/ (git-ignored); needs network here
#
# The GPU machine (x86-64 Linux, CPython 3.12, no package registry) already has torch 2.11, torchvision 0.26,
# transformers 5.17, tokenizers, safetensors, peft, accelerate, pillow, numpy, pyarrow, pyyaml, rich, mpmath,
# matplotlib, tensorboard, sympy, psutil, ninja, msgpack, py-cpuinfo, einops, nvidia-ml-py, pandas, xxhash ...
# (the image's package list is ON_DEVICE below). Carried here, pinned to the versions this project is tested with:
#   config      omegaconf
#   rewards     math-verify, latex2sympy2_extended, antlr4-python3-runtime
#   deepspeed   deepspeed (PyPI has only an sdist: built here into a pure-Python wheel with DS_BUILD_OPS=0, so no
#               op is compiled; DeepSpeed JIT-compiles an op only if one is used, and ZeRO-2 with the torch AdamW
#               optimizer mmreason passes it uses none), hjson, pydantic, pydantic-core, annotated-types,
#               typing-inspection, typing-extensions (the image has one, of a version not recorded; pydantic
#               needs >= 4.16, and the carried one, first on PYTHONPATH, is the newest the project runs with)
#   data        datasets, dill, multiprocess (only imported to read Hugging Face datasets), qwen-vl-utils (declared,
#               not imported; its dependency `av`, a ~40 MB video decoder, is left out: images need it nowhere)
# Every Requires-Dist of every carried wheel is checked to be carried or on the machine. Then it prints the
# install command to run there (no index, no dependency resolution: the machine's own torch/transformers stay).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${1:-.gpu_wheels}
PY=${PYTHON:-.venv/bin/python}
PKGS=(omegaconf==2.4.0 math-verify==0.9.0 latex2sympy2_extended==1.11.0 antlr4-python3-runtime==4.13.2
      hjson==3.1.0 pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5
      typing-extensions==4.16.0
      datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 qwen-vl-utils==0.0.14)
DEEPSPEED=deepspeed==0.19.8
PLATFORM=(--python-version 3.12 --implementation cp --abi cp312 --abi abi3 --abi none
          --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
          --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform any)
ON_DEVICE="absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs botorch build
certifi charset-normalizer chex click cloudpickle cmake colorama contourpy coverage cuda-bindings cuda-core
cuda-pathfinder cuda-toolkit cupy-cuda13x cycler cython diffrax e3nn einops equinox etils execnet filelock
flatbuffers flax fonttools formulaic frozenlist fsspec gpytorch grpcio h11 h5py hf-xet httpcore httpx
huggingface-hub humanize hypothesis idna imageio iniconfig interface-meta jax jaxlib jaxtyping jinja2 joblib
kiwisolver lazy-loader lightning lightning-utilities linear-operator lineax llvmlite lxml markdown markdown-it-py
markupsafe matplotlib mdurl meson ml-dtypes mpi4py mpmath msgpack multidict multipledispatch mypy-extensions
nanobind narwhals networkx ninja numba numba-cuda numpy numpyro nvidia-ml-py onnx onnxruntime opencv-python-headless
optax opt-einsum orbax-checkpoint packaging pandas pathspec patsy peft pillow pip pluggy portalocker
prometheus-client propcache protobuf psutil pyarrow pybind11 py-cpuinfo pygments pyparsing pyproject-hooks
pytest python-dateutil pytorch-lightning pyyaml regex requests rich sacrebleu safetensors scikit-build-core
scikit-image scikit-learn scipy seaborn sentencepiece setuptools shellingham simplejson six sortedcontainers
statsmodels sympy tabulate tensorboard tensorboard-data-server tensorstore threadpoolctl tifffile tiktoken timm
tokenizers toolz torch torchaudio torchvision tqdm transformers treescope triton typer typing-extensions
typing-inspect urllib3 uvloop wadler-lindig werkzeug wheel wrapt xarray xxhash yarl zipp"

rm -rf "$DEST"
mkdir -p "$DEST"
"$PY" -m pip download -q --no-deps --only-binary=:all: "${PLATFORM[@]}" -d "$DEST" "${PKGS[@]}"
SDIST=$(mktemp -d)
"$PY" -m pip download -q --no-deps --no-binary=:all: -d "$SDIST" "$DEEPSPEED"
echo "deepspeed from PyPI: $(ls "$SDIST")"
DS_BUILD_OPS=0 "$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$DEST" "$SDIST"/deepspeed-*.tar.gz
rm -rf "$SDIST"

ON_DEVICE="$ON_DEVICE" "$PY" - "$DEST" <<'EOF'
import os, re, sys, zipfile
from pathlib import Path
from packaging.markers import default_environment
from packaging.requirements import Requirement

norm = lambda s: re.sub(r"[-_.]+", "-", s).lower()
env = {**default_environment(), "python_version": "3.12", "python_full_version": "3.12.3", "sys_platform": "linux",
       "platform_system": "Linux", "platform_machine": "x86_64", "implementation_name": "cpython", "extra": ""}
left_out = {("qwen-vl-utils", "av")}  # on purpose: video decoding (see the header)
wheels = sorted(Path(sys.argv[1]).glob("*.whl"))
carried = {norm(w.name.split("-")[0]) for w in wheels}
have = carried | {norm(n) for n in os.environ["ON_DEVICE"].split()}
missing = []
for w in wheels:
    z = zipfile.ZipFile(w)
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    for line in z.read(meta).decode().splitlines():
        if line.startswith("Requires-Dist:"):
            req = Requirement(line.split(":", 1)[1].strip())
            name, owner = norm(req.name), norm(w.name.split("-")[0])
            if (req.marker is None or req.marker.evaluate(env)) and name not in have and (owner, name) not in left_out:
                missing.append(f"{w.name}: {req}")
if missing:
    sys.exit("not carried and not on the GPU machine:\n  " + "\n  ".join(missing))
print(f"{len(wheels)} wheels; every requirement is carried or on the machine (left out: {sorted(left_out)})")
EOF
du -sh "$DEST"
echo "install there, from the repository root (no index, no dependency resolution; the image stays as it is):"
echo "  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site $DEST/*.whl && export PYTHONPATH=/tmp/site:\$PWD"
echo "the bench runs from the checkout; to install mmreason itself as well (its pins ask transformers>=5.19, hence --no-deps):"
echo "  python3 -m pip install -q --no-index --no-deps --no-build-isolation --find-links $DEST -e ."
