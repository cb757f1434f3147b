#!/usr/bin/env bash
# vLLM on the GPU machine, third of three back-to-back device calls (the first two copy
# .vllm_bundle/part00 and part01 to /root/parts/; this one carries part02, the checksums,
# install.sh and .whl). Installs vLLM 0.26.0 offline, then:
#   1. tests/test_vllm_backend.py: greedy parity of VllmSampler and TransformersSampler on the
#      default drawing model (base and adapter), and the HER loop on 12-squares with vLLM
#      sampling (per-epoch split, fixed costs) -> parity.txt, her_epochs.json;
#   2. benchmarks/sampling_throughput.py: both backends beside plain generate and raw vLLM.
#   bash benchmarks/gpu/vllm_session.sh OUT_DIR
set -uo pipefail
OUT_DIR=${1:?output folder}
mkdir -p "$OUT_DIR" /root/parts
cp .vllm_bundle/part02 .vllm_bundle/*.sha256 /root/parts/ 2>/dev/null
bash .vllm_bundle/install.sh /root/parts > "$OUT_DIR/install.log" 2>&1 || { tail -20 "$OUT_DIR/install.log"; exit 1; }
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
export PYTHONPATH=/root/site:/tmp/site:$PWD VLLM_USE_FLASHINFER_SAMPLER=0 VLLM_WORKER_MULTIPROC_METHOD=spawn
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false ARC_VLLM_TEST_OUT=$OUT_DIR VLLM_LOGGING_LEVEL=WARNING
python3 -c "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__, torch.cuda.get_device_name(0))"

timeout 230 python3 -m pytest tests/test_vllm_backend.py -q -p no:cacheprovider -rA > "$OUT_DIR/pytest.log" 2>&1
grep -E "^(PASSED|FAILED|ERROR)|passed|failed|^E " "$OUT_DIR/pytest.log" | head -40 | tee "$OUT_DIR/parity.txt"
python3 -c "
import json; d=json.load(open('$OUT_DIR/her_epochs.json')); print('solved', d['solved'], d['stop_reason'])
for e in d['epochs']: print({k: round(v, 3) if isinstance(v, float) else v for k, v in e.items() if k in ('epoch','samples','valid','train_steps','sampling_s','execution_s','training_s','seconds','overhead_s','best_pixel_accuracy')})
" 2>&1 | tail -12
timeout 300 python3 benchmarks/sampling_throughput.py --out /tmp/sampling > "$OUT_DIR/sampling.log" 2>&1
grep '^{' "$OUT_DIR/sampling.log"; grep -A3 "Traceback" "$OUT_DIR/sampling.log" | tail -8
cp /tmp/sampling/sampling.json "$OUT_DIR/" 2>/dev/null
gzip -f "$OUT_DIR/pytest.log" "$OUT_DIR/sampling.log"
ls -la "$OUT_DIR"
