"""Scoring a submission against known solutions, and checking one against its challenges.

Scoring follows ARC Prize: a test input counts when either attempt matches exactly; a task
scores the fraction of its test inputs solved; the total is the sum over tasks (and the mean is
the percentage shown on the leaderboard).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from solver.arc import ArcTask, validate_grid
from solver.metrics import exact_match


@dataclass(frozen=True)
class TaskScore:
    task_id: str
    solved_inputs: int
    test_inputs: int

    @property
    def score(self) -> float:
        return self.solved_inputs / self.test_inputs


def score_submission(submission: dict[str, Any], tasks: Sequence[ArcTask]) -> list[TaskScore]:
    """Per-task scores; every task must have solutions. A missing task scores 0."""
    scores = []
    for task in tasks:
        if not task.has_solutions:
            raise ValueError(f"task {task.id} has no solutions to score against")
        entries = submission.get(task.id, [])
        solved = 0
        for index, case in enumerate(task.test):
            if index < len(entries):
                entry = entries[index]
                solved += any(exact_match(entry.get(k, [[-1]]), case.output) for k in ("attempt_1", "attempt_2"))
        scores.append(TaskScore(task.id, solved, len(task.test)))
    return scores


def validate_submission(submission: Any, tasks: Sequence[ArcTask]) -> list[str]:
    """Every problem that would make Kaggle reject ``submission`` for these tasks; empty if none."""
    if not isinstance(submission, dict):
        return ["the submission must be a JSON object mapping task ids to lists of attempts"]
    problems = []
    for task in tasks:
        entries = submission.get(task.id)
        if entries is None:
            problems.append(f"{task.id}: missing")
            continue
        if not isinstance(entries, list) or len(entries) != len(task.test):
            count = len(entries) if isinstance(entries, list) else type(entries).__name__
            problems.append(f"{task.id}: expected a list of {len(task.test)} attempt objects, got {count}")
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                problems.append(f"{task.id}[{index}]: expected an object with attempt_1 and attempt_2")
                continue
            for key in ("attempt_1", "attempt_2"):
                if key not in entry:
                    problems.append(f"{task.id}[{index}]: missing {key}")
                    continue
                try:
                    validate_grid(entry[key])
                except ValueError as error:
                    problems.append(f"{task.id}[{index}].{key}: {error}")
    extra = set(submission) - {task.id for task in tasks}
    problems += [f"{task_id}: not a task of these challenges" for task_id in sorted(extra)]
    return problems
