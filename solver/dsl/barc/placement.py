"""Random placement for puzzle generators: free spots for sprites and randomly spaced indices.

Randomness comes from Python's module-level ``random`` (and ``np.random`` where BARC used it),
drawn in BARC's order, so seeding those modules reproduces BARC's choices.
"""

from __future__ import annotations

import random

import numpy as np
from scipy import ndimage

from solver.dsl.barc.colors import Color
from solver.dsl.barc.connectivity import structure_for


def random_free_location_for_sprite(
    grid: np.ndarray,
    sprite: np.ndarray,
    background: int = Color.BLACK,
    border_size: int = 0,
    padding: int = 0,
    padding_connectivity: int = 8,
) -> tuple[int, int]:
    """Return a random ``(x, y)`` where ``sprite``'s corner can go without covering any drawn pixel.

    The sprite must fit wholly inside the grid, at least ``border_size`` pixels from each edge.
    With ``padding`` > 0 the drawn pixels are first grown by that many steps (4- or 8-way per
    ``padding_connectivity``), so the sprite also keeps that distance from them. Only the
    sprite's non-background pixels matter. Raises ValueError when no spot is free. The result
    can be passed to ``blit_sprite``.
    """
    width, height = grid.shape
    sprite_width, sprite_height = sprite.shape
    sprite_mask = sprite != background
    if padding > 0:
        if padding_connectivity not in (4, 8):
            raise ValueError("padding_connectivity must be 4 or 8.")
        structure = structure_for(padding_connectivity)
        occupied = ndimage.binary_dilation(
            grid != background, iterations=padding, structure=structure
        )
    else:
        occupied = grid != background

    free_spots = []
    for x in range(border_size, width + 1 - border_size - sprite_width):
        for y in range(border_size, height + 1 - border_size - sprite_height):
            if not np.any(
                occupied[x : x + sprite_width, y : y + sprite_height] & sprite_mask
            ):
                free_spots.append((x, y))
    if not free_spots:
        raise ValueError("No free location for sprite found.")
    return random.choice(free_spots)


def random_free_location_for_object(*args, **kwargs) -> tuple[int, int]:
    """Older BARC name of ``random_free_location_for_sprite``; same arguments and behaviour."""
    return random_free_location_for_sprite(*args, **kwargs)


def randomly_spaced_indices(
    max_len: int, n_indices: int, border_size: int = 1, padding: int = 1
) -> np.ndarray:
    """Return ``n_indices`` sorted random indices below ``max_len``, at least ``padding`` apart.

    Useful for divider lines: any two chosen indices have ``padding`` free indices between them.
    With ``border_size`` > 0 the indices are drawn in ``range(max_len - border_size - 2)`` and
    shifted by ``border_size`` (BARC's exact margins). Raises IndexError when they cannot fit.
    """
    if border_size > 0:
        return (
            randomly_spaced_indices(
                max_len - border_size - 2, n_indices, border_size=0, padding=padding
            )
            + border_size
        )
    taken = [0] * max_len
    while sum(taken) < n_indices:
        allowed = [
            i
            for i in range(max_len)
            if sum(taken[max(0, i - padding) : min(i + 1 + padding, max_len)]) == 0
        ]
        taken[random.choice(allowed)] = 1
    return np.argwhere(taken).flatten()


def generate_position_has_interval(
    max_len: int, position_num: int, if_padding: bool = False
) -> np.ndarray | None:
    """Return ``position_num`` random line positions below ``max_len`` with a gap after each.

    Start from line/gap/line/... (with ``if_padding`` also a gap at both ends), then insert extra
    gaps at random (``np.random``) until it is ``max_len`` long. None when it cannot fit.
    """
    if if_padding:
        pattern = [0, 1] * position_num + [0]
    else:
        pattern = [1, 0] * (position_num - 1) + [1]
    if len(pattern) > max_len:
        return None
    for _ in range(max_len - len(pattern)):
        pattern.insert(np.random.randint(0, len(pattern)), 0)
    return np.argwhere(np.array(pattern) == 1).flatten()
