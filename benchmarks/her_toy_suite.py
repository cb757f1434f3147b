"""The seed's experiment: HER on the toy drawing tasks, several seeds, beside pure search.

For each task and seed it runs ``search_and_learn`` with learning (HER) and, with the same
sampling budget per epoch and the same epoch limit, without learning (pure search), and records:
solved or not, epochs, programs sampled, and wall time split into sampling, execution and
training. Writes one JSON line per run (``runs.jsonl``) and a markdown table (``table.md``).

    python benchmarks/her_toy_suite.py --model models/drawing-small \\
        --tasks 9-vertical-lines,12-squares,16-squares,20-squares,25-squares,chick --seeds 5 \\
        --max-epochs 30 --jobs 6 --out runs/her_toy_suite

``--jobs N`` runs N searches at once, each in its own process with its own copy of the model and
a sandbox with its share of the CPU cores: a small model leaves one GPU mostly idle when it runs
one search at a time. Runs are handed out seed by seed, so a suite cut short by ``--budget-s``
still covers every task and mode for the seeds it finished. Runs already in ``--out``'s
``runs.jsonl`` are not run again and count in the table: a suite can go on over several calls.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.util
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

_PARTS: Any = None  # one worker process's model, sampler, learner and sandbox
_SEARCHING_SINCE = 0.0  # when this worker (and every other: all_loaded) began searching
# what each row keeps of every epoch: enough to see where a run's time went and when it stalled
EPOCH_FIELDS = ("samples", "valid", "tokens", "unfinished", "novel_outputs", "spliced", "too_long", "train_steps",
                "sampling_s", "execution_s", "training_s", "best_pixel_accuracy")


def _load(model: Path, sampler: str, sandbox_workers: int, gpu_share: float, learner: dict[str, Any], first_lock: Any, first_done: Any,
          all_loaded: Any) -> None:
    """Load one worker's parts. The first worker loads alone, so that vLLM compiles the model
    once into its on-disk cache; the others then load together (with ``gpu_share`` below 1 an
    engine's KV cache has a fixed size, so engines starting at once do not disturb each other)
    and find the compiled graphs there. No search starts before every worker has loaded
    (``all_loaded``), so no search's timings include other workers' start-up. (A worker whose
    load fails breaks the pool, and the executor then ends the workers waiting here.)"""
    global _PARTS, _SEARCHING_SINCE
    from solver.learner import LearnerConfig
    from solver.runner import load_parts

    def load() -> Any:
        return load_parts(model, sampler=sampler, sandbox_workers=sandbox_workers, gpu_share=gpu_share, learner_config=LearnerConfig(**learner))

    started = time.monotonic()
    with first_lock:
        alone = not first_done.is_set()
        if alone:
            _PARTS = load()
            first_done.set()
    if not alone:
        _PARTS = load()
    # a pool worker's exit joins its non-daemon children (vLLM's engine) before atexit handlers
    # run: without closing the parts first it would wait forever (it did, 2026-12-02)
    multiprocessing.util.Finalize(None, _PARTS.close, exitpriority=10)
    print(f"worker {os.getpid()} loaded{' first' if alone else ''}, {time.monotonic() - started:.0f} s after start", flush=True)
    all_loaded.wait()
    _SEARCHING_SINCE = time.monotonic()


def _run(name: str, mode: str, seed: int, hyper: dict[str, Any]) -> dict[str, Any]:
    """One search of one toy task; the JSON row of the table."""
    import torch

    from solver.cli import _sampling
    from solver.her import HerConfig, search_and_learn
    from solver.tasks import toy_task

    sampling = {"sampling": _sampling(hyper["sampling"])} if hyper["sampling"] else {}
    config = HerConfig(max_epochs=hyper["max_epochs"], max_new_tokens=hyper["max_new_tokens"], seed=seed, learn=mode == "her",
                       splice=hyper["splice"], augment=hyper["augment"], **sampling)
    deadline = time.monotonic() + hyper["run_seconds"] if hyper["run_seconds"] else None

    def progress(e: Any) -> None:  # a line per epoch, so a long suite can be watched while it runs
        print(f"{name} {mode} seed {seed} epoch {e.epoch}: {e.valid}/{e.samples} valid, best {100 * e.best_pixel_accuracy:.1f}%, "
              f"sampling/execution/training {e.sampling_s:.1f}/{e.execution_s:.1f}/{e.training_s:.1f} s", flush=True)

    result = search_and_learn(toy_task(name).task, sampler=_PARTS.sampler, sandbox=_PARTS.sandbox, tokenizer=_PARTS.tokenizer,
                              learner=_PARTS.learner, config=config, deadline=deadline, on_epoch=progress)
    return {
        "task": name,
        "mode": mode,
        "seed": seed,
        "solved": result.solved,
        "epochs": len(result.epochs),
        "samples": result.samples,
        "tokens": sum(e.tokens for e in result.epochs),
        "unfinished": sum(e.unfinished for e in result.epochs),
        "seconds": round(result.seconds, 1),
        "sampling_s": round(sum(e.sampling_s for e in result.epochs), 1),
        "execution_s": round(sum(e.execution_s for e in result.epochs), 1),
        "training_s": round(sum(e.training_s for e in result.epochs), 1),
        "best_pixel_accuracy": max((e.best_pixel_accuracy for e in result.epochs), default=0.0),
        "best_program": best_program(result),
        "splice": hyper["splice"],
        "augment": hyper["augment"],
        "learner_batch_size": _PARTS.learner.config.batch_size if _PARTS.learner else None,
        "learner_lr": _PARTS.learner.config.learning_rate if _PARTS.learner else None,
        "spliced": sum(e.spliced for e in result.epochs),
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "epoch_metrics": [{k: round(v, 3) if isinstance(v, float) else v for k, v in e.as_dict().items() if k in EPOCH_FIELDS} for e in result.epochs],
    }


def best_program(result: Any) -> str | None:
    """The most accurate program of a whole search (its solution if solved): what a stalled run
    got stuck on. None when no sampled program ran."""
    if result.solution is not None:
        return result.solution
    best = max((found for found in result.best_per_epoch if found is not None), key=lambda found: found.pixel_accuracy, default=None)
    return best.program if best else None


def table(rows: list[dict[str, Any]], task_order: list[str]) -> str:
    """The markdown table: one line per (task, mode), seeds side by side."""
    lines = ["| task | mode | solved | epochs (each seed; ✗ unsolved) | samples (mean) | seconds (mean) | sampling / execution / training s (mean) | best pixel accuracy (mean) |",
             "|---|---|---|---|---|---|---|---|"]
    keys = sorted({(r["task"], r["mode"]) for r in rows}, key=lambda k: (task_order.index(k[0]) if k[0] in task_order else 99, k[1]))
    for task, mode in keys:
        group = sorted((r for r in rows if (r["task"], r["mode"]) == (task, mode)), key=lambda r: r["seed"])
        mean = lambda field: sum(r[field] for r in group) / len(group)  # noqa: E731
        epochs = ", ".join(str(r["epochs"]) + ("" if r["solved"] else "✗") for r in group)
        lines.append(
            f"| {task} | {mode} | {sum(r['solved'] for r in group)}/{len(group)} | {epochs} | {mean('samples'):.0f} | {mean('seconds'):.0f} "
            f"| {mean('sampling_s'):.0f} / {mean('execution_s'):.1f} / {mean('training_s'):.0f} | {100 * mean('best_pixel_accuracy'):.1f}% |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--tasks", default="9-vertical-lines,12-squares,16-squares,20-squares,25-squares,chick")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--max-new-tokens", type=int, default=2048)
    parser.add_argument("--modes", default="her,search", help="her, search or both")
    parser.add_argument("--jobs", type=int, default=1, help="searches run at once, each in its own process")
    parser.add_argument("--run-seconds", type=float, default=0, help="wall-time limit of one search (0: only --max-epochs)")
    parser.add_argument("--budget-s", type=float, default=0,
                        help="start no new search this many seconds after searching began, once every worker had loaded (0: no limit)")
    parser.add_argument("--out", type=Path, default=Path("runs/her_toy_suite"))
    parser.add_argument("--sampling", default=None, help="samples per epoch as N@TEMPERATURE,... (default: HerConfig's 8@0.1,128@0.9)")
    parser.add_argument("--sampler", choices=("auto", "transformers", "vllm"), default="auto", help="sampling backend")
    parser.add_argument("--splice", type=int, default=0, help="HerConfig.splice: programs spliced from the K best of each epoch (0: off)")
    parser.add_argument("--augment", action="store_true", help="HerConfig.augment: each epoch samples on a fresh augmentation of the task")
    parser.add_argument("--learner-batch-size", type=int, default=None, help="LearnerConfig.batch_size (default: its default)")
    parser.add_argument("--learner-lr", type=float, default=None, help="LearnerConfig.learning_rate (default: its default)")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")

    from solver.sandbox.config import usable_cores

    tasks = args.tasks.split(",")
    hyper = {"sampling": args.sampling, "max_epochs": args.max_epochs, "max_new_tokens": args.max_new_tokens, "run_seconds": args.run_seconds,
             "splice": args.splice, "augment": args.augment}
    runs = [(name, mode, seed) for seed in range(args.seeds) for name in tasks for mode in args.modes.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    log_path = args.out / "runs.jsonl"
    rows: list[dict[str, Any]] = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()] if log_path.exists() else []
    done = {(r["task"], r["mode"], r["seed"]) for r in rows}
    runs = [run for run in runs if run not in done]
    jobs = max(1, min(args.jobs, len(runs)))  # each worker process must load for the others to start
    sandbox_workers = max(1, usable_cores() // jobs)
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
    learner = {key: value for key, value in (("batch_size", args.learner_batch_size), ("learning_rate", args.learner_lr)) if value is not None}
    loading = (args.model, args.sampler, sandbox_workers, 1.0 / jobs, learner, context.Lock(), context.Event(), context.Barrier(jobs))
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_load, initargs=loading) as pool, open(log_path, "a") as log:
        pending = {pool.submit(_gated, run, hyper, args.budget_s): run for run in runs}
        for future in as_completed(pending):
            row = future.result()
            if row is None:
                continue
            rows.append(row)
            log.write(json.dumps(row) + "\n")
            log.flush()
            print(json.dumps(row), flush=True)
    text = table(rows, tasks)
    device = rows[0]["device"] if rows else "none"
    (args.out / "table.md").write_text(f"device: {device}, {jobs} searches at once, {len(rows)} runs ({len(done)} from earlier calls), "
                                       f"{time.monotonic() - started:.0f} s in all\n\n{text}\n")
    print(text)
    return 0


def _gated(run: tuple[str, str, int], hyper: dict[str, Any], budget_s: float) -> dict[str, Any] | None:
    """``_run`` unless the suite's budget is spent (then None: the run is skipped, not failed)."""
    if budget_s and time.monotonic() - _SEARCHING_SINCE > budget_s:
        return None
    return _run(*run, hyper)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    raise SystemExit(main())
