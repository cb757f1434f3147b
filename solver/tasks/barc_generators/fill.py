"""Fill and clean-up generators: fill closed outlines, remove noise."""

from __future__ import annotations

import numpy as np

from solver.tasks.barc_generators.core import HEADER, BarcGenerator, place_sprites, random_colors

FILL_ENCLOSED = HEADER + '''# concepts:
# flood fill, topology, enclosure
# description:
# In the input you will see rectangle outlines, some of them with a gap. Fill the black inside of every closed outline with yellow.

def transform(input_grid: np.ndarray) -> np.ndarray:
    # flood the outside from a black border added around the grid; black left over is enclosed
    padded = np.pad(input_grid, 1, constant_values=Color.BLACK)
    flood_fill(padded, 0, 0, Color.TEAL, connectivity=4)
    enclosed = padded[1:-1, 1:-1] == Color.BLACK
    output_grid = np.copy(input_grid)
    output_grid[enclosed] = Color.YELLOW
    return output_grid
'''


def fill_enclosed_input(rng: np.random.Generator) -> np.ndarray:
    """Outlines of one non-yellow, non-teal colour; about a third of them open."""
    grid = np.zeros((int(rng.integers(10, 18)), int(rng.integers(10, 18))), dtype=int)
    color = int(rng.choice([1, 2, 3, 5, 6]))
    sprites = []
    for _ in range(int(rng.integers(2, 5))):
        width, height = int(rng.integers(3, 7)), int(rng.integers(3, 7))
        sprite = np.full((width, height), color, dtype=int)
        sprite[1:-1, 1:-1] = 0
        if rng.random() < 0.35:
            sprite[int(rng.integers(1, width - 1)), 0] = 0
        sprites.append(sprite)
    place_sprites(rng, grid, sprites, padding=1)
    return grid


DENOISE = HEADER + '''# concepts:
# denoising, objects, size
# description:
# In the input you will see solid rectangles and scattered noise pixels of the same colour. Remove the noise: every object smaller than four pixels.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=4):
        if np.sum(obj != Color.BLACK) < 4:
            output_grid[obj != Color.BLACK] = Color.BLACK
    return output_grid
'''


def denoise_input(rng: np.random.Generator) -> np.ndarray:
    """Rectangles at least 2x2, then noise pixels that touch no rectangle (not even at a corner)."""
    grid = np.zeros((int(rng.integers(10, 18)), int(rng.integers(10, 18))), dtype=int)
    (color,) = random_colors(rng, 1)
    rectangles = [np.full((int(rng.integers(2, 6)), int(rng.integers(2, 6))), color, dtype=int) for _ in range(int(rng.integers(1, 4)))]
    place_sprites(rng, grid, rectangles, padding=1)
    solid = grid.copy()
    width, height = grid.shape
    for _ in range(int(rng.integers(3, 10))):
        x, y = int(rng.integers(width)), int(rng.integers(height))
        if not np.any(solid[max(0, x - 1) : x + 2, max(0, y - 1) : y + 2]):
            grid[x, y] = color
    return grid


GENERATORS = (
    BarcGenerator("fill_enclosed", fill_enclosed_input, FILL_ENCLOSED, "fill closed outlines with yellow"),
    BarcGenerator("denoise", denoise_input, DENOISE, "remove objects smaller than four pixels"),
)
