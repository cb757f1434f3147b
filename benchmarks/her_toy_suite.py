"""The seed's experiment: HER on the toy drawing tasks, several seeds, beside pure search.

For each task and seed it runs ``search_and_learn`` with learning (HER) and, with the same
sampling budget per epoch and the same epoch limit, without learning (pure search), and records:
solved or not, epochs, programs sampled, and wall time split into sampling, execution and
training. Writes one JSON line per run and a markdown table.

    python benchmarks/her_toy_suite.py --model models/drawing-small \\
        --tasks 9-vertical-lines,12-squares,16-squares,20-squares,25-squares,chick --seeds 5 \\
        --max-epochs 30 --out runs/her_toy_suite
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--tasks", default="9-vertical-lines,12-squares,16-squares,20-squares,25-squares,chick")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--max-new-tokens", type=int, default=2048)
    parser.add_argument("--modes", default="her,search", help="her, search or both")
    parser.add_argument("--budget-s", type=float, default=0, help="stop starting new runs after this many seconds (0: no limit)")
    parser.add_argument("--out", type=Path, default=Path("runs/her_toy_suite"))
    parser.add_argument("--sampling", default=None, help="samples per epoch as N@TEMPERATURE,... (default: HerConfig's 8@0.1,128@0.9)")
    parser.add_argument("--sampler", choices=("auto", "transformers", "vllm"), default="auto", help="sampling backend")
    args = parser.parse_args()

    import torch

    from solver.cli import _sampling
    from solver.her import HerConfig, search_and_learn
    from solver.runner import load_parts
    from solver.tasks import toy_task

    args.out.mkdir(parents=True, exist_ok=True)
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    parts = load_parts(args.model, sampler=args.sampler)
    rows = []
    started = time.monotonic()
    with open(args.out / "runs.jsonl", "a") as log:
        for name in args.tasks.split(","):
            task = toy_task(name).task
            for mode in args.modes.split(","):
                for seed in range(args.seeds):
                    if args.budget_s and time.monotonic() - started > args.budget_s:
                        break
                    config = HerConfig(max_epochs=args.max_epochs, max_new_tokens=args.max_new_tokens, seed=seed, learn=mode == "her",
                                       **({"sampling": _sampling(args.sampling)} if args.sampling else {}))
                    result = search_and_learn(task, sampler=parts.sampler, sandbox=parts.sandbox, tokenizer=parts.tokenizer, learner=parts.learner, config=config)
                    row = {
                        "task": name,
                        "mode": mode,
                        "seed": seed,
                        "solved": result.solved,
                        "epochs": len(result.epochs),
                        "samples": result.samples,
                        "seconds": round(result.seconds, 1),
                        "sampling_s": round(sum(e.sampling_s for e in result.epochs), 1),
                        "execution_s": round(sum(e.execution_s for e in result.epochs), 1),
                        "training_s": round(sum(e.training_s for e in result.epochs), 1),
                        "best_pixel_accuracy": max((e.best_pixel_accuracy for e in result.epochs), default=0.0),
                        "device": device,
                    }
                    rows.append(row)
                    log.write(json.dumps(row) + "\n")
                    log.flush()
                    print(json.dumps(row), flush=True)
    parts.close()
    lines = ["| task | mode | solved | epochs (each seed) | samples (mean) | seconds (mean) | sampling / execution / training s (mean) |", "|---|---|---|---|---|---|---|"]
    keys = sorted({(r["task"], r["mode"]) for r in rows}, key=lambda k: (args.tasks.split(",").index(k[0]), k[1]))
    for task, mode in keys:
        group = [r for r in rows if (r["task"], r["mode"]) == (task, mode)]
        mean = lambda field: sum(r[field] for r in group) / len(group)  # noqa: E731
        epochs = ", ".join(str(r["epochs"]) + ("" if r["solved"] else "✗") for r in group)
        lines.append(
            f"| {task} | {mode} | {sum(r['solved'] for r in group)}/{len(group)} | {epochs} | {mean('samples'):.0f} | {mean('seconds'):.0f} "
            f"| {mean('sampling_s'):.0f} / {mean('execution_s'):.1f} / {mean('training_s'):.0f} |"
        )
    table = "\n".join(lines)
    (args.out / "table.md").write_text(f"device: {device}\n\n{table}\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
