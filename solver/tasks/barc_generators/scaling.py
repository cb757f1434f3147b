"""Scaling generators: scale up by the number of colours, scale down, tile."""

from __future__ import annotations

import numpy as np

from solver.dsl.barc import scale_sprite
from solver.tasks.barc_generators.core import HEADER, BarcGenerator, Redraw, random_colors

SCALE_BY_COLORS = HEADER + '''# concepts:
# scaling, counting colours
# description:
# In the input you will see a small sprite. Scale it up by the number of distinct colours in it.

def transform(input_grid: np.ndarray) -> np.ndarray:
    factor = len(object_colors(input_grid, background=Color.BLACK))
    return scale_sprite(input_grid, factor)
'''


def scale_by_colors_input(rng: np.random.Generator) -> np.ndarray:
    """A 3x3 sprite with two to four colours (factor 1 would change nothing)."""
    colors = random_colors(rng, int(rng.integers(2, 5)))
    sprite = rng.choice([0, *colors], size=(3, 3)).astype(int)
    if len(set(sprite.flatten()) - {0}) < 2:
        raise Redraw
    return sprite


SCALE_DOWN = HEADER + '''# concepts:
# scaling, downscaling, blocks
# description:
# In the input you will see a picture made of square blocks of equal size. Output it with each block shrunk to one pixel.

def transform(input_grid: np.ndarray) -> np.ndarray:
    width, height = input_grid.shape
    for factor in range(min(width, height), 1, -1):
        if width % factor or height % factor:
            continue
        small = input_grid[::factor, ::factor]
        if np.array_equal(scale_sprite(small, factor), input_grid):
            return small
    return input_grid
'''


def scale_down_input(rng: np.random.Generator) -> np.ndarray:
    """A random sprite blown up 2-4 times; a sprite that is itself made of blocks is redrawn."""
    width, height = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    colors = random_colors(rng, 3)
    sprite = rng.choice([0, *colors], size=(width, height)).astype(int)
    small_side = min(width, height)
    for factor in range(2, small_side + 1):
        if width % factor == 0 and height % factor == 0 and np.array_equal(scale_sprite(sprite[::factor, ::factor], factor), sprite):
            raise Redraw
    return scale_sprite(sprite, int(rng.integers(2, 5)))


TILE = HEADER + '''# concepts:
# repetition, tiling
# description:
# Output the input tiled three times across and twice down.

def transform(input_grid: np.ndarray) -> np.ndarray:
    width, height = input_grid.shape
    output_grid = np.zeros((3 * width, 2 * height), dtype=input_grid.dtype)
    for i in range(3):
        for j in range(2):
            blit_sprite(output_grid, input_grid, i * width, j * height, background=Color.BLACK)
    return output_grid
'''


def tile_input(rng: np.random.Generator) -> np.ndarray:
    """A small sprite of up to three colours."""
    width, height = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    return rng.choice([0, *random_colors(rng, 2)], size=(width, height)).astype(int)


GENERATORS = (
    BarcGenerator("scale_by_colors", scale_by_colors_input, SCALE_BY_COLORS, "scale up by the number of colours"),
    BarcGenerator("scale_down", scale_down_input, SCALE_DOWN, "shrink equal blocks to pixels"),
    BarcGenerator("tile", tile_input, TILE, "tile the input 3 x 2"),
)
