"""The budget scheduler: unit properties, then a simulated 12 h Kaggle run on a fake clock.

The simulation drives the same ``drive`` loop as the real runner with simulated workers; each
run of 240 tasks takes a few hundredths of a second, so several seeds are checked.
"""

import math

import pytest

from solver.schedule import Assignment, BudgetScheduler, Finished, InProcessBackend, ScheduleConfig, drive
from solver.schedule.simulation import FakeClock, FakeSolver, simulate

TASKS = [f"t{i:03d}" for i in range(240)]
KAGGLE = ScheduleConfig(budget_s=12 * 3600)  # 10 min margin, 2 min grace


def test_config_names_the_problem():
    with pytest.raises(ValueError, match="safety_margin_s \\+ grace_s must be < budget_s"):
        ScheduleConfig(budget_s=300)
    small = ScheduleConfig.for_budget(360)
    assert small.safety_margin_s == pytest.approx(36) and small.grace_s == pytest.approx(18)
    assert ScheduleConfig.for_budget(12 * 3600).safety_margin_s == 600


def test_first_share_and_hard_cap():
    scheduler = BudgetScheduler(TASKS, KAGGLE, workers=4, start=100.0)
    first = scheduler.next_assignment(0, 100.0)
    span = 12 * 3600 - 600 - 120
    assert first.task_id == "t000" and first.round == 0
    assert first.deadline - 100.0 == pytest.approx(4 * span / 240)  # about 11.8 min
    assert first.abandon_at == pytest.approx(first.deadline + 120)
    # late in the run a task never gets past hard stop - grace, even with one task left
    late = BudgetScheduler(["a"], KAGGLE, workers=4, start=0.0)
    assert late.next_assignment(0, 0.0).deadline == pytest.approx(late.hard_stop - 120)
    assert BudgetScheduler(["a"], KAGGLE, workers=1, start=0.0).next_assignment(0, late.hard_stop - 120) is None


def test_time_saved_flows_to_the_tasks_after():
    config = ScheduleConfig(budget_s=1000, safety_margin_s=0, grace_s=0)
    scheduler = BudgetScheduler(["a", "b", "c", "d"], config, workers=1, start=0.0)
    assert scheduler.next_assignment(0, 0.0).deadline == pytest.approx(250)
    scheduler.report(0, solved=True)  # solved in 10 s
    assert scheduler.next_assignment(0, 10.0).deadline == pytest.approx(10 + 990 / 3)


def test_running_tasks_hold_their_time():
    config = ScheduleConfig(budget_s=1000, safety_margin_s=0, grace_s=0)
    scheduler = BudgetScheduler(["a", "b", "c", "d"], config, workers=2, start=0.0)
    assert scheduler.next_assignment(0, 0.0).deadline == pytest.approx(500)  # 2000 worker-s / 4
    assert scheduler.next_assignment(1, 0.0).deadline == pytest.approx(500)  # (2000 - 500) / 3
    scheduler.report(1, solved=True)
    # worker-time left 1800, worker 0 holds 400 of it, 2 tasks to go
    assert scheduler.next_assignment(1, 100.0).deadline == pytest.approx(100 + 700)


def test_second_round_only_after_every_first_turn_and_only_when_cut_short():
    config = ScheduleConfig(budget_s=1000, safety_margin_s=0, grace_s=0)
    scheduler = BudgetScheduler(["a", "b", "c"], config, workers=1, start=0.0)
    seen = []
    now = 0.0
    while (assignment := scheduler.next_assignment(0, now)) is not None:
        seen.append((assignment.task_id, assignment.round))
        now += 50.0
        # a: cut short by its deadline; b: solved; c: its search ended on its own
        scheduler.report(0, solved=assignment.task_id == "b", can_continue=assignment.task_id == "a")
    assert seen[:3] == [("a", 0), ("b", 0), ("c", 0)]
    assert len(seen) > 3 and all(task == "a" for task, _ in seen[3:])  # only a continues
    assert [r for task, r in seen if task == "a"] == list(range(len(seen) - 2))  # rounds 0, 1, 2, ...
    capped = BudgetScheduler(["a"], config.model_copy(update={"max_rounds": 2}), workers=1, start=0.0)
    for _ in range(2):
        capped.next_assignment(0, 0.0)
        capped.report(0, solved=False)
    assert capped.next_assignment(0, 1.0) is None


def test_retired_worker_counts_no_more():
    config = ScheduleConfig(budget_s=1000, safety_margin_s=0, grace_s=0)
    scheduler = BudgetScheduler(["a", "b", "c", "d"], config, workers=2, start=0.0)
    scheduler.retire(1)
    assert scheduler.next_assignment(0, 0.0).deadline == pytest.approx(250)
    with pytest.raises(ValueError, match="worker 1 is not one of"):
        scheduler.next_assignment(1, 0.0)


class ClockedSolver:
    """In-process 'solver' that advances a fake clock: a task takes its scripted seconds."""

    def __init__(self, clock, seconds, fail=()):
        self.clock, self.seconds, self.fail, self.calls = clock, seconds, set(fail), []

    def __call__(self, assignment: Assignment):
        self.calls.append((assignment.task_id, assignment.round))
        took = min(self.seconds[assignment.task_id], assignment.deadline - self.clock.now())
        self.clock.sleep(took)
        if assignment.task_id in self.fail:
            raise RuntimeError("boom")
        return self.seconds[assignment.task_id] <= took


def test_in_process_backend_with_a_fake_clock():
    clock = FakeClock()
    solver = ClockedSolver(clock, {"a": 5, "b": 1e9, "c": 3}, fail={"c"})
    scheduler = BudgetScheduler(["a", "b", "c"], ScheduleConfig(budget_s=600, safety_margin_s=60, grace_s=30), workers=1, start=0.0)
    outcomes = []

    def on_result(assignment: Assignment, finished: Finished):
        outcomes.append((assignment.task_id, assignment.round, finished.result))
        return bool(finished.result), True

    stats = drive(scheduler, InProcessBackend(solver), clock, on_result)
    assert outcomes[:3] == [("a", 0, True), ("b", 0, False), ("c", 0, None)]  # c raised: a failed turn, the run goes on
    assert all(task == "b" for task, _, _ in outcomes[3:])  # only b continues: a solved, c failed
    assert stats.ended_at <= scheduler.hard_stop and not scheduler.unstarted


@pytest.mark.parametrize("seed", range(5))
def test_simulated_kaggle_run_keeps_the_budget(seed):
    """240 tasks, 4 workers, 12 h: hangs, long overruns, early solves."""
    solver = FakeSolver(seed=seed, hang=0.02, long_overrun=0.02)
    report = simulate(TASKS, KAGGLE, workers=4, solver=solver)
    assert report.max_overrun_s <= 0, "a worker ran past budget - margin"
    assert not report.starved and min(report.turns.values()) >= 1
    assert report.stats.overdue >= 1  # the hangs were stopped, not waited for
    assert report.unsolved_left > 0 and report.busy_fraction >= 0.95, f"{report.busy_fraction:.1%} of the worker-time used"
    assert max(report.turns.values()) >= 2  # unsolved tasks got further rounds


def test_simulated_turns_respect_their_deadlines():
    from solver.schedule.scheduler import BudgetScheduler as Scheduler
    from solver.schedule.simulation import SimulatedBackend

    clock = FakeClock()
    scheduler = Scheduler(TASKS, KAGGLE, workers=4, start=0.0)
    backend = SimulatedBackend(4, FakeSolver(seed=7, hang=0.05), clock)
    drive(scheduler, backend, clock, lambda a, f: (bool(f.result and f.result.solved), True))
    for _, assignment, started, ended in backend.turns:
        assert assignment.deadline <= scheduler.hard_stop - KAGGLE.grace_s + 1e-6
        assert ended <= assignment.abandon_at + 1e-6 and ended <= scheduler.hard_stop
        assert math.isfinite(ended)


def test_same_results_with_one_or_four_workers():
    """A deterministic solver whose tasks fit their shares: the schedule must not change results."""
    solver = FakeSolver(seed=3, need_s=(5.0, 60.0), unsolvable=0.3, hang=0.0, long_overrun=0.0, overrun_s=10.0)
    config = KAGGLE.model_copy(update={"max_rounds": 3})
    one = simulate(TASKS, config, workers=1, solver=solver)
    four = simulate(TASKS, config, workers=4, solver=solver)
    assert one.solved == four.solved and one.turns == four.turns
    assert len(one.solved) > 100
    assert all(turns == 2 for task, turns in one.turns.items() if task not in one.solved)  # each unsolved one continued once


def test_simulation_is_deterministic():
    a = simulate(TASKS, KAGGLE, workers=4, solver=FakeSolver(seed=11))
    b = simulate(TASKS, KAGGLE, workers=4, solver=FakeSolver(seed=11))
    assert (a.solved, a.turns, a.ended_s, a.busy_fraction) == (b.solved, b.turns, b.ended_s, b.busy_fraction)
