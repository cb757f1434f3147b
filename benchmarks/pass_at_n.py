"""pass@n of drawing models on freshly generated tasks, several models in one run.

The training loop reports pass@8 on 100 held-out tasks, whose standard error (about 0.03 near
0.9) is as large as the step between two training continuations. This evaluates saved model
folders on more tasks of the same held-out stream (``train.validation``: the same ``val_seed``,
so the first 100 are the training loop's), side by side in one process:

    python benchmarks/pass_at_n.py --models models/drawing-small OLD_FOLDER --tasks 400 --out runs/pass_at_n.json

Writes one JSON object per model (pass@n and sample accuracy, generated and toy tasks, seconds).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch

from solver.models.factory import load_model
from train.config import TrainConfig
from train.validation import SamplingEval

# the data mix the default drawing model is trained on (benchmarks/gpu/train_default_model.sh)
DEFAULT_MIX = '[{"weight": 3, "task": {"max_side": 10, "max_examples": 4}}, {"weight": 1, "task": {"max_side": 20, "max_examples": 2}}]'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, nargs="+", required=True, help="model folders")
    parser.add_argument("--tasks", type=int, default=400, help="generated held-out tasks")
    parser.add_argument("--n", type=int, default=8, help="samples per task")
    parser.add_argument("--temperature", type=float, default=0.5)
    parser.add_argument("--max-new-tokens", type=int, default=1024)
    parser.add_argument("--data-mix", default=DEFAULT_MIX, help="JSON list of task sources (the training mix)")
    parser.add_argument("--sandbox-workers", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("runs/pass_at_n.json"))
    args = parser.parse_args()
    for folder in args.models:
        if not (folder / "config.json").is_file():
            parser.error(f"{folder} is not a model folder (no config.json)")

    device = "cuda" if torch.cuda.is_available() else "cpu"
    rows = []
    for folder in args.models:
        model, tokenizer = load_model(folder, device=device)
        config = TrainConfig(output_dir=Path("/tmp/pass_at_n"), model=folder, max_seq_len=3072, data_mix=json.loads(args.data_mix),
                             sample_eval_tasks=args.tasks, sample_eval_n=args.n, sample_eval_temperature=args.temperature,
                             sample_eval_max_new_tokens=args.max_new_tokens)
        started = time.monotonic()
        with SamplingEval(config, tokenizer, sandbox_workers=args.sandbox_workers) as evaluation:
            metrics = evaluation.run(model, None)
            tasks = sum(task.group == "generated" for task in evaluation.tasks)
        rate = metrics[f"generated/pass@{args.n}"]
        row = {"model": str(folder), "tasks": tasks, "n": args.n, "temperature": args.temperature, **metrics,
               "pass_standard_error": round(math.sqrt(rate * (1 - rate) / max(tasks, 1)), 4),
               "seconds": round(time.monotonic() - started, 1), "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu"}
        print(json.dumps(row), flush=True)
        rows.append(row)
        del model
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
