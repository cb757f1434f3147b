"""The typed ARC task model.

Grids are stored as lists of lists of ints (the JSON form) so that a task round-trips through
Kaggle's files unchanged; ``as_array`` gives the numpy view that programs work on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator

MAX_SIDE = 30
Grid = list[list[int]]


def validate_grid(grid: Any) -> Grid:
    """Check that ``grid`` is a non-empty rectangular 2-D grid of ints 0-9, at most 30 per side.

    Returns the grid as plain lists; raises ``ValueError`` saying what is wrong.
    """
    if isinstance(grid, np.ndarray):
        grid = grid.tolist()
    if not isinstance(grid, list) or not grid:
        raise ValueError("grid must be a non-empty list of rows")
    if not all(isinstance(row, list) for row in grid):
        raise ValueError("grid rows must be lists")
    width = len(grid[0])
    if width == 0:
        raise ValueError("grid rows must not be empty")
    if any(len(row) != width for row in grid):
        lengths = sorted({len(row) for row in grid})
        raise ValueError(f"ragged grid: row lengths {lengths}")
    if len(grid) > MAX_SIDE or width > MAX_SIDE:
        raise ValueError(f"grid is {len(grid)}x{width}; sides must be at most {MAX_SIDE}")
    for row in grid:
        for value in row:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9:
                raise ValueError(f"grid values must be ints 0-9, got {value!r}")
    return grid


def as_array(grid: Grid) -> np.ndarray:
    """The grid as a 2-D int8 numpy array (a copy)."""
    return np.array(grid, dtype=np.int8)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Example(_Frozen):
    """A train pair."""

    input: Grid
    output: Grid

    @field_validator("input", "output", mode="before")
    @classmethod
    def _check(cls, v: Any) -> Grid:
        return validate_grid(v)


class TestCase(_Frozen):
    """A test input, with its output when the solution is known."""

    __test__ = False  # not a pytest test class
    input: Grid
    output: Grid | None = None

    @field_validator("input", mode="before")
    @classmethod
    def _check_input(cls, v: Any) -> Grid:
        return validate_grid(v)

    @field_validator("output", mode="before")
    @classmethod
    def _check_output(cls, v: Any) -> Grid | None:
        return None if v is None else validate_grid(v)


class ArcTask(_Frozen):
    """One ARC task: its train pairs and its test inputs (with outputs when known)."""

    id: str
    train: list[Example]
    test: list[TestCase]

    @field_validator("train")
    @classmethod
    def _some_train(cls, v: list[Example]) -> list[Example]:
        if not v:
            raise ValueError("a task needs at least one train pair")
        return v

    @field_validator("test")
    @classmethod
    def _some_test(cls, v: list[TestCase]) -> list[TestCase]:
        if not v:
            raise ValueError("a task needs at least one test input")
        return v

    @property
    def has_solutions(self) -> bool:
        return all(case.output is not None for case in self.test)

    def without_solutions(self) -> ArcTask:
        """The task as a solver may see it: test outputs removed."""
        return self.model_copy(update={"test": [TestCase(input=c.input) for c in self.test]})
