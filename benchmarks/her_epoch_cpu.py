"""One HER epoch on CPU, split into sampling, execution and training, for a tiny model.

Two measurements, same machine, same run:
1. the real loop (``search_and_learn``, one epoch) with a tiny *random* model on a toy task:
   its programs rarely run, so its training phase is usually empty;
2. the same three phases with realistic inputs: sampling as in (1); executing 136 generated
   drawing programs (valid ones, as a trained model writes) on the task's grids; training the
   adapter on 64 relabeled generated tasks, the most novel outputs one epoch usually yields.

    .venv/bin/python benchmarks/her_epoch_cpu.py [--size tiny] [--task 12-squares]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="tiny")
    parser.add_argument("--task", default="12-squares")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--train-examples", type=int, default=64)
    args = parser.parse_args()

    import torch

    from solver.her import HerConfig, search_and_learn
    from solver.models.default import build_random_model
    from solver.prompting import completion_for, drawing_messages, render_prompt
    from solver.runner import load_parts
    from solver.tasks import DrawingTaskConfig, task_stream, toy_task

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as folder:
        model_dir = build_random_model(f"{folder}/model", size=args.size)
        parts = load_parts(model_dir, device="cpu", sandbox_workers=2)
    task = toy_task(args.task).task
    config = HerConfig(max_epochs=1, max_new_tokens=args.max_new_tokens)
    try:
        result = search_and_learn(task, sampler=parts.sampler, sandbox=parts.sandbox, tokenizer=parts.tokenizer, learner=parts.learner, config=config)
        loop = result.epochs[0]

        stream = task_stream(1, DrawingTaskConfig())
        generated = [next(stream) for _ in range(max(config.samples_per_epoch, args.train_examples))]
        grids = [np.array(e.input) for e in task.train] + [np.array(c.input) for c in task.test]
        tick = time.monotonic()
        parts.sandbox.run([g.program for g in generated[: config.samples_per_epoch]], grids)
        execution_s = time.monotonic() - tick
        examples = [
            (render_prompt(parts.tokenizer, drawing_messages(list(zip(g.inputs, g.outputs)))), completion_for(g.program))
            for g in generated[: args.train_examples]
        ]
        parts.learner.reset(seed=0)
        stats = parts.learner.train(examples, seed=0)
    finally:
        parts.close()

    row = {
        "size": args.size,
        "task": args.task,
        "samples": loop.samples,
        "loop_sampling_s": round(loop.sampling_s, 2),
        "loop_execution_s": round(loop.execution_s, 2),
        "loop_training_s": round(loop.training_s, 2),
        "loop_valid_programs": loop.valid,
        "realistic_execution_s": round(execution_s, 2),
        "realistic_training_s": round(stats.elapsed_s, 2),
        "realistic_training_steps": stats.steps,
        "torch_threads": torch.get_num_threads(),
    }
    print(
        f"{args.size} model, {args.task}, {loop.samples} samples: sampling {loop.sampling_s:.1f} s, "
        f"execution {loop.execution_s:.2f} s ({loop.valid} valid), training {loop.training_s:.1f} s; "
        f"realistic: execution of {config.samples_per_epoch} valid programs {execution_s:.2f} s, "
        f"training on {stats.steps} relabeled tasks {stats.elapsed_s:.1f} s"
    )
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
