"""Shared-prefix sampling against per-row prefill, transformers backend, on CPU.

Same call, same seed, same samples (1,944 tokens here); alternated after one warm-up call.

    .venv/bin/python benchmarks/sampler_prefix_cpu.py MODEL_DIR
"""

import sys

import time, torch, numpy as np
torch.set_num_threads(2)
from solver.models import load_model
from solver.sampler import TransformersSampler, SamplingParams
from solver.prompting import render_prompt, drawing_messages
from solver.tasks import toy_task
m, t = load_model(sys.argv[1], device="cpu", dtype=torch.float32)
s = TransformersSampler(m, t)
p = render_prompt(t, drawing_messages([(np.array(e.input), np.array(e.output)) for e in toy_task("12-squares").task.train]))
params = SamplingParams(n=32, temperature=1.0, max_new_tokens=100, seed=0)
for label in ("shared",) + ("per-row", "shared") * 4:
    if label == "per-row": s._shared_prefix = lambda model, ids: None
    else: s.__dict__.pop("_shared_prefix", None)
    tick = time.time(); out = s.generate([p], params)[0]; print(label, round(time.time() - tick, 2), sum(c.num_tokens for c in out))
