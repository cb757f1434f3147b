#!/usr/bin/env bash
# Train the default drawing model on one GPU inside a fixed wall-clock budget, evaluate pass@8,
# export it in bf16 (<= 16 MB) with its model card, then optionally run HER on a few toy tasks.
# Run on the GPU machine from the repository root; wheels for what the image lacks are in .whl/.
#   bash benchmarks/gpu/train_default_model.sh OUT_DIR TRAIN_SECONDS [INIT_MODEL_DIR] [HER_SECONDS]
# With INIT_MODEL_DIR the run continues training that model (all weights) instead of starting
# from scratch: the device's 10-minute calls make the training a chain of such runs.
#
# A 30-step probe first measures the fast configuration (padding-free rows + flex attention,
# one 256-sample forward per step); if it fails or is slower than the padded sdpa configuration
# measured on 2026-11-22 (0.49 s/step), the run falls back to that. The probe's seconds per step
# sets --max-steps so that the run ends inside TRAIN_SECONDS.
set -euo pipefail
OUT_DIR=${1:?output folder}
TRAIN_SECONDS=${2:-420}
INIT=${3:-}
HER_SECONDS=${4:-0}
mkdir -p "$OUT_DIR"
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD
fi
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT_DIR/gpu.txt"
started=$(date +%s)

# the data mix (MIX in the environment replaces it, e.g. to try tasks with more draws)
MIX=${MIX:-'[{"weight": 3, "task": {"max_side": 10, "max_examples": 4}}, {"weight": 1, "task": {"max_side": 20, "max_examples": 2}}]'}
if [ -n "$INIT" ]; then
  # a new seed: the stream is a function of (seed, sample index), so seed 0 would replay the first run's data
  SOURCE=(--model "$INIT" --full-finetune --learning-rate 6e-4 --seed "${SEED:-1}")
else
  SOURCE=(--from-scratch small --learning-rate 1e-3)
fi
COMMON=("${SOURCE[@]}" --batch-size 256 --max-seq-len 3072 --precision bf16-mixed
        --lr-schedule cosine --warmup-ratio 0.03 --logging-steps 10 --data-mix "$MIX" --eval-steps 0 --save-steps 0)
FAST=(--per-device-batch-size 256 --padding-free --attn-implementation flex_attention)
PADDED=(--per-device-batch-size 64 --attn-implementation sdpa)

# probe: seconds per step of the fast configuration, from its last logged window (STEP_SECONDS skips it)
probe_s=${STEP_SECONDS:-0.49}
if [ -z "${STEP_SECONDS:-}" ] && python3 -m train --output-dir /tmp/probe --max-steps 30 "${COMMON[@]}" "${FAST[@]}" \
     --sample-eval-steps 0 > "$OUT_DIR/probe.log" 2>&1; then
  probe_s=$(python3 -c "
import csv; rates=[float(r['value']) for r in csv.DictReader(open('/tmp/probe/metrics.csv')) if r['name'] == 'train/samples_per_s']
print(round(256 / rates[-1], 4))")
fi
if python3 -c "import sys; sys.exit(0 if $probe_s < 0.49 else 1)"; then
  CHOSEN=("${FAST[@]}"); step_s=$probe_s; echo "probe: padding-free + flex, $probe_s s/step"
else
  CHOSEN=("${PADDED[@]}"); step_s=0.49; echo "probe: falling back to padded sdpa (fast config: $probe_s s/step)"
  tail -5 "$OUT_DIR/probe.log"
fi
# what is left of TRAIN_SECONDS, less 25 s of start-up and 60 s for the final pass@8 (52 s for the
# first model; a continued run on 2026-11-22 ran past the 600 s device call in that validation and,
# with the checkpoint then written after it, lost 2,225 trained steps; the loop now saves first)
steps=$(python3 -c "print(max(50, int(($TRAIN_SECONDS - ($(date +%s) - $started) - 85) / $step_s)))")
echo "training $steps steps"
python3 -m train --output-dir /tmp/drawing-small --max-steps "$steps" "${COMMON[@]}" "${CHOSEN[@]}" \
  --sample-eval-steps 1000000 --sample-eval-tasks 100 --sample-eval-n 8 --sample-eval-temperature 0.5 \
  --sample-eval-max-new-tokens 1024 > "$OUT_DIR/train.log" 2>&1 || { tail -40 "$OUT_DIR/train.log"; exit 1; }
tr '\r' '\n' < "$OUT_DIR/train.log" | grep -v "it/s" | grep -iv "loading weights\|writing model" | tail -25
cp /tmp/drawing-small/metrics.csv /tmp/drawing-small/run_info.json "$OUT_DIR/" 2>/dev/null || true

# export in bf16 with the tokenizer and the model card
python3 - <<'PY'
import shutil, torch
from pathlib import Path
from transformers import AutoModelForCausalLM
out, final = Path("/tmp/export/drawing-small"), Path("/tmp/drawing-small/final")
AutoModelForCausalLM.from_pretrained(final, dtype=torch.bfloat16).save_pretrained(out)
for f in final.iterdir():
    if f.suffix in (".json", ".jinja", ".md") and f.name != "config.json":
        shutil.copy(f, out / f.name)
PY
tar -C /tmp/export -cf "$OUT_DIR/model.tar" drawing-small

if [ "$HER_SECONDS" != 0 ]; then
  timeout "$HER_SECONDS" python3 benchmarks/her_toy_suite.py --model /tmp/export/drawing-small \
    --tasks 9-vertical-lines,12-squares,16-squares,25-squares,chick --seeds 1 --modes her --max-epochs 20 \
    --out "$OUT_DIR/her" 2>&1 | grep '^{\|^|' || true
fi
# the device returns at most 8 files
(cd "$OUT_DIR" && tar -czf logs.tar.gz --exclude model.tar --exclude logs.tar.gz * && find . -mindepth 1 ! -name model.tar ! -name logs.tar.gz -delete)
ls -la "$OUT_DIR"
