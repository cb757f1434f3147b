#!/usr/bin/env bash
# The 20-task dry run on the GPU (issue 9): the 12 toy tasks and the first 8 ARC-AGI-1 evaluation
# tasks inside a fixed budget, as the CPU row of BENCHMARKS.md ran it; checks it ended inside the
# budget and keeps its report, the GPU utilisation trace and the wall time.
#   bash benchmarks/gpu/dry_run.sh OUT_DIR [BUDGET] [extra dry-run flags...]
# BUDGET defaults to 9m: a device call lasts 10 minutes at most. The 15-minute run spans
# two calls: the first starts this script detached (`setsid bash benchmarks/gpu/dry_run.sh
# /root/dry15 15m ... &`, which the device keeps running until the machine goes back), the next
# call, made at once, waits for /root/dry15/wall.txt and copies the folder to $OUT. Uses vLLM when it imports (run it right after vllm_session.sh, while the
# machine is still warm and /root/site holds vLLM), else the transformers sampler.
# Extra flags come after the budget, e.g. two workers on the one GPU: dry_run.sh OUT 9m --workers 2
set -uo pipefail
OUT_DIR=${1:?output folder}
BUDGET=${2:-9m}
shift $(( $# < 2 ? $# : 2 ))
mkdir -p "$OUT_DIR"
# The wheels may already be installed by a script started beside this one (two installs into one
# folder at once can clash).
flock /tmp/site.lock sh -c '[ -d /tmp/site/pydantic ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl'
export PYTHONPATH=/root/site:/tmp/site:$PWD PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
export VLLM_USE_FLASHINFER_SAMPLER=0 VLLM_WORKER_MULTIPROC_METHOD=spawn VLLM_LOGGING_LEVEL=WARNING
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT_DIR/gpu.txt"
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 > "$OUT_DIR/gpu_trace.csv" &
trace=$!
started=$(date +%s)
python3 -m solver dry-run --dataset toy --dataset arc-agi-1/evaluation --limit 20 --time-budget "$BUDGET" \
  --sampling 4@0.1,28@0.9 --max-new-tokens 400 --quiet --output-dir "$OUT_DIR/dry" "$@" > "$OUT_DIR/dry_run.log" 2>&1
status=$?
wall=$(( $(date +%s) - started ))
kill $trace 2>/dev/null
echo "exit $status, wall ${wall}s, budget $BUDGET" | tee "$OUT_DIR/wall.txt"
tail -25 "$OUT_DIR/dry_run.log"
cat "$OUT_DIR/dry/summary.md" 2>/dev/null | head -40
rm -rf "$OUT_DIR/dry/pictures"  # big; summary.md and report.json say what they show
