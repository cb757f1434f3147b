"""Where an object is: bounding boxes, crops, anchor positions and its colours, in ``grid[x, y]``."""

from __future__ import annotations

import numpy as np

from solver.dsl.barc.colors import Color


def bounding_box(
    grid: np.ndarray, background: int = Color.BLACK
) -> tuple[int, int, int, int]:
    """Return ``(x, y, width, height)`` of the smallest box holding every non-background pixel.

    ``width`` runs along x (the first axis), ``height`` along y. For a grid with no
    non-background pixel BARC's arithmetic gives ``(W, H, -W, -H)`` for a W x H grid; this
    keeps that, so ``crop`` of an empty object is an empty array as in BARC.
    """
    width, height = grid.shape
    points = np.argwhere(grid != background)
    if len(points) == 0:
        return width, height, -width, -height
    x_min, y_min = points.min(axis=0)
    x_max, y_max = points.max(axis=0)
    return int(x_min), int(y_min), int(x_max - x_min + 1), int(y_max - y_min + 1)


def bounding_box_mask(grid: np.ndarray, background: int = Color.BLACK) -> np.ndarray:
    """Return a bool array of ``grid``'s shape, True exactly inside its ``bounding_box``."""
    mask = np.zeros(grid.shape, dtype=bool)
    x, y, width, height = bounding_box(grid, background=background)
    if width > 0 and height > 0:
        mask[x : x + width, y : y + height] = True
    return mask


def crop(grid: np.ndarray, background: int = Color.BLACK) -> np.ndarray:
    """Return the part of ``grid`` inside its bounding box (a view, as BARC's slicing gives)."""
    x, y, width, height = bounding_box(grid, background)
    return grid[x : x + width, y : y + height]


_ANCHOR_FRACTIONS = {
    "upperleft": (0.0, 0.0),
    "upperright": (1.0, 0.0),
    "lowerleft": (0.0, 1.0),
    "lowerright": (1.0, 1.0),
    "center": (0.5, 0.5),
    "uppercenter": (0.5, 0.0),
    "lowercenter": (0.5, 1.0),
    "leftcenter": (0.0, 0.5),
    "rightcenter": (1.0, 0.5),
}


def object_position(
    obj: np.ndarray, background: int = Color.BLACK, anchor: str = "upper left"
) -> tuple[int | float, int | float]:
    """Return the ``(x, y)`` of one anchor point of ``obj``'s bounding box.

    ``anchor`` is one of "upper left" (default), "upper right", "lower left", "lower right",
    "center", "upper center", "lower center", "left center", "right center"; "upper" is small
    y, "left" is small x. Spaces and case are ignored and "top"/"bottom" mean "upper"/"lower",
    as BARC allows. Whole coordinates come back as int, half-way centres as float (e.g. 1.5).
    """
    key = (
        anchor.lower()
        .replace(" ", "")
        .replace("top", "upper")
        .replace("bottom", "lower")
    )
    assert key in _ANCHOR_FRACTIONS, "Invalid anchor"
    x, y, width, height = bounding_box(obj, background=background)
    fraction_x, fraction_y = _ANCHOR_FRACTIONS[key]
    return _whole_if_possible(x + fraction_x * (width - 1)), _whole_if_possible(
        y + fraction_y * (height - 1)
    )


def _whole_if_possible(value: float) -> int | float:
    """``value`` as an int when it is whole (within 1e-6), else unchanged."""
    if abs(value - int(value)) < 1e-6:
        return int(value)
    return value


def object_colors(obj: np.ndarray, background: int = Color.BLACK) -> list[int]:
    """Return the distinct non-background colours in ``obj``, smallest first."""
    return [int(color) for color in np.unique(obj) if color != background]
