"""BARC-style generators and hand-written ARC-AGI-1 solutions, checked through the sandbox.

One sandbox (``dsl="solver.dsl.barc"``) serves the whole module, and every program of a kind runs
in one batch, so the reference programs are checked the way sampled programs will be run:
transposed into BARC's ``grid[x, y]``, ``from common import *``, outputs transposed back.
"""

from __future__ import annotations

import numpy as np
import pytest

from solver.arc import ArcTask, load_dataset
from solver.sandbox import Sandbox, SandboxConfig, Status
from solver.tasks.barc_arc_solutions import ARC_SOLUTIONS
from solver.tasks.barc_generators import GENERATORS, barc_generator, barc_generator_names, generate_barc_task

SEEDS = (0, 1, 2)
NAMES = barc_generator_names()


@pytest.fixture(scope="module")
def barc_box():
    with Sandbox(SandboxConfig(workers=2, timeout_s=5.0, dsl="solver.dsl.barc", function_name="transform")) as box:
        yield box


def _all_grids(task: ArcTask) -> tuple[list[np.ndarray], list[list[list[int]]]]:
    """Every input of ``task`` (train then test) as arrays, and the expected outputs in that order."""
    inputs = [np.array(e.input) for e in task.train] + [np.array(c.input) for c in task.test]
    outputs = [e.output for e in task.train] + [c.output for c in task.test]
    return inputs, outputs


@pytest.fixture(scope="module")
def generated():
    """(name, seed) -> task, made in-process from the reference programs."""
    return {(name, seed): generate_barc_task(name, seed)[0] for name in NAMES for seed in SEEDS}


@pytest.fixture(scope="module")
def generated_runs(barc_box, generated):
    """(name, seed) -> the sandbox's result of the reference program on that task's inputs, one batch."""
    keys = list(generated)
    jobs = [(barc_generator(name).program, _all_grids(generated[name, seed])[0]) for name, seed in keys]
    return dict(zip(keys, barc_box.run_each(jobs), strict=True))


@pytest.fixture(scope="module")
def arc_tasks():
    by_id = {task.id: task for task in load_dataset("arc-agi-1/training")}
    return {task_id: by_id[task_id] for task_id in ARC_SOLUTIONS}


@pytest.fixture(scope="module")
def arc_runs(barc_box, arc_tasks):
    """task id -> the sandbox's result of its hand-written solution on all its inputs, one batch."""
    ids = list(ARC_SOLUTIONS)
    return dict(zip(ids, barc_box.run_each([(ARC_SOLUTIONS[i], _all_grids(arc_tasks[i])[0]) for i in ids]), strict=True))


def test_there_are_enough_generators_with_unique_names_and_barc_headers():
    assert len(GENERATORS) >= 20 and len(set(NAMES)) == len(NAMES)
    for generator in GENERATORS:
        assert generator.program.startswith("from common import *\n"), generator.name
        assert "# concepts:" in generator.program and "# description:" in generator.program, generator.name
        assert "def transform(input_grid" in generator.program and generator.description, generator.name


@pytest.mark.parametrize("name", NAMES)
def test_the_same_seed_gives_the_same_task(name, generated):
    task, program = generate_barc_task(name, SEEDS[0])
    assert task == generated[name, SEEDS[0]] and program == barc_generator(name).program
    assert len(task.train) == 3 and len(task.test) == 1 and task.has_solutions
    assert generate_barc_task(name, 7, n_train=2)[0] != task  # another seed, another task


@pytest.mark.parametrize("name", NAMES)
def test_outputs_differ_from_inputs(name, generated):
    for seed in SEEDS:
        inputs, outputs = _all_grids(generated[name, seed])
        assert all(i.tolist() != o for i, o in zip(inputs, outputs, strict=True)), (name, seed)
    inputs = {str(generated[name, seed].train[0].input) for seed in SEEDS}
    assert len(inputs) == len(SEEDS), f"{name}: different seeds drew the same first input"


@pytest.mark.parametrize("name", NAMES)
def test_the_reference_program_reproduces_the_task_in_the_sandbox(name, generated, generated_runs):
    for seed in SEEDS:
        result = generated_runs[name, seed]
        assert result.all_ok, (name, seed, [r.error for r in result.results if r.status is not Status.OK])
        expected = _all_grids(generated[name, seed])[1]
        assert [o.tolist() for o in result.outputs] == expected, (name, seed)


def test_there_are_enough_arc_solutions():
    assert len(ARC_SOLUTIONS) >= 15
    for task_id, program in ARC_SOLUTIONS.items():
        assert program.startswith("from common import *\n") and "# concepts:" in program, task_id


@pytest.mark.parametrize("task_id", list(ARC_SOLUTIONS))
def test_the_hand_written_solution_solves_the_arc_task_in_the_sandbox(task_id, arc_tasks, arc_runs):
    result = arc_runs[task_id]
    assert result.all_ok, [r.error for r in result.results if r.status is not Status.OK]
    expected = _all_grids(arc_tasks[task_id])[1]
    assert all(o is not None for o in expected)
    assert [o.tolist() for o in result.outputs] == expected


def test_a_wrong_program_is_caught(barc_box, arc_tasks):
    # the check above can fail: the identity is not a solution of a recolouring task
    task = arc_tasks["6e82a1ae"]
    identity = "from common import *\n\ndef transform(input_grid):\n    return input_grid\n"
    (result,) = barc_box.run([identity], _all_grids(task)[0])
    assert result.all_ok and [o.tolist() for o in result.outputs] != _all_grids(task)[1]


def test_unknown_generator_names_are_refused():
    with pytest.raises(ValueError, match="unknown BARC generator"):
        generate_barc_task("no_such_generator", 0)
