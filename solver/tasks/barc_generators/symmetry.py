"""Symmetry generators: complete a mirror or rotation pattern, mirror and stack."""

from __future__ import annotations

import numpy as np

from solver.tasks.barc_generators.core import HEADER, BarcGenerator, random_colors

MIRROR_COMPLETE = HEADER + '''# concepts:
# symmetry, mirror, occlusion
# description:
# In the input you will see a left-right mirror-symmetric pattern with a black patch cut out of it. Fill the patch back in from the mirror image.

def transform(input_grid: np.ndarray) -> np.ndarray:
    width, height = input_grid.shape
    mirror = MirrorSymmetry(mirror_x=(width - 1) / 2, mirror_y=None)
    output_grid = np.copy(input_grid)
    for x, y in np.argwhere(input_grid == Color.BLACK):
        for sx, sy in orbit(input_grid, x, y, symmetries=[mirror]):
            if input_grid[sx, sy] != Color.BLACK:
                output_grid[x, y] = input_grid[sx, sy]
    return output_grid
'''


def _occlude(rng: np.random.Generator, grid: np.ndarray, max_width: int, max_height: int) -> np.ndarray:
    """Black out a random rectangle of at most ``max_width x max_height``, in place."""
    width, height = grid.shape
    w, h = int(rng.integers(1, max_width + 1)), int(rng.integers(1, max_height + 1))
    x, y = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
    grid[x : x + w, y : y + h] = 0
    return grid


def mirror_complete_input(rng: np.random.Generator) -> np.ndarray:
    """A full-colour symmetric pattern; the patch stays on one side of the mirror line."""
    half, height = int(rng.integers(3, 8)), int(rng.integers(4, 14))
    colors = random_colors(rng, int(rng.integers(2, 5)))
    left = rng.choice(colors, size=(half, height))
    grid = np.concatenate([left, left[::-1, :]], axis=0).astype(int)
    patch = _occlude(rng, np.ones((half, height), dtype=int), half, max(1, height // 2)) == 0
    if rng.random() < 0.5:
        grid[:half][patch] = 0
    else:
        grid[half:][patch[::-1, :]] = 0
    return grid


ROTATION_COMPLETE = HEADER + '''# concepts:
# symmetry, rotation, occlusion
# description:
# In the input you will see a square pattern that looks the same after a quarter turn, with a black patch cut out. Fill the patch back in.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for turns in range(1, 4):
        rotated = np.rot90(input_grid, turns)
        output_grid = np.where(output_grid == Color.BLACK, rotated, output_grid)
    return output_grid
'''


def rotation_complete_input(rng: np.random.Generator) -> np.ndarray:
    """Four rotated copies of a random quadrant, with a patch no bigger than a quadrant."""
    half = int(rng.integers(2, 6))
    colors = random_colors(rng, int(rng.integers(2, 5)))
    quadrant = rng.choice(colors, size=(half, half)).astype(int)
    size = 2 * half
    grid = np.zeros((size, size), dtype=int)
    for turns in range(4):
        grid = np.rot90(grid)
        grid[:half, :half] = quadrant
    return _occlude(rng, grid, half, half)


MIRROR_STACK = HEADER + '''# concepts:
# symmetry, reflection, concatenation
# description:
# Output the input with its upside-down reflection stacked below it.

def transform(input_grid: np.ndarray) -> np.ndarray:
    reflection = input_grid[:, ::-1]
    return np.concatenate([input_grid, reflection], axis=1)
'''


def mirror_stack_input(rng: np.random.Generator) -> np.ndarray:
    """A small random picture on black."""
    width, height = int(rng.integers(2, 7)), int(rng.integers(2, 7))
    colors = random_colors(rng, 2)
    return np.where(rng.random((width, height)) < 0.5, rng.choice(colors, size=(width, height)), 0).astype(int)


GENERATORS = (
    BarcGenerator("mirror_complete", mirror_complete_input, MIRROR_COMPLETE, "restore a patch of a mirror-symmetric pattern"),
    BarcGenerator("rotation_complete", rotation_complete_input, ROTATION_COMPLETE, "restore a patch of a rotation-symmetric pattern"),
    BarcGenerator("mirror_stack", mirror_stack_input, MIRROR_STACK, "stack the input above its reflection"),
)
