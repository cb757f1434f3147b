"""Picking two attempts per test input from the programs a search found.

Ranking, per test input: programs that solve more train pairs first; among equals, the output
that more programs agree on (a vote); then the shorter program (Occam). The two attempts are the
two best distinct outputs; when fewer exist, the test input itself fills in, which is valid and
sometimes right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solver.arc import ArcTask, Grid


@dataclass(frozen=True)
class Candidate:
    """One working program's verdict on a task.

    Attributes:
        test_outputs: the program's output for each test input, in order.
        train_correct: how many train pairs the program reproduces exactly.
        program_length: length of the program text in characters (shorter wins ties).
        votes: how many samples wrote a program with these outputs; 0 for one no sample wrote
            (a spliced program): it competes on its train score, never by outvoting samples.
    """

    test_outputs: tuple[Grid, ...]
    train_correct: int
    program_length: int
    votes: int = 1


def fallback_attempts(task: ArcTask) -> list[dict[str, Grid]]:
    """Valid attempts for a task nothing was found for: the test input, twice."""
    return inputs_as_attempts([case.input for case in task.test])


def inputs_as_attempts(test_inputs: Sequence[Grid]) -> list[dict[str, Grid]]:
    """Each test input as both attempts: what keeps a task, even an unreadable one, in a valid submission."""
    return [{"attempt_1": grid, "attempt_2": grid} for grid in test_inputs]


def _key(grid: Grid) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(row) for row in grid)


def choose_attempts(task: ArcTask, candidates: Sequence[Candidate]) -> list[dict[str, Grid]]:
    """Two attempts per test input of ``task``, in the submission's format."""
    attempts = []
    for index, case in enumerate(task.test):
        # Per distinct output: best train score, how many programs agree, shortest program.
        stats: dict[tuple, list] = {}
        for candidate in candidates:
            grid = candidate.test_outputs[index]
            entry = stats.setdefault(_key(grid), [candidate.train_correct, 0, candidate.program_length, grid])
            entry[0] = max(entry[0], candidate.train_correct)
            entry[2] = min(entry[2], candidate.program_length)
        for candidate in candidates:
            entry = stats[_key(candidate.test_outputs[index])]
            if candidate.train_correct == entry[0]:
                entry[1] += candidate.votes  # votes count only at the output's best train score
        ranked = sorted(stats.values(), key=lambda e: (-e[0], -e[1], e[2]))
        grids = [entry[3] for entry in ranked[:2]]
        while len(grids) < 2:
            grids.append(case.input)
        attempts.append({"attempt_1": grids[0], "attempt_2": grids[1]})
    return attempts
