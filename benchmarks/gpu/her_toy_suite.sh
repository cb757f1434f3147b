#!/usr/bin/env bash
# HER against pure search on the toy tasks with the embedded drawing model, on the GPU machine.
# Run from the repository root; wheels for what the image lacks are in .whl/.
#   [RUN_SECONDS=180] [LOAD_SECONDS=60] bash benchmarks/gpu/her_toy_suite.sh OUT_DIR CALL_SECONDS [her_toy_suite.py flags...]
# The suite's log lives in $RUNS (default runs/her_toy_suite_gpu/, git-ignored): carry it to the
# next call and the suite goes on where it stopped (runs already logged are not run again).
# With --sampler vllm, vLLM must be installed in /root/site first (her_vllm_session.sh does it).
# Each search gets RUN_SECONDS; the workers' start-up (model loads; with vLLM, the first engine
# alone, about 70 s, then the rest together) must fit in LOAD_SECONDS; no new search starts after CALL_SECONDS -
# LOAD_SECONDS - RUN_SECONDS - 40 s of searching, so that searches in flight end inside the call.
# A GPU utilisation trace is written beside the results.
set -euo pipefail
OUT_DIR=${1:?output folder}
CALL_SECONDS=${2:?seconds this call may take}
shift 2
RUNS=${RUNS:-runs/her_toy_suite_gpu}
mkdir -p "$OUT_DIR" "$RUNS"
if [ -d .whl ]; then
  # skipped when a script started beside this one installed them already
  flock /tmp/site.lock sh -c '[ -d /tmp/site/pydantic ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl'
fi
if [ -d /tmp/site/pydantic ]; then  # installed by this script or an earlier one (a later call may not carry .whl)
  export PYTHONPATH=/tmp/site:$PWD
fi
if [ -d /root/site/vllm ]; then  # vLLM from the offline bundle (../shared/tools/vllm-on-gpu)
  export PYTHONPATH=/root/site:${PYTHONPATH:-$PWD} VLLM_USE_FLASHINFER_SAMPLER=0 VLLM_WORKER_MULTIPROC_METHOD=spawn VLLM_LOGGING_LEVEL=WARNING
fi
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT_DIR/gpu.txt"
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 > "$OUT_DIR/gpu_trace.csv" &
trace=$!
RUN_SECONDS=${RUN_SECONDS:-180}
LOAD_SECONDS=${LOAD_SECONDS:-60}
budget=$((CALL_SECONDS - LOAD_SECONDS - RUN_SECONDS - 40))
# In a session of its own, so that whatever the suite leaves behind when the timeout stops it
# (pool workers, vLLM engine processes holding GPU memory) is killed with it before the next part.
setsid timeout $((CALL_SECONDS - 15)) python3 benchmarks/her_toy_suite.py --model models/drawing-small --sampler transformers \
  --run-seconds "$RUN_SECONDS" --budget-s "$budget" --out "$RUNS" "$@" > "$OUT_DIR/suite.raw.log" 2>&1 &
suite=$!
wait $suite || true
kill -- -$suite 2>/dev/null || true
grep -v "it/s\]" "$OUT_DIR/suite.raw.log" > "$OUT_DIR/suite.log" || true
rm -f "$OUT_DIR/suite.raw.log"
kill $trace || true
cp "$RUNS/runs.jsonl" "$RUNS/table.md" "$OUT_DIR/" 2>/dev/null || true
tail -20 "$OUT_DIR/suite.log"
