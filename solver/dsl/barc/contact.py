"""Relations between two objects: overlap (collision), touching (contact), and lying between them.

Each object is an array placed with its ``[0, 0]`` corner at a position ``(x, y)`` of a shared
canvas; only non-background pixels count.
"""

from __future__ import annotations

import numpy as np

from solver.dsl.barc.boxes import bounding_box, object_position
from solver.dsl.barc.colors import Color
from solver.dsl.barc.connectivity import steps_for


def _placed_pixels(
    obj: np.ndarray, x: int, y: int, background: int
) -> set[tuple[int, int]]:
    """Canvas coordinates of ``obj``'s non-background pixels when its corner sits at ``(x, y)``."""
    return {(int(px) + x, int(py) + y) for px, py in np.argwhere(obj != background)}


def collision(
    _: None = None,
    object1: np.ndarray | None = None,
    object2: np.ndarray | None = None,
    x1: int = 0,
    y1: int = 0,
    x2: int = 0,
    y2: int = 0,
    background: int = Color.BLACK,
) -> bool:
    """True when ``object1`` at ``(x1, y1)`` and ``object2`` at ``(x2, y2)`` share a non-background pixel.

    The leading ``_`` forces keyword use, as in BARC: ``collision(object1=grid, object2=sprite, x2=X, y2=Y)``
    asks whether the sprite placed at ``(X, Y)`` would overlap anything already drawn.
    """
    offset_x, offset_y = int(x2 - x1), int(y2 - y1)
    pixels1 = _placed_pixels(object1, 0, 0, background)
    pixels2 = _placed_pixels(object2, offset_x, offset_y, background)
    return not pixels1.isdisjoint(pixels2)


def contact(
    _: None = None,
    object1: np.ndarray | None = None,
    object2: np.ndarray | None = None,
    x1: int = 0,
    y1: int = 0,
    x2: int = 0,
    y2: int = 0,
    background: int = Color.BLACK,
    connectivity: int = 4,
) -> bool:
    """True when the two placed objects overlap or have pixels that are neighbours.

    ``connectivity`` 4 counts only edge neighbours as touching, 8 also corner neighbours.
    Collision implies contact.
    """
    steps = ((0, 0),) + steps_for(connectivity)
    offset_x, offset_y = int(x2 - x1), int(y2 - y1)
    pixels1 = _placed_pixels(object1, 0, 0, background)
    pixels2 = _placed_pixels(object2, offset_x, offset_y, background)
    return any((px + dx, py + dy) in pixels2 for px, py in pixels1 for dx, dy in steps)


def check_between_objects(
    obj1: np.ndarray,
    obj2: np.ndarray,
    x: int,
    y: int,
    padding: int = 0,
    background: int = Color.BLACK,
) -> bool:
    """True when pixel ``(x, y)`` lies in the straight gap between two grid-sized objects.

    Horizontally between: x is strictly between the boxes (right of the left box, left of the
    right one) and the rows ``y - padding .. y + padding`` are inside both boxes' y ranges.
    Vertically between is the same with x and y swapped. Objects are ordered by their upper-left
    corner found with the default background, as BARC does.
    """
    for axis in (0, 1):
        first, second = sorted([obj1, obj2], key=lambda obj: object_position(obj)[axis])
        box1 = bounding_box(first, background=background)
        box2 = bounding_box(second, background=background)
        if _between_along(axis, box1, box2, x, y, padding) or _between_along(
            axis, box2, box1, x, y, padding
        ):
            return True
    return False


def _between_along(
    axis: int,
    near: tuple[int, int, int, int],
    far: tuple[int, int, int, int],
    x: int,
    y: int,
    padding: int,
) -> bool:
    """True when (x, y) is past ``near``'s end and before ``far`` along ``axis``, within both boxes across it."""
    along, across = (x, y) if axis == 0 else (y, x)
    near_start, near_size = near[axis], near[2 + axis]
    far_start = far[axis]
    across_low = max(near[1 - axis], far[1 - axis])
    across_high = min(near[1 - axis] + near[3 - axis], far[1 - axis] + far[3 - axis])
    return (
        near_start + near_size <= along < far_start
        and across - padding >= across_low
        and across + padding < across_high
    )
