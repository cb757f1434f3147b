"""Which return values count as a grid, and the reason when one does not.

Strict on purpose: an output is accepted only as a numpy integer array, or as a list of equal
length lists of ints (Python or numpy integers, not bools), 2-D, each side 1-30, values 0-9.
Floats are refused even when integral (1.0): a program that computes a grid in floats has
usually gone wrong, and accepting it would hide that. Bool arrays are refused for the same
reason. Tuples, strings and None are refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_SIDE = 30  # same as solver.arc.task.MAX_SIDE; not imported to keep pydantic out of workers
MAX_COLOR = 9


class BadOutput(ValueError):
    """A program's return value is not a grid; ``str()`` is the reason."""


def check_output(value: Any) -> np.ndarray:
    """Convert a program's return value to a fresh C-contiguous int8 grid.

    Raises:
        BadOutput: saying what is wrong, e.g. "output has 3 dimensions".
    """
    if isinstance(value, np.ndarray):
        array = _from_array(value)
    elif isinstance(value, list):
        array = _from_lists(value)
    else:
        raise BadOutput(f"output is {type(value).__name__}, not a grid")
    return check_grid_array(array)


def check_grid_array(array: np.ndarray) -> np.ndarray:
    """Check shape and values of an integer ``array`` and return it as a new int8 grid."""
    if array.ndim != 2:
        raise BadOutput(f"output has {array.ndim} dimension{'s' if array.ndim != 1 else ''}")
    rows, cols = array.shape
    if not (1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE):
        raise BadOutput(f"output is {rows}x{cols}; sides must be 1-{MAX_SIDE}")
    low, high = int(array.min()), int(array.max())
    if low < 0 or high > MAX_COLOR:
        bad = low if low < 0 else high
        raise BadOutput(f"output value {bad} is outside 0-{MAX_COLOR}")
    return np.array(array, dtype=np.int8, order="C")


def _from_array(value: np.ndarray) -> np.ndarray:
    if value.dtype.kind not in "iu":
        raise BadOutput(f"output dtype {value.dtype} is not an integer type")
    return np.asarray(value)  # drops ndarray subclasses


def _from_lists(value: list) -> np.ndarray:
    if not value:
        raise BadOutput("output is an empty list")
    if len(value) > MAX_SIDE:  # before looking at the rows: the list may be huge
        raise BadOutput(f"output has {len(value)} rows; sides must be 1-{MAX_SIDE}")
    if not all(type(row) is list for row in value):
        raise BadOutput("output rows must be lists")
    width = len(value[0])
    if any(len(row) != width for row in value):
        raise BadOutput(f"output rows differ in length: {sorted({len(row) for row in value})}")
    if width > MAX_SIDE:
        raise BadOutput(f"output is {len(value)}x{width}; sides must be 1-{MAX_SIDE}")
    for row in value:
        for cell in row:
            if isinstance(cell, (bool, np.bool_)) or not isinstance(cell, (int, np.integer)):
                raise BadOutput(f"output cell is {type(cell).__name__}, not an int")
            if not 0 <= cell <= MAX_COLOR:
                raise BadOutput(f"output value {int(cell)} is outside 0-{MAX_COLOR}")
    if width == 0:
        raise BadOutput("output rows are empty")
    return np.array(value, dtype=np.int64)
