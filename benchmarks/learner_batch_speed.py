"""Time of one HER learning step over an epoch's relabeled tasks, for several learner batch sizes.

An epoch of 136 samples yields 150-180 relabeled tasks; at batch size 1 the learner takes one
optimizer step each, 11.6 s per epoch on 20-squares on a shared H200 (2026-12-02), the largest
part of the epoch. This times ``Learner.train`` on the same examples (generated drawing tasks
with pruned programs, rendered as the HER loop renders them) at each batch size, from a fresh
adapter each time, after one untimed warm-up pass.

    python benchmarks/learner_batch_speed.py [--model models/drawing-small] [--examples 160] [--batch-sizes 1,2,4,8]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/drawing-small"))
    parser.add_argument("--examples", type=int, default=160)
    parser.add_argument("--batch-sizes", default="1,2,4,8")
    parser.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    args = parser.parse_args()

    import torch

    from solver.learner import Learner, LearnerConfig
    from solver.models import load_model
    from solver.models.factory import load_chat_tokenizer
    from solver.prompting import completion_for, drawing_messages, render_prompt
    from solver.tasks import DrawingTaskConfig, task_stream

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = load_chat_tokenizer(args.model)
    stream = task_stream(0, DrawingTaskConfig(max_side=20, max_examples=3))
    tasks = [next(stream) for _ in range(args.examples)]
    examples = [(render_prompt(tokenizer, drawing_messages(list(zip(t.inputs, t.outputs)))), completion_for(t.program)) for t in tasks]
    rows = []
    for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
        model = load_model(args.model, device=device)[0]  # fresh: a Learner wraps its model once
        learner = Learner(model, tokenizer, LearnerConfig(batch_size=batch_size))
        learner.reset(seed=0)
        learner.train(examples[: 4 * batch_size])  # warm-up: kernels, allocator
        learner.reset(seed=0)
        if device == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        stats = learner.train(examples)
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
        row = {"device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu", "examples": len(examples), "batch_size": batch_size,
               "steps": stats.steps, "seconds": round(seconds, 2), "ms_per_step": round(1000 * seconds / stats.steps, 1),
               "tokens_per_s": round(stats.tokens / seconds), "mean_loss": round(stats.mean_loss, 4)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
