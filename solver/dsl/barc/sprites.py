"""Moving pixels between arrays: blitting, scaling and translating sprites in ``grid[x, y]``.

A *sprite* is a small array drawn at an offset; an *object* is a grid-sized array that already
sits at its place (background elsewhere).
"""

from __future__ import annotations

import numpy as np

from solver.dsl.barc.colors import Color


def blit(
    grid: np.ndarray,
    sprite: np.ndarray,
    x: int = 0,
    y: int = 0,
    background: int | None = None,
) -> np.ndarray:
    """Copy ``sprite`` into ``grid`` in place with its corner ``sprite[0, 0]`` at ``grid[x, y]``.

    With ``background`` given, sprite pixels of that colour are transparent; with None every
    pixel is copied. Parts that fall outside the grid are dropped. Returns ``grid``.
    """
    x, y = int(x), int(y)
    sprite = np.asarray(sprite)
    grid_width, grid_height = grid.shape
    sprite_width, sprite_height = sprite.shape
    left, top = max(x, 0), max(y, 0)
    right, bottom = (
        min(x + sprite_width, grid_width),
        min(y + sprite_height, grid_height),
    )
    if left >= right or top >= bottom:
        return grid
    piece = sprite[left - x : right - x, top - y : bottom - y]
    target = grid[left:right, top:bottom]
    if background is None:
        target[...] = piece
    else:
        opaque = piece != background
        target[opaque] = piece[opaque]
    return grid


def blit_object(
    grid: np.ndarray, obj: np.ndarray, background: int = Color.BLACK
) -> np.ndarray:
    """Draw a grid-sized ``obj`` onto ``grid`` in place at its own location (background transparent)."""
    return blit(grid, obj, x=0, y=0, background=background)


def blit_sprite(
    grid: np.ndarray, sprite: np.ndarray, x: int, y: int, background: int = Color.BLACK
) -> np.ndarray:
    """Draw ``sprite`` onto ``grid`` in place with its corner at ``(x, y)`` (background transparent)."""
    return blit(grid, sprite, x=x, y=y, background=background)


def scale_sprite(sprite: np.ndarray, factor: int) -> np.ndarray:
    """Return ``sprite`` enlarged ``factor`` times: each pixel becomes a factor x factor block."""
    return np.kron(sprite, np.ones((factor, factor), dtype=sprite.dtype))


def scale_pattern(pattern: np.ndarray, scale_factor: int) -> np.ndarray:
    """Older BARC name of ``scale_sprite`` (BARC prints a deprecation note; this stays silent)."""
    return scale_sprite(pattern, scale_factor)


def translate(
    obj: np.ndarray, x: int, y: int, background: int = Color.BLACK
) -> np.ndarray:
    """Return a copy of ``obj`` shifted by ``(x, y)`` (x right, y down); uncovered pixels become background.

    Pixels shifted past the edge are lost; the result has ``obj``'s shape.
    """
    x, y = int(x), int(y)
    width, height = obj.shape
    shifted = np.full((width, height), background, dtype=obj.dtype)
    if abs(x) >= width or abs(y) >= height:
        return shifted
    source = obj[max(-x, 0) : width - max(x, 0), max(-y, 0) : height - max(y, 0)]
    shifted[max(x, 0) : width - max(-x, 0), max(y, 0) : height - max(-y, 0)] = source
    return shifted
