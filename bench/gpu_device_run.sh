#!/usr/bin/env bash
# bench/gpu_grpo_step.py on a GPU machine with no package registry: install the carried wheels, record the
# versions, run both configurations (torch backend, DeepSpeed ZeRO-2 on one rank), write the figures to $OUT.
#
#   here, once:   bash bench/gpu_wheels.sh                          # .gpu_wheels/ (git-ignored, ~6.4 MB)
#   there:        bash bench/gpu_device_run.sh [extra gpu_grpo_step.py flags]
#                 (with this workplace's device tool: command "bash bench/gpu_device_run.sh", carry [".gpu_wheels"],
#                  timeout_s 600; the line below is also the whole command, < 2,000 characters, if pasted)
#
# $OUT gets gpu_grpo_step.json (the figures; rewritten after each configuration), stdout.log, env.txt (GPU, Python
# and package versions) and torch.log / zero2.log (each configuration's process). The bench is sized to end in
# under 8 minutes on one H200 with start-up; `timeout 560` keeps the whole command inside a 600 s call.
set -o pipefail; export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"; python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu_wheels/*.whl || exit 3; export PYTHONPATH=/tmp/site:$PWD; { nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv; python3 -c "import sys, torch, transformers, deepspeed, omegaconf, math_verify; print(sys.version); print('torch', torch.__version__, 'cuda', torch.version.cuda, 'transformers', transformers.__version__, 'deepspeed', deepspeed.__version__)"; } > "$OUT/env.txt" 2>&1; timeout 560 python3 bench/gpu_grpo_step.py --out-dir /tmp/gg --json-out "$OUT/gpu_grpo_step.json" "$@" 2>&1 | tee "$OUT/stdout.log"; rc=$?; cp /tmp/gg/torch.log /tmp/gg/zero2.log "$OUT/" 2>/dev/null; exit $rc
