"""Sampling with a trained LoRA adapter: PEFT's forward (base + LoRA per layer, as before) against
the copy with the adapter merged in (``TransformersSampler`` now), transformers backend, on CPU.

The same calls with the same seed, alternated after one warm-up call each; batch 1 shows the
per-step overhead that bounds a small model on a GPU, batch 32 the CPU dry run's epoch. Also
times making the merged copy (once per adapter version).

    .venv/bin/python benchmarks/sampler_adapter_cpu.py [MODEL_DIR]   # default: models/drawing-small
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

import numpy as np
import torch

from solver.learner import Learner, LearnerConfig
from solver.models import load_model
from solver.prompting import drawing_messages, render_prompt
from solver.sampler import SamplingParams, TransformersSampler
from solver.tasks import toy_task


def main() -> None:
    torch.set_num_threads(2)
    model, tokenizer = load_model(sys.argv[1] if len(sys.argv) > 1 else "models/drawing-small", device="cpu", dtype=torch.float32)
    toy = toy_task("12-squares")
    prompt = render_prompt(tokenizer, drawing_messages([(np.array(e.input), np.array(e.output)) for e in toy.task.train]))
    learner = Learner(model, tokenizer, LearnerConfig())
    learner.train([(prompt, toy.reference_program)] * 4, seed=0)
    adapter = learner.adapter_ref
    merged = TransformersSampler(learner.model, tokenizer)
    tick = time.perf_counter()
    with merged._sampling_model(adapter):
        pass
    print(f"merged copy made in {time.perf_counter() - tick:.3f} s")

    peft_forward = TransformersSampler(learner.model, tokenizer)

    @contextmanager
    def through_peft(ref):
        learner.model.set_adapter(ref.name)
        yield learner.model

    peft_forward._sampling_model = through_peft
    for n in (1, 32):
        params = SamplingParams(n=n, temperature=1.0, max_new_tokens=200, seed=0)
        timings: dict[str, list[float]] = {"peft forward": [], "merged copy": []}
        tokens: dict[str, set[int]] = {"peft forward": set(), "merged copy": set()}
        for label, sampler in [("peft forward", peft_forward), ("merged copy", merged)] * 4:
            tick = time.perf_counter()
            out = sampler.generate([prompt], params, adapter=adapter)[0]
            timings[label].append(time.perf_counter() - tick)
            tokens[label].add(sum(c.num_tokens for c in out))
        for label, seconds in timings.items():
            print(f"batch {n:>2} {label:>12}: {', '.join(f'{s:.2f}' for s in seconds[1:])} s (median {np.median(seconds[1:]):.2f}; first call {seconds[0]:.2f}), tokens {sorted(tokens[label])}")


if __name__ == "__main__":
    main()
