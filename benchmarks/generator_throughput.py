"""Throughput of the random drawing-task generator on one core: validated tasks per second.

    python benchmarks/generator_throughput.py --seconds 10
    python benchmarks/generator_throughput.py --max-side 30 --input-kind noise

Prints one human line and one JSON line (for logs). The target is 1,000 tasks/s with the
default config.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from solver.tasks import DrawingTaskConfig, generate_drawing_task


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to generate (s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the task stream")
    # config fields; their defaults are DrawingTaskConfig's
    parser.add_argument("--max-side", type=int, default=None, help="largest grid side (cells)")
    parser.add_argument("--max-examples", type=int, default=None, help="most pairs per task")
    parser.add_argument("--input-kind", choices=["solid", "noise", "mixed"], default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    overrides = {
        "max_side": args.max_side,
        "max_examples": args.max_examples,
        "input_kind": args.input_kind,
    }
    config = DrawingTaskConfig(**{k: v for k, v in overrides.items() if v is not None})
    rng = np.random.default_rng(args.seed)
    generate_drawing_task(rng, config)  # warm-up: imports, caches
    n_tasks, n_examples, start = 0, 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < args.seconds:
        task = generate_drawing_task(rng, config)
        n_tasks += 1
        n_examples += len(task.inputs)
    rate = n_tasks / elapsed
    mean_examples = n_examples / n_tasks
    print(f"{n_tasks} tasks in {elapsed:.1f} s: {rate:.0f} tasks/s, {mean_examples:.2f} examples/task")  # noqa: T201
    record = {
        "benchmark": "generator_throughput",
        "tasks_per_s": round(rate, 1),
        "tasks": n_tasks,
        "seconds": round(elapsed, 3),
        "mean_examples": round(mean_examples, 3),
        "config": config.model_dump(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    print(json.dumps(record))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
