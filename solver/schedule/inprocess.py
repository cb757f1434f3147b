"""One worker in this process: the task runs inside ``start``, its result waits for ``wait``.

The sequential path (one device, or CPU) uses it. It cannot stop a task from outside: a task
that overruns its deadline + grace is only noticed when it returns, so the hard stop holds only
as far as the solver keeps its deadlines (the HER loop checks its deadline between phases).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from solver.schedule.driver import Finished
from solver.schedule.scheduler import Assignment

log = logging.getLogger(__name__)


class InProcessBackend:
    """Calls ``solve(assignment)`` synchronously; exceptions end the turn as a failure."""

    def __init__(self, solve: Callable[[Assignment], Any]) -> None:
        self._solve = solve
        self._done: list[Finished] = []

    def idle(self) -> list[int]:
        return [] if self._done else [0]

    def busy(self) -> bool:
        return bool(self._done)

    def start(self, worker_id: int, assignment: Assignment) -> None:
        try:
            self._done.append(Finished(worker_id, self._solve(assignment)))
        except Exception as error:  # a bug or bad input on one task must not end the run
            log.exception("task %s failed", assignment.task_id)
            self._done.append(Finished(worker_id, None, f"{type(error).__name__}: {error}"))

    def wait(self, until: float) -> list[Finished]:
        done, self._done = self._done, []
        return done

    def stop(self, worker_id: int) -> bool:
        return True  # the task already returned; the worker is free
