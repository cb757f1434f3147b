#!/usr/bin/env bash
# Training throughput on the GPU (issue 4): Liger's kernels and the fast adapter forward checked
# against the model's own code and PEFT's, then benchmarks/train_throughput.py (naive baseline and
# ours in one process, each configuration at its own batch size) with a kernel profile of each.
#   bash benchmarks/gpu/train_throughput.sh OUT_DIR [MODES]
# Env: TESTS=0 skips the tests, CONFIG_SECONDS (150) limits each configuration (compilation included).
# Wheels the device image lacks (liger-kernel, pydantic, ...) are installed from .whl/.
set -euo pipefail
OUT_DIR=${1:?output folder}
MODES=${2:-naive-dora@32,naive-dora@48,dora-bf16@32,dora-bf16@64,dora-compile@32,full-bf16-liger-padding-free-flex@64,full-bf16-liger-padding-free-flex@128,full-bf16-liger-padding-free-flex@256,full-bf16-liger-compile-padding-free-flex@128,dora-compile@64}
mkdir -p "$OUT_DIR"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT_DIR/gpu.txt"
if [ "${TESTS:-1}" = 1 ]; then
  # a failure is reported, not fatal: the other rows still measure (the rows a failing test covers mean little)
  python3 -m pytest -q -p no:cacheprovider tests/test_liger_kernels.py tests/test_fast_adapter.py 2>&1 | tail -15 | tee "$OUT_DIR/tests.txt" \
    || echo "tests FAILED: do not trust the rows they cover"
fi
python3 benchmarks/train_throughput.py --size qwen0.5b --steps 20 --seq-len 512 --modes "$MODES" \
  --profile "$OUT_DIR/profiles" --config-seconds "${CONFIG_SECONDS:-150}" 2>&1 | tee "$OUT_DIR/throughput.txt"
