#!/usr/bin/env bash
# Issue 5 in one device session: continue training the drawing model, then HER against pure search
# with the new weights on the hardest main toy tasks, sampling with vLLM.
# Third of three back-to-back device calls, as her_vllm_session.sh: the first two copy
# .vllm_bundle/part00 and part01 to /root/parts/; the third carries part02, the two .sha256 files,
# install.sh and .whl, and starts this script detached, since it outlasts one call:
#   setsid bash benchmarks/gpu/train_then_her.sh /root/session > /root/session.log 2>&1 < /dev/null &
# Later calls (each within 30 s of the last) watch /root/session.log for "trained" and "her done",
# and copy /root/session/train/model.tar (the new weights, bf16, with their card) and
# /root/session/her/* back.
# TRAIN_SECONDS bounds the training (train_default_model.sh, continuing models/drawing-small with
# data seed SEED); HER_SECONDS the table (her_toy_suite.sh: TASKS, 5 seeds, HER and search, 3
# minutes per search, ten at once).
set -uo pipefail
OUT_DIR=${1:?output folder}
mkdir -p "$OUT_DIR" /root/parts
cp .vllm_bundle/part02 .vllm_bundle/*.sha256 /root/parts/ 2>/dev/null
# STEP_SECONDS skips the speed probe: 0.196 s per step measured for this configuration on an H200
STEP_SECONDS=${STEP_SECONDS:-0.196} SEED=${SEED:-6} bash benchmarks/gpu/train_default_model.sh \
  "$OUT_DIR/train" "${TRAIN_SECONDS:-660}" models/drawing-small > "$OUT_DIR/train.log" 2>&1 || { tail -20 "$OUT_DIR/train.log"; exit 1; }
echo "trained $(date +%T)"
bash .vllm_bundle/install.sh /root/parts > "$OUT_DIR/install.log" 2>&1 || { tail -20 "$OUT_DIR/install.log"; exit 1; }
echo "installed $(date +%T)"
# her_toy_suite.sh passes its own --model first; the one here comes later and wins
RUNS=runs/her_new_model LOAD_SECONDS=240 bash benchmarks/gpu/her_toy_suite.sh "$OUT_DIR/her" "${HER_SECONDS:-700}" --sampler vllm \
  --model /tmp/export/drawing-small --tasks "${TASKS:-25-squares,chick}" --seeds 5 --modes her,search \
  --max-epochs 200 --max-new-tokens 1024 --jobs 10 --splice 8
echo "her done $(date +%T)"
