"""Who works on which task until when: a pure object driven by a clock it does not own.

Workers pull from one shared queue. ``next_assignment(worker, now)`` hands the next task and its
deadline; ``report(worker, now, ...)`` returns it. The object never reads a clock and never
blocks, so the real runner (threads, processes, or in-process) and the discrete-event simulation
drive the same code (see ``solver.schedule.driver``).

Deadlines. ``T = hard_stop - grace - now`` is the time a new task may span. The worker-time left
is ``W * T`` minus what running tasks still hold until their deadlines; it is split equally among
the tasks still to start, capped at ``T``. Time a task does not use (solved early) flows to the
tasks after it. With 240 tasks, 4 workers and 12 h (10 min margin, 2 min grace) a task gets
about 11.7 min to start with.

Rounds. Round 0 gives every task one turn, in order. When no task waits for its first turn and
time remains, unsolved tasks that were cut short (not those that ended their search on their
own) get another round, lowest round first, as long as the share is at least ``min_task_s``.

Guarantees: no deadline exceeds ``hard_stop - grace``; a task still running at its deadline +
grace is overdue (``overdue(now)``), and the driver stops it. Nothing is handed out past the
hard stop. The trade-off: a task that overruns its deadline by less than the grace takes that
time from the tasks after it, which is why the grace also comes off the deadlines.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from solver.schedule.config import ScheduleConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assignment:
    """One turn of one task: work on ``task_id`` until ``deadline`` (same clock as ``now``)."""

    task_id: str
    round: int
    deadline: float
    abandon_at: float  # deadline + grace: past this the worker is stopped


@dataclass
class TaskState:
    """What the scheduler knows of one task."""

    task_id: str
    order: int
    rounds_done: int = 0
    solved: bool = False
    finished: bool = False  # no further round: solved, ended its search, failed or abandoned
    running: bool = False


class BudgetScheduler:
    """Shares a time budget among tasks pulled by workers from one queue.

    Args:
        task_ids: in the order of their first turn; ids must be distinct.
        config: budget, margin, grace, rounds.
        workers: how many workers pull tasks (ids 0..workers-1).
        start: the clock value at which the budget starts.
    """

    def __init__(self, task_ids: Sequence[str], config: ScheduleConfig, *, workers: int, start: float) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if len(set(task_ids)) != len(task_ids):
            raise ValueError("task_ids must be distinct")
        self.config = config
        self.start = start
        self.hard_stop = start + config.budget_s - config.safety_margin_s
        self.tasks = {task_id: TaskState(task_id, i) for i, task_id in enumerate(task_ids)}
        self.workers = set(range(workers))
        self.running: dict[int, Assignment] = {}

    # -- handing out -------------------------------------------------------------------------
    def _waiting(self) -> tuple[int, list[TaskState]]:
        """The lowest round that has tasks waiting, and those tasks in order."""
        waiting = [t for t in self.tasks.values() if not t.finished and not t.running]
        if self.config.max_rounds is not None:
            waiting = [t for t in waiting if t.rounds_done < self.config.max_rounds]
        if not waiting:
            return 0, []
        low = min(t.rounds_done for t in waiting)
        return low, sorted((t for t in waiting if t.rounds_done == low), key=lambda t: t.order)

    def share_s(self, now: float, round_index: int, waiting: int) -> float:
        """Seconds the next task would get: the worker-time left split among the tasks to come."""
        span = self.hard_stop - self.config.grace_s - now
        if span <= 0:
            return 0.0
        held = sum(max(0.0, a.deadline - now) for a in self.running.values())
        # tasks in an earlier round may come back unsolved and need this round too
        coming = sum(1 for a in self.running.values() if a.round < round_index)
        free = len(self.workers) * span - held
        return max(0.0, min(span, free / (waiting + coming)))

    def next_assignment(self, worker_id: int, now: float) -> Assignment | None:
        """The task ``worker_id`` should work on now, or None when there is nothing (more) to do.

        None is final for round 0 only when every task has had its turn; later a task coming
        back unsolved may make a new assignment possible, so drivers ask again after reports.
        """
        if worker_id not in self.workers:
            raise ValueError(f"worker {worker_id} is not one of {sorted(self.workers)}")
        if worker_id in self.running:
            raise ValueError(f"worker {worker_id} already runs task {self.running[worker_id].task_id}")
        round_index, waiting = self._waiting()
        if not waiting:
            return None
        share = self.share_s(now, round_index, len(waiting))
        if share <= 0 or (round_index > 0 and share < self.config.min_task_s):
            return None
        task = waiting[0]
        task.running = True
        assignment = Assignment(task.task_id, round_index, now + share, now + share + self.config.grace_s)
        self.running[worker_id] = assignment
        log.debug("worker %d: task %s round %d for %.1f s", worker_id, task.task_id, round_index, share)
        return assignment

    # -- taking back -------------------------------------------------------------------------
    def report(self, worker_id: int, *, solved: bool, can_continue: bool = True) -> Assignment:
        """``worker_id`` ended its task; return the assignment it had.

        Args:
            solved: the task's train pairs are solved; it gets no further round.
            can_continue: False when another round would be pointless (the search ended on its
                own, the task failed, the worker died or was stopped).
        """
        if worker_id not in self.running:
            raise ValueError(f"worker {worker_id} has no task to report")
        assignment = self.running.pop(worker_id)
        task = self.tasks[assignment.task_id]
        task.running = False
        task.rounds_done += 1
        task.solved = task.solved or solved
        task.finished = task.solved or not can_continue
        return assignment

    def retire(self, worker_id: int) -> None:
        """Take ``worker_id`` out: it gets no more work and the shares count one worker less."""
        if worker_id in self.running:
            raise ValueError(f"report worker {worker_id}'s task before retiring it")
        self.workers.discard(worker_id)

    @property
    def has_waiting(self) -> bool:
        """True while some task may still get a turn (time permitting)."""
        return bool(self._waiting()[1])

    def overdue(self, now: float) -> list[int]:
        """Workers whose task has run past its deadline + grace, in id order."""
        return sorted(w for w, a in self.running.items() if now >= a.abandon_at)

    def next_event(self) -> float:
        """The earliest moment a running task becomes overdue (the hard stop if none runs)."""
        return min((a.abandon_at for a in self.running.values()), default=self.hard_stop)

    @property
    def unstarted(self) -> list[str]:
        """Tasks that never had a turn (starved), in order."""
        return [t.task_id for t in sorted(self.tasks.values(), key=lambda t: t.order) if t.rounds_done == 0 and not t.running]
