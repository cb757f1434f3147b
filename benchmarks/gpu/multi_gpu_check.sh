#!/usr/bin/env bash
# Multi-GPU proof for `python -m train`: the same command on 1 and 2 GPUs (accelerate launch,
# DDP over NCCL), same effective batch; prints each run's layout line and throughput.
#   bash benchmarks/gpu/multi_gpu_check.sh OUT_DIR [STEPS]
set -euo pipefail
OUT_DIR=${1:?output folder}
STEPS=${2:-60}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name --format=csv,noheader
ARGS=(--from-scratch small --max-steps "$STEPS" --batch-size 128 --per-device-batch-size 32 --max-seq-len 3072
      --eval-steps 0 --sample-eval-steps 0 --save-steps 0 --logging-steps 20 --num-workers 7)
for n in 1 2; do
  if [ "$n" = 1 ]; then launcher=(python3 -m train); else launcher=(accelerate launch --multi_gpu --num_processes 2 -m train); fi
  "${launcher[@]}" --output-dir "/tmp/ddp$n" "${ARGS[@]}" > "$OUT_DIR/gpus$n.log" 2>&1 || { tail -30 "$OUT_DIR/gpus$n.log"; exit 1; }
  echo "== $n GPU(s)"; grep -h "samples per step" "$OUT_DIR/gpus$n.log" | head -1
  tail -3 "/tmp/ddp$n/metrics.csv"
done
