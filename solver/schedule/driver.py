"""The loop that drives a ``BudgetScheduler`` with workers: shared by real runs and the simulation.

A ``Backend`` owns the workers (a function called in-process, worker processes, or simulated
ones) and a ``Clock`` tells the time (``time.monotonic`` or a fake one). ``drive`` hands tasks to
idle workers, waits for results until the next overdue moment, stops overdue workers and stops
handing out work at the hard stop. It never sleeps past the hard stop, so a run that drives
through here ends by ``start + budget - margin`` whatever its workers do, as long as the backend
can stop a worker (the in-process backend cannot: it says so).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from solver.schedule.scheduler import Assignment, BudgetScheduler

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    """The real clock: ``time.monotonic``, system-wide on Linux, so worker processes share it."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


@dataclass(frozen=True)
class Finished:
    """A worker ended its task: ``result`` is the solver's, or None when the worker died."""

    worker_id: int
    result: Any | None
    error: str | None = None
    worker_lost: bool = False  # the worker is gone for good: it gets no more work


class Backend(Protocol):
    """Workers that run one task at a time; ids 0..n-1."""

    def idle(self) -> list[int]:
        """Workers ready for a task now, in id order."""

    def busy(self) -> bool:
        """True while a worker runs a task or is still starting (may become idle later)."""

    def start(self, worker_id: int, assignment: Assignment) -> None:
        """Begin ``assignment`` on an idle worker."""

    def wait(self, until: float) -> list[Finished]:
        """Block until a task ends, a worker becomes idle, or ``until``; return the ended tasks."""

    def stop(self, worker_id: int) -> bool:
        """Stop the worker's overdue task; return True if the worker can take more work."""


@dataclass
class DriveStats:
    assigned: int = 0
    overdue: int = 0
    died: int = 0
    ended_at: float = 0.0


def drive(
    scheduler: BudgetScheduler,
    backend: Backend,
    clock: Clock,
    on_result: Callable[[Assignment, Finished], tuple[bool, bool]],
) -> DriveStats:
    """Run the scheduler's tasks on the backend's workers until there is nothing left to do.

    Args:
        on_result: called once per ended turn (a died or stopped worker gives ``result=None``);
            returns ``(solved, can_continue)`` for the scheduler. Called in the driver's thread,
            so it may write files without locks.

    Returns:
        counts, and the clock value at which the last worker ended.
    """
    stats = DriveStats()
    while True:
        now = clock.now()
        for worker_id in backend.idle():
            if worker_id not in scheduler.workers or worker_id in scheduler.running:
                continue
            assignment = scheduler.next_assignment(worker_id, now)
            if assignment is None:
                break  # the same answer for every idle worker at this moment
            backend.start(worker_id, assignment)
            stats.assigned += 1
        if not scheduler.running and (not scheduler.has_waiting or not backend.busy() or now >= scheduler.hard_stop):
            break
        until = scheduler.next_event() if scheduler.running else scheduler.hard_stop
        for finished in backend.wait(until):
            if finished.worker_id not in scheduler.running:
                if finished.worker_lost:  # died while idle or starting
                    _retire(scheduler, finished.worker_id, stats)
                continue
            assignment = scheduler.running[finished.worker_id]
            if finished.result is None:
                stats.died += 1
                log.warning("worker %d died on task %s: %s", finished.worker_id, assignment.task_id, finished.error or "no reason given")
            solved, can_continue = on_result(assignment, finished)
            scheduler.report(finished.worker_id, solved=solved, can_continue=can_continue and finished.result is not None)
            if finished.worker_lost:
                _retire(scheduler, finished.worker_id, stats)
        now = clock.now()
        for worker_id in scheduler.overdue(now):
            assignment = scheduler.running[worker_id]
            stats.overdue += 1
            log.warning("task %s overran its deadline + grace on worker %d: stopping the worker", assignment.task_id, worker_id)
            on_result(assignment, Finished(worker_id, None, "overdue"))
            scheduler.report(worker_id, solved=False, can_continue=False)
            if not backend.stop(worker_id):
                _retire(scheduler, worker_id, stats)
    stats.ended_at = clock.now()
    return stats


def _retire(scheduler: BudgetScheduler, worker_id: int, stats: DriveStats) -> None:
    if worker_id in scheduler.workers:
        scheduler.retire(worker_id)
        log.warning("worker %d is gone; %d worker(s) left", worker_id, len(scheduler.workers))
