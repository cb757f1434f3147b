"""A discrete-event simulation of a run: fake clock, fake solver, the real scheduler and driver.

``simulate`` runs ``drive`` (the loop the real runner uses) with ``SimulatedBackend``: workers
whose tasks take the time a ``FakeSolver`` says, on a ``FakeClock`` that jumps to the next event.
Ties are broken by worker id, so a simulation is deterministic: 240 tasks on 4 workers over 12 h
take well under a second.

``FakeSolver`` draws per (task, round), from a seed: the time the task needs to be solved in that
round (log-uniform, often more than any share), whether it hangs, and how far past its deadline
it runs (one loop phase, sometimes longer than the grace). A turn ends at the earlier of
"solved" and "deadline + overrun"; a hang never ends and is stopped by the driver.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from solver.schedule.config import ScheduleConfig
from solver.schedule.driver import DriveStats, Finished, drive
from solver.schedule.scheduler import Assignment, BudgetScheduler


class FakeClock:
    """A clock that moves only when told: ``sleep`` and ``advance_to``."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self._now += max(0.0, seconds)

    def advance_to(self, moment: float) -> None:
        self._now = max(self._now, moment)


@dataclass(frozen=True)
class Turn:
    """What one turn of a task does: runs ``seconds`` (inf: hangs), solved or not."""

    seconds: float
    solved: bool


@dataclass
class FakeSolver:
    """Deterministic per (task, round) from ``seed``; see the module docstring.

    Attributes:
        need_s: range of the time a round needs to solve its task (log-uniform).
        unsolvable: fraction of tasks no round solves.
        hang: chance per turn of never returning.
        overrun_s: a turn that hits its deadline runs on up to this long (one phase).
        long_overrun: chance per turn of overrunning by 3x ``overrun_s`` instead.
    """

    seed: int = 0
    need_s: tuple[float, float] = (30.0, 3600.0)
    unsolvable: float = 0.4
    hang: float = 0.01
    overrun_s: float = 60.0
    long_overrun: float = 0.01

    def turn(self, task_id: str, round_index: int, allowed_s: float) -> Turn:
        rng = random.Random(f"{self.seed}:{task_id}:{round_index}")
        task_rng = random.Random(f"{self.seed}:{task_id}")
        low, high = self.need_s
        need = math.exp(rng.uniform(math.log(low), math.log(high)))
        solvable = task_rng.random() >= self.unsolvable
        hangs = rng.random() < self.hang
        overrun = rng.uniform(0, self.overrun_s) * (3.0 if rng.random() < self.long_overrun else 1.0)
        if hangs:
            return Turn(math.inf, False)
        if solvable and need <= allowed_s:
            return Turn(need, True)
        return Turn(max(0.0, allowed_s) + overrun, False)


class SimulatedBackend:
    """Workers that take the time their ``FakeSolver`` turn says; stopped workers restart."""

    def __init__(self, workers: int, solver: FakeSolver, clock: FakeClock, restart_s: float = 60.0) -> None:
        self.solver = solver
        self.clock = clock
        self.restart_s = restart_s
        self._ends: dict[int, tuple[float, Turn, Assignment]] = {}  # worker -> (end, turn, assignment)
        self._ready_at = {w: clock.now() for w in range(workers)}
        self.turns: list[tuple[int, Assignment, float, float]] = []  # worker, assignment, started, ended

    def idle(self) -> list[int]:
        now = self.clock.now()
        return [w for w, at in sorted(self._ready_at.items()) if at <= now and w not in self._ends]

    def busy(self) -> bool:
        now = self.clock.now()
        return bool(self._ends) or any(at > now for at in self._ready_at.values())

    def start(self, worker_id: int, assignment: Assignment) -> None:
        now = self.clock.now()
        turn = self.solver.turn(assignment.task_id, assignment.round, assignment.deadline - now)
        self._ends[worker_id] = (now + turn.seconds, turn, assignment)
        self.turns.append((worker_id, assignment, now, math.inf))

    def wait(self, until: float) -> list[Finished]:
        starting = [at for w, at in self._ready_at.items() if at > self.clock.now() and w not in self._ends]
        moment = min([until, *(end for end, _, _ in self._ends.values()), *starting])
        self.clock.advance_to(moment)
        done = []
        for worker_id in sorted(self._ends):
            end, turn, _ = self._ends[worker_id]
            if end <= self.clock.now():
                del self._ends[worker_id]
                self._close(worker_id, end)
                done.append(Finished(worker_id, turn))
        return done

    def stop(self, worker_id: int) -> bool:
        self._ends.pop(worker_id, None)
        self._close(worker_id, self.clock.now())
        self._ready_at[worker_id] = self.clock.now() + self.restart_s  # a fresh process loads the model again
        return True

    def _close(self, worker_id: int, ended: float) -> None:
        for i in range(len(self.turns) - 1, -1, -1):
            if self.turns[i][0] == worker_id and self.turns[i][3] == math.inf:
                self.turns[i] = (*self.turns[i][:3], ended)
                return


@dataclass
class SimulationReport:
    """Figures of one simulated run; times in seconds from the start."""

    budget_s: float
    hard_stop_s: float
    ended_s: float  # when the last worker stopped
    busy_fraction: float  # worker-time spent on tasks / (workers * budget)
    solved: dict[str, int] = field(default_factory=dict)  # task -> round that solved it
    turns: dict[str, int] = field(default_factory=dict)  # task -> turns it had
    starved: list[str] = field(default_factory=list)  # tasks that never had a turn
    unsolved_left: int = 0  # unsolved tasks that could still continue when the run ended
    stats: DriveStats | None = None

    @property
    def max_overrun_s(self) -> float:
        """How far past the hard stop the last worker ran (negative: it ended before)."""
        return self.ended_s - self.hard_stop_s


def simulate(task_ids: Sequence[str], config: ScheduleConfig, *, workers: int, solver: FakeSolver, restart_s: float = 60.0) -> SimulationReport:
    """Run the scheduler and driver on simulated workers; see the module docstring."""
    clock = FakeClock()
    scheduler = BudgetScheduler(task_ids, config, workers=workers, start=clock.now())
    backend = SimulatedBackend(workers, solver, clock, restart_s)
    solved: dict[str, int] = {}

    def on_result(assignment: Assignment, finished: Finished) -> tuple[bool, bool]:
        turn = finished.result
        if turn is not None and turn.solved:
            solved.setdefault(assignment.task_id, assignment.round)
        return (turn is not None and turn.solved, True)

    stats = drive(scheduler, backend, clock, on_result)
    busy = sum(min(end, stats.ended_at) - start for _, _, start, end in backend.turns)
    return SimulationReport(
        budget_s=config.budget_s,
        hard_stop_s=scheduler.hard_stop,
        ended_s=max([stats.ended_at, *(min(end, stats.ended_at) for *_, end in backend.turns)]),
        busy_fraction=busy / (workers * config.budget_s),
        solved=solved,
        turns={t.task_id: t.rounds_done for t in scheduler.tasks.values()},
        starved=scheduler.unstarted,
        unsolved_left=sum(1 for t in scheduler.tasks.values() if not t.finished),
        stats=stats,
    )
