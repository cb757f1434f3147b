"""Fast in-process twins of the drawing-DSL calls, on flat ``bytearray`` grids.

The generator runs every sampled program about n + 2 times per example while pruning it (n
lines). On grids of at most 10x10, numpy's per-item overhead (a few hundred ns per cell read
or write) dominates, so here a grid is a row-major ``bytearray`` of ``rows * cols`` cells and
each call is compiled once, for one grid shape, into a closure that paints such a grid in
place. Each twin mirrors its ``solver.dsl.drawing`` function cell for cell (clipping, flood
fill; lines use the DSL's own ``line_cells``). The generator re-runs every final program through the real DSL and
asserts equality, so a drift here is caught, never shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from solver.dsl.drawing import line_cells

Point = tuple[int, int]
Shape = tuple[int, int]
Paint = Callable[[bytearray], None]


def compile_pixel(shape: Shape, point: Point, color: int) -> Paint:
    """Twin of ``draw_pixel``."""
    return _compile_cells(shape, [point], color)


def compile_line(shape: Shape, point1: Point, point2: Point, color: int) -> Paint:
    """Twin of ``draw_line``."""
    return _compile_cells(shape, line_cells(point1, point2), color)


def compile_rectangle(shape: Shape, point1: Point, point2: Point, color: int) -> Paint:
    """Twin of ``draw_rectangle`` (filled, corners inclusive, in any order)."""
    rows, cols = shape
    r0, r1 = sorted((point1[0], point2[0]))
    c0, c1 = sorted((point1[1], point2[1]))
    r0, r1, c0, c1 = max(r0, 0), min(r1, rows - 1), max(c0, 0), min(c1, cols - 1)
    if r0 > r1 or c0 > c1:
        return _nothing
    starts = [r * cols + c0 for r in range(r0, r1 + 1)]
    width = c1 - c0 + 1
    fill = bytes([color]) * width

    def paint(grid: bytearray) -> None:
        for start in starts:
            grid[start : start + width] = fill

    return paint


def compile_horizontal_line(shape: Shape, y: int, color: int) -> Paint:
    """Twin of ``draw_horizontal_line``."""
    rows, cols = shape
    if not 0 <= y < rows:
        return _nothing
    start, fill = y * cols, bytes([color]) * cols

    def paint(grid: bytearray) -> None:
        grid[start : start + cols] = fill

    return paint


def compile_vertical_line(shape: Shape, x: int, color: int) -> Paint:
    """Twin of ``draw_vertical_line``."""
    rows, cols = shape
    if not 0 <= x < cols:
        return _nothing
    fill = bytes([color]) * rows

    def paint(grid: bytearray) -> None:
        grid[x::cols] = fill

    return paint


def compile_flood_fill(shape: Shape, point: Point, color: int, connectivity: int = 4) -> Paint:
    """Twin of ``flood_fill``: recolour the equal-colour region holding ``point``."""
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    rows, cols = shape
    if not (0 <= point[0] < rows and 0 <= point[1] < cols):
        return _nothing
    seed = point[0] * cols + point[1]
    neighbours = _neighbours(rows, cols, connectivity)

    def paint(grid: bytearray) -> None:
        old = grid[seed]
        if old == color:
            return
        grid[seed] = color
        stack = [seed]  # the region is the same whatever the visiting order
        while stack:
            for j in neighbours[stack.pop()]:
                if grid[j] == old:
                    grid[j] = color
                    stack.append(j)

    return paint


def _compile_cells(shape: Shape, cells: list[Point], color: int) -> Paint:
    rows, cols = shape
    indices = [r * cols + c for r, c in cells if 0 <= r < rows and 0 <= c < cols]
    if len(indices) == 1:
        (index,) = indices

        def paint_one(grid: bytearray) -> None:
            grid[index] = color

        return paint_one

    def paint(grid: bytearray) -> None:
        for index in indices:
            grid[index] = color

    return paint


def _nothing(grid: bytearray) -> None:
    return None


@lru_cache(maxsize=128)  # a 30x30 8-connected table is ~0.2 MB; 128 shapes bound it at ~25 MB
def _neighbours(rows: int, cols: int, connectivity: int) -> tuple[tuple[int, ...], ...]:
    steps = [(1, 0), (-1, 0), (0, 1), (0, -1)]
    if connectivity == 8:
        steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    return tuple(
        tuple(
            (r + dr) * cols + c + dc
            for dr, dc in steps
            if 0 <= r + dr < rows and 0 <= c + dc < cols
        )
        for r in range(rows)
        for c in range(cols)
    )
