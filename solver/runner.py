"""Solving a list of tasks inside a time budget, writing submission.json after every task.

This is the plain sequential path (one process, one device). Each task gets an equal share of
the time left, so time a task does not use (solved early) goes to the tasks after it. A re-run
with the same output file skips the tasks already finished.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from solver.arc import ArcTask
from solver.her import HerConfig, TaskSearchResult, search_and_learn
from solver.submission import SubmissionWriter, TaskRecord, choose_attempts

log = logging.getLogger(__name__)


@dataclass
class SolverParts:
    """What the loop needs, built once per process and reused across tasks."""

    tokenizer: Any
    sampler: Any
    learner: Any | None
    sandbox: Any

    def close(self) -> None:
        self.sandbox.close()


def load_parts(model_dir: str | Path, *, device: str | None = None, learn: bool = True, sandbox_workers: int | None = None) -> SolverParts:
    """Load the model folder once and build the sampler, the learner and the sandbox around it."""
    from solver.learner import Learner, LearnerConfig
    from solver.models import load_model
    from solver.sampler import TransformersSampler
    from solver.sandbox import Sandbox, SandboxConfig

    model, tokenizer = load_model(model_dir, device=device)
    learner = Learner(model, tokenizer, LearnerConfig()) if learn else None
    sampler = TransformersSampler(learner.model if learner else model, tokenizer)
    sandbox_config = SandboxConfig() if sandbox_workers is None else SandboxConfig(workers=sandbox_workers)
    return SolverParts(tokenizer=tokenizer, sampler=sampler, learner=learner, sandbox=Sandbox(sandbox_config))


def task_summary(result: TaskSearchResult) -> dict[str, Any]:
    """The JSON-able facts of a task's search, kept in the progress log for reports and resume."""
    return {
        "train_solved": result.solved,
        "epochs": len(result.epochs),
        "samples": result.samples,
        "seconds": round(result.seconds, 3),
        "best_pixel_accuracy": max((e.best_pixel_accuracy for e in result.epochs), default=0.0),
        "stop_reason": result.stop_reason,
        "solution": result.solution,
        "epoch_metrics": [e.as_dict() for e in result.epochs],
    }


def solve_tasks(
    tasks: Sequence[ArcTask],
    parts: SolverParts,
    *,
    output: str | Path,
    time_budget_s: float,
    her_config: HerConfig | None = None,
    on_task: Callable[[ArcTask, TaskSearchResult], None] | None = None,
    progress: bool = True,
) -> SubmissionWriter:
    """Search and learn on every task not yet finished in ``output``; return the writer.

    Args:
        time_budget_s: wall-clock seconds for all the tasks still to do.
        on_task: called after each task is recorded (pictures, extra logs).
    """
    writer = SubmissionWriter(output, tasks)
    todo = [task for task in tasks if not writer.is_done(task.id)]
    if len(todo) < len(tasks):
        log.info("resuming: %d of %d tasks already done in %s", len(tasks) - len(todo), len(tasks), writer.path)
    end = time.monotonic() + time_budget_s
    bar = tqdm(todo, desc="tasks", unit="task", disable=not progress)
    for index, task in enumerate(bar):
        now = time.monotonic()
        deadline = now + max(0.0, end - now) / (len(todo) - index)
        epoch_bar = tqdm(desc=f"{task.id} epochs", unit="epoch", leave=False, disable=not progress)

        def on_epoch(metrics: Any, epoch_bar: tqdm = epoch_bar) -> None:
            epoch_bar.update(1)
            epoch_bar.set_postfix(best=f"{metrics.best_pixel_accuracy:.0%}", novel=metrics.novel_outputs)

        result = search_and_learn(
            task.without_solutions(),
            sampler=parts.sampler,
            sandbox=parts.sandbox,
            tokenizer=parts.tokenizer,
            learner=parts.learner,
            config=her_config,
            deadline=deadline,
            on_epoch=on_epoch,
        )
        epoch_bar.close()
        writer.add(TaskRecord(task.id, choose_attempts(task, result.candidates), task_summary(result)))
        log.info(
            "task %s: train %s, %d epochs, %d samples, %.1f s, %.0f s left",
            task.id, "solved" if result.solved else "unsolved", len(result.epochs), result.samples,
            result.seconds, max(0.0, end - time.monotonic()),
        )  # fmt: skip
        if on_task is not None:
            on_task(task, result)
    return writer
