"""Grids as text: a shape header, then one line per row, the row number, a space and the digits.

    ```grid shape: 3x4
    0 0000
    1 0550
    2 0000
    ```

Digits are written without separators so a tokenizer that splits digits (ours, Qwen's) spends
exactly one token per cell; the row numbers help a model keep its place in tall grids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_HEADER = re.compile(r"```grid shape: (\d+)x(\d+)\n")


def grid_to_text(grid: np.ndarray | Sequence[Sequence[int]]) -> str:
    """Render a grid in the fenced format above (rows x cols in the header)."""
    rows = [[int(v) for v in row] for row in (grid.tolist() if isinstance(grid, np.ndarray) else grid)]
    lines = [f"```grid shape: {len(rows)}x{len(rows[0])}"]
    lines += [f"{i} {''.join(str(v) for v in row)}" for i, row in enumerate(rows)]
    lines.append("```")
    return "\n".join(lines)


def grid_from_text(text: str) -> list[list[int]]:
    """Parse the first grid in ``text``; the inverse of ``grid_to_text``.

    Raises:
        ValueError: no grid header, or rows that do not match the header's shape.
    """
    match = _HEADER.search(text)
    if match is None:
        raise ValueError("no '```grid shape: RxC' header found")
    n_rows, n_cols = int(match.group(1)), int(match.group(2))
    lines = text[match.end() :].split("\n")[:n_rows]
    grid = []
    for i, line in enumerate(lines):
        number, _, digits = line.partition(" ")
        if number != str(i) or len(digits) != n_cols or not digits.isdigit():
            raise ValueError(f"row {i} does not match shape {n_rows}x{n_cols}: {line!r}")
        grid.append([int(d) for d in digits])
    if len(grid) != n_rows:
        raise ValueError(f"expected {n_rows} rows, found {len(grid)}")
    return grid
