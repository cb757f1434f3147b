"""Writing submission.json so that a run that dies at any moment leaves a valid, resumable file.

Two files, both next to each other:
- ``submission.json``: every task present from the start (fallback attempts), rewritten
  atomically (temporary file, fsync, rename) after every finished task;
- ``submission.json.progress.jsonl``: one JSON line per finished task, appended and fsynced. A
  re-run reads it, skips those tasks and rebuilds the submission from them. A line cut short by a
  kill is ignored, so that task simply runs again.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from solver.arc import ArcTask, Grid
from solver.submission.attempts import fallback_attempts

log = logging.getLogger(__name__)

# Test-only hook (tests/test_crash_safety.py): when set, every write pauses this many seconds
# halfway through its bytes, so that a SIGKILL can land mid-write deterministically.
PAUSE_MID_WRITE_ENV = "SOLVER_TEST_PAUSE_MID_WRITE_S"


def _write_in_halves(handle: Any, data: bytes) -> None:
    pause_s = float(os.environ.get(PAUSE_MID_WRITE_ENV) or 0)
    if pause_s:
        handle.write(data[: len(data) // 2])
        handle.flush()
        time.sleep(pause_s)
        data = data[len(data) // 2 :]
    handle.write(data)


@dataclass
class TaskRecord:
    """What the solver settled on for one task, plus whatever metrics the caller keeps."""

    task_id: str
    attempts: list[dict[str, Grid]]
    info: dict[str, Any] = field(default_factory=dict)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that ``path`` holds either the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        _write_synced(tmp, data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def _write_synced(tmp: Path, data: Any) -> None:
    with open(tmp, "wb") as handle:
        _write_in_halves(handle, orjson.dumps(data))
        handle.flush()
        os.fsync(handle.fileno())


class SubmissionWriter:
    """Keeps submission.json valid and up to date for a fixed list of tasks."""

    def __init__(
        self, path: str | Path, tasks: Sequence[ArcTask], *, unloadable: Mapping[str, list[dict[str, Grid]]] | None = None
    ) -> None:
        """``unloadable``: fixed attempts for tasks that could not be loaded (never run, never done)."""
        self.path = Path(path)
        self.progress_path = self.path.with_name(self.path.name + ".progress.jsonl")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tasks = {task.id: task for task in tasks}
        self._submission = {**(unloadable or {}), **{task.id: fallback_attempts(task) for task in tasks}}
        self.records: dict[str, TaskRecord] = {}
        for record in self._read_progress():
            if record.task_id in self._tasks:
                self._accept(record)
        write_json_atomic(self.path, self._submission)

    def _read_progress(self) -> list[TaskRecord]:
        if not self.progress_path.exists():
            return []
        data = self.progress_path.read_bytes()
        if data and not data.endswith(b"\n"):  # a line torn by a kill: cut it, or the next append joins it
            with open(self.progress_path, "r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)
                os.fsync(handle.fileno())
        records = []
        for line in data.splitlines():
            try:
                raw = orjson.loads(line)
                records.append(TaskRecord(raw["task_id"], raw["attempts"], raw.get("info", {})))
            except (orjson.JSONDecodeError, KeyError, TypeError):
                log.warning("ignoring an unreadable progress line in %s (a run was cut short)", self.progress_path)
        return records

    def _accept(self, record: TaskRecord) -> None:
        expected = len(self._tasks[record.task_id].test)
        if len(record.attempts) != expected:
            raise ValueError(f"task {record.task_id}: {len(record.attempts)} attempts for {expected} test inputs")
        self._submission[record.task_id] = record.attempts
        self.records[record.task_id] = record

    def is_done(self, task_id: str) -> bool:
        """True when a finished result for ``task_id`` is on disk (from this run or an earlier one)."""
        return task_id in self.records

    def add(self, record: TaskRecord) -> None:
        """Record a finished task: append it to the progress log, then rewrite the submission."""
        self._accept(record)
        line = orjson.dumps({"task_id": record.task_id, "attempts": record.attempts, "info": record.info})
        with open(self.progress_path, "ab") as handle:
            _write_in_halves(handle, line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        write_json_atomic(self.path, self._submission)

    @property
    def submission(self) -> dict[str, list[dict[str, Grid]]]:
        return self._submission
