"""Pixel painting: flood fill, straight lines and random scatter, all in place on ``grid[x, y]``."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from solver.dsl.barc.colors import Color
from solver.dsl.barc.connectivity import steps_for


def flood_fill(
    grid: np.ndarray, x: int, y: int, color: int, connectivity: int = 4
) -> None:
    """Repaint, in place, the region of ``grid[x, y]``'s colour that contains ``(x, y)``.

    ``connectivity`` 4 joins pixels across edges only, 8 also across corners. Filling with the
    colour the region already has changes nothing. Returns None, as BARC's does; an explicit
    queue replaces BARC's recursion so large regions cannot exhaust the stack.
    """
    assert connectivity in [4, 8], "flood_fill: Connectivity must be 4 or 8."
    old_color = grid[x, y]
    if old_color == color:
        return
    width, height = grid.shape
    grid[x, y] = color
    frontier = deque([(int(x), int(y))])
    while frontier:
        px, py = frontier.popleft()
        for dx, dy in steps_for(connectivity):
            nx, ny = px + dx, py + dy
            if 0 <= nx < width and 0 <= ny < height and grid[nx, ny] == old_color:
                grid[nx, ny] = color
                frontier.append((nx, ny))


def draw_line(
    grid: np.ndarray,
    x: int,
    y: int,
    end_x: int | None = None,
    end_y: int | None = None,
    length: int | None = None,
    direction: tuple[int, int] | None = None,
    color: int | None = None,
    stop_at_color: Sequence[int] = [],
) -> tuple[int, int]:
    """Paint, in place, a straight line from ``(x, y)`` and return its last painted pixel.

    The line goes to ``(end_x, end_y)`` (both given, or neither), or runs ``length`` pixels in
    ``direction`` (a vector whose components are reduced to -1, 0 or 1: ``(1, 0)`` is right,
    ``(0, 1)`` is down). Without a length it runs until well past the grid's edge. Points
    outside the grid are skipped; reaching a pixel whose colour is in ``stop_at_color`` ends
    the line before that pixel. The return value is the last pixel painted, or ``(x, y)`` when
    nothing was painted.
    """
    assert (end_x is None) == (end_y is None), (
        "draw_line: Either both or neither of end_x and end_y must be specified."
    )
    assert x == int(x) and y == int(y), "draw_line: x and y must be integers."
    x, y = int(x), int(y)
    if end_x is not None and end_y is not None:
        length = max(abs(end_x - x), abs(end_y - y)) + 1
        direction = (end_x - x, end_y - y)
    if length is None:
        length = max(grid.shape) * 2
    dx, dy = direction
    dx = int(np.sign(dx))
    dy = int(np.sign(dy))
    stop_x, stop_y = x, y
    width, height = grid.shape
    for step in range(int(length)):
        px, py = x + step * dx, y + step * dy
        if not (0 <= px < width and 0 <= py < height):
            continue
        if grid[px, py] in stop_at_color:
            break
        grid[px, py] = color
        stop_x, stop_y = px, py
    return stop_x, stop_y


def randomly_scatter_points(
    grid: np.ndarray, color: int, density: float = 0.5, background: int = Color.BLACK
) -> np.ndarray:
    """Paint, in place, random background pixels ``color`` until ``density`` of the grid is painted.

    Pixels are drawn with ``np.random.randint`` (x first, then y) as BARC does, so a seeded
    ``np.random`` gives BARC's picture. Where BARC would loop forever because there are too
    few background pixels, this raises ValueError instead.
    """
    width, height = grid.shape
    wanted = density * width * height
    if np.sum(grid == background) < wanted:
        raise ValueError(
            "randomly_scatter_points: not enough background pixels for this density."
        )
    colored = 0
    while colored < wanted:
        px = np.random.randint(0, width)
        py = np.random.randint(0, height)
        if grid[px, py] == background:
            grid[px, py] = color
            colored += 1
    return grid


def random_scatter_points(
    grid: np.ndarray, color: int, density: float = 0.5, background: int = Color.BLACK
) -> np.ndarray:
    """Older BARC name of ``randomly_scatter_points``; same behaviour."""
    return randomly_scatter_points(grid, color, density=density, background=background)
