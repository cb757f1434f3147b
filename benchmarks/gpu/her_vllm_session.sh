#!/usr/bin/env bash
# Issue 5's table (HER against pure search on the toy tasks) with vLLM sampling, on the GPU machine.
# Third of three back-to-back device calls: the first two copy .vllm_bundle/part00 and part01 to
# /root/parts/; the third carries part02, the two .sha256 files, install.sh and .whl, and starts
# this script detached, because it outlasts one call's 10 minutes:
#   setsid bash benchmarks/gpu/her_vllm_session.sh /root/her > /root/her.log 2>&1 < /dev/null &
# Later calls (each within 30 s of the last, so the machine stays held) read /root/her/: progress
# in runs/her_vllm_main/runs.jsonl (a line per finished run) and /root/her/main/suite.raw.log.
# Steps: install vLLM 0.26.0 offline into /root/site; the six main tasks, 5 seeds, HER and search,
# 3 minutes per search, twelve searches at once, each with its own engine and one sandbox process
# (her_toy_suite.sh); then HER on 36- to 100-squares, two seeds, 5 minutes each, room for their
# 961- to 2,710-token programs. MAIN_SECONDS and LONG_SECONDS bound the two parts.
set -uo pipefail
OUT_DIR=${1:?output folder}
mkdir -p "$OUT_DIR" /root/parts
cp .vllm_bundle/part02 .vllm_bundle/*.sha256 /root/parts/ 2>/dev/null
bash .vllm_bundle/install.sh /root/parts > "$OUT_DIR/install.log" 2>&1 || { tail -20 "$OUT_DIR/install.log"; exit 1; }
echo "installed $(date +%T)"
# The first engine starts alone (about 70 s for this 6M model, measured 2026-12-02), then the
# others together from its compile cache. Sixty runs, about 130 search-minutes: twelve at once.
RUNS=runs/her_vllm_main LOAD_SECONDS=240 bash benchmarks/gpu/her_toy_suite.sh "$OUT_DIR/main" "${MAIN_SECONDS:-1200}" --sampler vllm \
  --tasks 9-vertical-lines,12-squares,16-squares,20-squares,25-squares,chick --seeds 5 --modes her,search \
  --max-epochs 200 --max-new-tokens 1024 --jobs 12 --splice 8
echo "main done $(date +%T)"
# ten runs, ten workers: all start at once, so a search budget of 10 s (500 - 150 - 300 - 40) is enough
RUNS=runs/her_vllm_long LOAD_SECONDS=150 RUN_SECONDS=300 bash benchmarks/gpu/her_toy_suite.sh "$OUT_DIR/long" "${LONG_SECONDS:-500}" --sampler vllm \
  --tasks 36-squares,49-squares,64-squares,81-squares,100-squares --seeds 2 --modes her \
  --max-epochs 200 --max-new-tokens 3000 --jobs 10 --splice 8
echo "long done $(date +%T)"
