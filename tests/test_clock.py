"""The clock: with every program hanging until its timeout, a run still ends by budget - margin.

Uses the stub solver (real loop, scheduler, sandbox and writer; a stub sampler whose programs
all loop forever), so every epoch costs a full sandbox timeout.
"""

from __future__ import annotations

import time

import orjson

from solver.her import HerConfig, SamplingSetting, search_and_learn
from solver.runner import solve_tasks
from solver.schedule import ScheduleConfig
from solver.tasks import toy_task
from tests.hostile.stub_solver import TOY_TASKS, StubSampler, StubTokenizer, stub_parts

TIMEOUT_S = 0.5
SLACK_S = 0.3  # the final write and a loaded machine's scheduling
CONFIG = HerConfig(sampling=(SamplingSetting(n=3, temperature=1.0),), max_epochs=50, learn=False, prune=False)


def test_an_epoch_that_would_overrun_the_deadline_does_not_start():
    parts = stub_parts(StubSampler(hang=True), timeout_s=TIMEOUT_S)
    try:
        task = toy_task("12-squares").task.without_solutions()
        start = time.monotonic()
        result = search_and_learn(task, sampler=parts.sampler, sandbox=parts.sandbox, tokenizer=StubTokenizer(), config=CONFIG, deadline=start + 1.3)
        elapsed = time.monotonic() - start
    finally:
        parts.close()
    assert result.stop_reason == "deadline" and 1 <= len(result.epochs) <= 2
    assert all(e.valid == 0 for e in result.epochs)  # every program timed out
    assert elapsed <= 1.3 + SLACK_S


def test_a_run_of_hanging_programs_ends_by_budget_minus_margin(tmp_path):
    budget_s, margin_s = 6.0, 2.0
    tasks = [toy_task(name).task for name in TOY_TASKS]
    parts = stub_parts(StubSampler(hang=True), timeout_s=TIMEOUT_S)
    try:
        start = time.monotonic()
        writer = solve_tasks(
            tasks, parts, output=tmp_path / "submission.json", time_budget_s=budget_s, her_config=CONFIG, progress=False,
            schedule=ScheduleConfig.for_budget(budget_s, margin_s),
        )  # fmt: skip
        elapsed = time.monotonic() - start
    finally:
        parts.close()
    assert elapsed <= budget_s - margin_s + SLACK_S, f"took {elapsed:.2f} s"
    submission = orjson.loads((tmp_path / "submission.json").read_bytes())
    assert set(submission) == set(TOY_TASKS)
    for task in tasks:  # nothing ran OK: every task keeps the test input as both attempts
        assert submission[task.id] == [{"attempt_1": c.input, "attempt_2": c.input} for c in task.test]
    assert writer.records, "some tasks had a turn"
