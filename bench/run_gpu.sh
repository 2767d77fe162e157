#!/usr/bin/env bash
# Every GPU benchmark in one short window on a CUDA machine that has no network.
#
# On a machine WITH network, prepare the wheelhouse once (same Python 3.11, Linux x86_64):
#     pip download -d wheelhouse 'torch==2.13.0' -e '.[dev]'     # a CUDA build of torch
# then copy the checkout with wheelhouse/ to the GPU machine and run:
#     bash bench/run_gpu.sh wheelhouse            # about 6-8 minutes on an H100 / H200
#
# It installs into .venv-gpu from the wheelhouse only (--no-index), checks that CUDA is
# visible, and runs: LoRA training step time and peak memory (bench/gpu_train.py), 50-step
# Wan 1.3B generation stock vs optimised (bench/gpu_generate.py), and curation throughput with
# TransNetV2 on CUDA (bench/curate_throughput.py --quick). Each prints JSON into bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
wheels=${1:?usage: bench/run_gpu.sh WHEELHOUSE_DIR}
py=${PYTHON:-python3.11}
out=bench/out
mkdir -p "$out"
if [ ! -x .venv-gpu/bin/python ]; then
  "$py" -m venv .venv-gpu
  .venv-gpu/bin/pip install --quiet --no-index --find-links "$wheels" torch
  .venv-gpu/bin/pip install --quiet --no-index --find-links "$wheels" -e '.[dev]'
fi
.venv-gpu/bin/python -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "no CUDA device visible")'
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
run() {  # name, timeout in seconds, command...
  local name=$1 limit=$2; shift 2
  echo "== $name (at most ${limit} s)"
  timeout "$limit" "$@" | tee "$out/$name.json" || echo "$name: failed or timed out (exit $?)"
}
run gpu_train 200 .venv-gpu/bin/python bench/gpu_train.py
run gpu_generate 200 .venv-gpu/bin/python bench/gpu_generate.py
run curate_gpu 120 .venv-gpu/bin/python bench/curate_throughput.py --quick --repeat 1 --json
