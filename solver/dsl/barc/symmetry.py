"""Symmetries of a grid: the transformation classes, their detection, and orbits of points.

Coordinates are ``(x, y)`` with x the first axis (across) and y the second (down). A symmetry's
``apply(x, y, iters)`` maps a point, or arrays of points, ``iters`` times; results are ints
(arrays of ints) so they can index the grid directly.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from solver.dsl.barc.colors import Color


def _as_index(value: Any) -> Any:
    """Make an applied coordinate usable as an index: int arrays, rounded floats, ints unchanged."""
    if isinstance(value, np.ndarray):
        return value.astype(int)
    if isinstance(value, float):
        return round(value)
    return value


class Symmetry:
    """A transformation of the 2-D grid that preserves its visual structure.

    Returned by ``detect_rotational_symmetry``, ``detect_translational_symmetry`` and
    ``detect_mirror_symmetry``; used by ``orbit``.
    """

    def apply(self, x: Any, y: Any, iters: int = 1) -> tuple[Any, Any]:
        """Apply the transformation ``iters`` times to the point (x, y) and return (x', y')."""
        raise NotImplementedError

    def _iter_range(self, grid_shape: tuple[int, int]) -> tuple[int, int]:
        """The ``range`` of iteration counts ``orbit`` tries; subclasses narrow it."""
        longest = max(grid_shape)
        return -longest, longest + 1


class TranslationalSymmetry(Symmetry):
    """Repeated translation by the vector ``(translate_x, translate_y)``."""

    def __init__(self, translate_x: int, translate_y: int) -> None:
        self.translate_x, self.translate_y = translate_x, translate_y

    def apply(self, x: Any, y: Any, iters: int = 1) -> tuple[Any, Any]:
        """Move (x, y) by ``iters`` times the translation vector (negative iters go backwards)."""
        return _as_index(x + iters * self.translate_x), _as_index(
            y + iters * self.translate_y
        )

    def _iter_range(self, grid_shape: tuple[int, int]) -> tuple[int, int]:
        """Enough steps either way to cross the whole grid."""
        steps = 0
        if self.translate_x != 0:
            steps = math.ceil(grid_shape[0] / abs(self.translate_x))
        if self.translate_y != 0:
            steps = max(steps, math.ceil(grid_shape[1] / abs(self.translate_y)))
        return -steps, steps + 1

    def __repr__(self) -> str:
        return f"TranslationalSymmetry(translate_x={self.translate_x}, translate_y={self.translate_y})"

    __str__ = __repr__


class MirrorSymmetry(Symmetry):
    """Reflection across the vertical line ``x = mirror_x`` and/or the horizontal line ``y = mirror_y``.

    Either may be None (no flip on that axis); both given is a point reflection through
    ``(mirror_x, mirror_y)``. Mirror lines may be half-way between pixels (e.g. 2.5).
    """

    def __init__(self, mirror_x: float | None, mirror_y: float | None) -> None:
        self.mirror_x, self.mirror_y = mirror_x, mirror_y

    def apply(self, x: Any, y: Any, iters: int = 1) -> tuple[Any, Any]:
        """Reflect (x, y); an even number of iterations leaves the point where it is."""
        if iters % 2 == 0:
            return x, y
        if self.mirror_x is not None:
            x = 2 * self.mirror_x - x
        if self.mirror_y is not None:
            y = 2 * self.mirror_y - y
        return _as_index(x), _as_index(y)

    def _iter_range(self, grid_shape: tuple[int, int]) -> tuple[int, int]:
        """The point itself and its reflection."""
        return 0, 2

    def __repr__(self) -> str:
        return f"MirrorSymmetry(mirror_x={self.mirror_x}, mirror_y={self.mirror_y})"

    __str__ = __repr__


class RotationalSymmetry(Symmetry):
    """Quarter-turn rotation about ``(center_x, center_y)`` (centres may be half-way between pixels).

    One "clockwise" step (BARC's word; with y pointing down it is a counterclockwise turn on
    screen) maps the offset ``(dx, dy)`` from the centre to ``(dy, -dx)``; negative
    ``iters`` turn counterclockwise, as BARC's docstring says. (BARC's own code leaves points
    unmoved for negative ``iters``; its documented meaning is kept here.)
    """

    def __init__(self, center_x: float, center_y: float) -> None:
        self.center_x, self.center_y = center_x, center_y

    def apply(self, x: Any, y: Any, iters: int = 1) -> tuple[Any, Any]:
        """Rotate (x, y) by ``iters`` quarter turns: positive clockwise, negative counterclockwise."""
        dx, dy = x - self.center_x, y - self.center_y
        for _ in range(abs(iters)):
            if iters >= 0:
                dx, dy = dy, -dx
            else:
                dx, dy = -dy, dx
        return _as_index(dx + self.center_x), _as_index(dy + self.center_y)

    def _iter_range(self, grid_shape: tuple[int, int]) -> tuple[int, int]:
        """The four quarter turns."""
        return 0, 4

    def __repr__(self) -> str:
        return f"RotationalSymmetry(center_x={self.center_x}, center_y={self.center_y})"

    __str__ = __repr__


def orbit(
    grid: np.ndarray, x: int, y: int, symmetries: Sequence[Symmetry]
) -> list[tuple[int, int]]:
    """Return the distinct in-grid points that (x, y) reaches under any combination of ``symmetries``.

    Every combination of iteration counts is tried (each symmetry applied in turn); a path
    that leaves the grid is dropped. ``grid`` only supplies the bounds.
    """
    width, height = grid.shape
    iteration_ranges = [
        range(*symmetry._iter_range(grid.shape)) for symmetry in symmetries
    ]
    reached = set()
    for iteration_counts in itertools.product(*iteration_ranges):
        new_x, new_y = x, y
        inside = True
        for symmetry, count in zip(symmetries, iteration_counts):
            new_x, new_y = symmetry.apply(new_x, new_y, count)
            if not (0 <= new_x < width and 0 <= new_y < height):
                inside = False
                break
        if inside:
            reached.add((int(new_x), int(new_y)))
    return list(reached)


def _score_symmetry(
    grid: np.ndarray,
    symmetry: Symmetry,
    ignore_colors: Sequence[int],
    background: int | None = None,
) -> tuple[int, int, int]:
    """How well ``grid`` fits ``symmetry``: (pixels mapped to the same colour, mapped off-canvas, conflicts).

    Pixels of ``ignore_colors`` (and of ``background`` when given) are not mapped. A conflict is a
    pixel mapped onto a different colour that is not an ignored colour.
    """
    width, height = grid.shape
    considered = ~np.isin(grid, ignore_colors)
    if background is not None:
        considered &= grid != background
    points = np.argwhere(considered)
    mapped_x, mapped_y = symmetry.apply(points[:, 0], points[:, 1])
    in_canvas = (
        (mapped_x >= 0) & (mapped_x < width) & (mapped_y >= 0) & (mapped_y < height)
    )
    off_canvas = int(np.sum(~in_canvas))
    points = points[in_canvas]
    original_colors = grid[points[:, 0], points[:, 1]]
    mapped_colors = grid[mapped_x[in_canvas], mapped_y[in_canvas]]
    conflicts = int(
        np.sum(
            (original_colors != mapped_colors) & ~np.isin(mapped_colors, ignore_colors)
        )
    )
    preserved = int(np.sum(original_colors == mapped_colors))
    return preserved, off_canvas, conflicts


def detect_translational_symmetry(
    grid: np.ndarray,
    ignore_colors: Sequence[int] = [Color.BLACK],
    background: int | None = None,
) -> list[TranslationalSymmetry]:
    """Find translations ``t`` with ``grid[x, y] == grid[(x, y) + t]`` wherever neither pixel is ignored.

    Returns up to two symmetries: the best pure-x and the best pure-y translation (smaller
    shifts win ties); only if neither exists, the best diagonal one. Any colour conflict rules a
    candidate out. ``background`` pixels (if given) are not checked.
    """
    width, height = grid.shape

    def score(symmetry: TranslationalSymmetry) -> float:
        preserved, off_canvas, conflicts = _score_symmetry(
            grid, symmetry, ignore_colors, background=background
        )
        return preserved - 0.01 * off_canvas - 100000 * conflicts

    def scored_positive(
        candidates: list[TranslationalSymmetry],
    ) -> list[tuple[TranslationalSymmetry, float]]:
        scored = [(candidate, score(candidate)) for candidate in candidates]
        return [(candidate, value) for candidate, value in scored if value > 0]

    along_x = [TranslationalSymmetry(shift, 0) for shift in range(1, width)]
    along_x += [TranslationalSymmetry(-shift, 0) for shift in range(1, width)]
    along_y = [TranslationalSymmetry(0, shift) for shift in range(1, height)]
    along_y += [TranslationalSymmetry(0, -shift) for shift in range(1, height)]
    diagonal = [
        TranslationalSymmetry(sx, sy)
        for sx in range(1, width)
        for sy in range(1, height)
    ]

    good_x, good_y = scored_positive(along_x), scored_positive(along_y)
    detections = []
    if good_x:
        detections.append(
            max(good_x, key=lambda pair: (pair[1], -pair[0].translate_x))[0]
        )
    if good_y:
        detections.append(
            max(good_y, key=lambda pair: (pair[1], -pair[0].translate_y))[0]
        )
    if not detections:
        good_diagonal = scored_positive(diagonal)
        if good_diagonal:
            best = max(
                good_diagonal,
                key=lambda pair: (pair[1], -pair[0].translate_x - pair[0].translate_y),
            )
            detections.append(best[0])
    return detections


def detect_mirror_symmetry(
    grid: np.ndarray,
    ignore_colors: Sequence[int] = [Color.BLACK],
    background: int | None = None,
) -> list[MirrorSymmetry]:
    """Find mirror lines with ``grid[x, y] == grid[2*mirror_x - x, 2*mirror_y - y]`` for non-ignored pixels.

    Candidates are every vertical line, every horizontal line, and every point reflection, on
    whole or half pixel positions. Those with no conflict and at least one matched pixel are
    scored (matched pixels minus 0.01 per pixel mapped off the grid); all best-scoring ones are
    returned, so a grid symmetric both ways gives two.
    """
    width, height = grid.shape
    halves = (0, 0.5)
    vertical_lines = [
        MirrorSymmetry(cx + half, None) for cx in range(width) for half in halves
    ]
    horizontal_lines = [
        MirrorSymmetry(None, cy + half) for cy in range(height) for half in halves
    ]
    points = [
        MirrorSymmetry(cx + half, cy + half)
        for cx in range(width)
        for cy in range(height)
        for half in halves
    ]

    best, best_score = [], 0.0
    for candidate in vertical_lines + horizontal_lines + points:
        preserved, off_canvas, conflicts = _score_symmetry(
            grid, candidate, ignore_colors, background=background
        )
        if conflicts > 0 or preserved == 0:
            continue
        score = preserved - 0.01 * off_canvas
        if score > best_score:
            best, best_score = [candidate], score
        elif score == best_score:
            best.append(candidate)
    return best


def detect_rotational_symmetry(
    grid: np.ndarray,
    ignore_colors: Sequence[int] = [Color.BLACK],
    background: int | None = None,
) -> RotationalSymmetry | None:
    """Find the quarter-turn rotation centre that best fits ``grid``, or None if none scores above 0.

    Score: matched pixels minus 5 per pixel rotated off the grid minus 1000 per conflict. Centres
    are tried on whole and half pixels (the same offset on both axes). The result has
    ``center_x``/``center_y`` and ``apply(x, y, iters)``.
    """
    width, height = grid.shape
    best, best_score = None, 0.0
    for cx in range(width):
        for cy in range(height):
            for half in (0, 0.5):
                candidate = RotationalSymmetry(cx + half, cy + half)
                preserved, off_canvas, conflicts = _score_symmetry(
                    grid, candidate, ignore_colors, background=background
                )
                score = preserved - 5 * off_canvas - 1000 * conflicts
                if score > best_score:
                    best, best_score = candidate, score
    return best
