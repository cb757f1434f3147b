"""The drawing DSL: the seven primitives that drawing-task programs are written in.

Conventions, shared by every function:
- a grid is a 2-D numpy integer array; points are ``(row, col)``;
- drawing clips to the grid: anything outside it is silently skipped;
- functions draw in place and return the same grid, so calls can be chained or nested.

The module holds no state: only functions and a tuple of their names. The sandbox gives every
program a fresh namespace, and a program that reassigns a name only changes its own copy; see
``solver.sandbox`` for how programs are kept apart from each other.
"""

from __future__ import annotations

from collections import deque

import numpy as np

Point = tuple[int, int]

__all__ = (
    "create_img",
    "draw_pixel",
    "draw_line",
    "draw_rectangle",
    "draw_horizontal_line",
    "draw_vertical_line",
    "flood_fill",
)


def create_img(shape: tuple[int, int], color: int = 0) -> np.ndarray:
    """Return a new ``shape`` grid (rows, cols) filled with ``color``."""
    rows, cols = shape
    return np.full((int(rows), int(cols)), int(color), dtype=np.int8)


def draw_pixel(img: np.ndarray, point: Point, color: int) -> np.ndarray:
    """Paint one cell; a point outside the grid draws nothing."""
    row, col = int(point[0]), int(point[1])
    if 0 <= row < img.shape[0] and 0 <= col < img.shape[1]:
        img[row, col] = color
    return img


def draw_line(img: np.ndarray, point1: Point, point2: Point, color: int) -> np.ndarray:
    """Draw a straight line from ``point1`` to ``point2``, both ends included, at any angle.

    Bresenham's algorithm: exactly one cell per step along the longer axis, so horizontal,
    vertical and 45-degree lines are exact and other angles are the usual pixel staircase.
    The line is computed in full and then clipped, so clipping never bends it.
    """
    rows, cols = img.shape
    for row, col in line_cells(point1, point2):
        if 0 <= row < rows and 0 <= col < cols:
            img[row, col] = color
    return img


def line_cells(point1: Point, point2: Point) -> list[Point]:
    """The cells ``draw_line`` paints from ``point1`` to ``point2``, in order, before clipping.

    Not a primitive (not in ``__all__``, so programs don't see it): the task generator's fast
    raster shares it so both draw exactly the same lines.
    """
    r0, c0 = int(point1[0]), int(point1[1])
    r1, c1 = int(point2[0]), int(point2[1])
    d_row, d_col = abs(r1 - r0), abs(c1 - c0)
    step_row = 1 if r1 >= r0 else -1
    step_col = 1 if c1 >= c0 else -1
    error = d_col - d_row
    row, col = r0, c0
    cells = []
    for _ in range(max(d_row, d_col) + 1):
        cells.append((row, col))
        doubled = 2 * error
        if doubled > -d_row:
            error -= d_row
            col += step_col
        if doubled < d_col:
            error += d_col
            row += step_row
    return cells


def draw_rectangle(img: np.ndarray, point1: Point, point2: Point, color: int) -> np.ndarray:
    """Fill the rectangle with corners ``point1`` and ``point2``, both inclusive, in any order."""
    r0, r1 = sorted((int(point1[0]), int(point2[0])))
    c0, c1 = sorted((int(point1[1]), int(point2[1])))
    r0, c0 = max(r0, 0), max(c0, 0)
    if r1 >= 0 and c1 >= 0:
        img[r0 : r1 + 1, c0 : c1 + 1] = color
    return img


def draw_horizontal_line(img: np.ndarray, y: int, color: int) -> np.ndarray:
    """Paint the whole row ``y``; a row outside the grid draws nothing."""
    if 0 <= int(y) < img.shape[0]:
        img[int(y), :] = color
    return img


def draw_vertical_line(img: np.ndarray, x: int, color: int) -> np.ndarray:
    """Paint the whole column ``x``; a column outside the grid draws nothing."""
    if 0 <= int(x) < img.shape[1]:
        img[:, int(x)] = color
    return img


def flood_fill(img: np.ndarray, point: Point, color: int, connectivity: int = 4) -> np.ndarray:
    """Recolour the region of equal colour that contains ``point``.

    Args:
        connectivity: 4 (edges only) or 8 (edges and corners).
    """
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    row, col = int(point[0]), int(point[1])
    rows, cols = img.shape
    if not (0 <= row < rows and 0 <= col < cols):
        return img
    old = img[row, col]
    if old == color:
        return img
    steps = ((1, 0), (-1, 0), (0, 1), (0, -1))
    if connectivity == 8:
        steps += ((1, 1), (1, -1), (-1, 1), (-1, -1))
    img[row, col] = color
    queue = deque([(row, col)])
    while queue:
        r, c = queue.popleft()
        for dr, dc in steps:
            nr, nc = r + dr, c + dc
            if 0 <= nr < rows and 0 <= nc < cols and img[nr, nc] == old:
                img[nr, nc] = color
                queue.append((nr, nc))
    return img
