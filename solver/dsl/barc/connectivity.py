"""The 3x3 neighbourhoods that turn BARC's ``connectivity=4`` / ``connectivity=8`` into scipy structures."""

from __future__ import annotations

import numpy as np

FOUR_WAY = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)
EIGHT_WAY = np.ones((3, 3), dtype=bool)

FOUR_WAY_STEPS = ((0, 1), (0, -1), (1, 0), (-1, 0))
EIGHT_WAY_STEPS = FOUR_WAY_STEPS + ((1, 1), (1, -1), (-1, 1), (-1, -1))


def structure_for(connectivity: int) -> np.ndarray:
    """The 3x3 scipy structuring element (centre included) for 4- or 8-way connectivity."""
    if connectivity == 4:
        return FOUR_WAY
    if connectivity == 8:
        return EIGHT_WAY
    raise ValueError("Connectivity must be 4 or 8.")


def steps_for(connectivity: int) -> tuple[tuple[int, int], ...]:
    """The unit moves ``(dx, dy)`` to a pixel's neighbours under 4- or 8-way connectivity."""
    if connectivity == 4:
        return FOUR_WAY_STEPS
    if connectivity == 8:
        return EIGHT_WAY_STEPS
    raise ValueError("Connectivity must be 4 or 8.")
