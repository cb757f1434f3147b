"""Counting generators: count objects, the most common colour, recolour by size."""

from __future__ import annotations

import numpy as np

from solver.tasks.barc_generators.core import HEADER, BarcGenerator, Redraw, place_sprites, random_colors, random_shape

COUNT_OBJECTS = HEADER + '''# concepts:
# counting, objects
# description:
# In the input you will see several objects of one colour. Output a single row with one pixel of that colour per object.

def transform(input_grid: np.ndarray) -> np.ndarray:
    objects = find_connected_components(input_grid, background=Color.BLACK, connectivity=8)
    color = object_colors(input_grid, background=Color.BLACK)[0]
    return np.full((len(objects), 1), color, dtype=input_grid.dtype)
'''


def count_objects_input(rng: np.random.Generator) -> np.ndarray:
    """One to six separated shapes in one colour."""
    grid = np.zeros((int(rng.integers(8, 15)), int(rng.integers(8, 15))), dtype=int)
    (color,) = random_colors(rng, 1)
    place_sprites(rng, grid, [random_shape(rng, int(rng.integers(1, 4)), int(rng.integers(1, 4)), color) for _ in range(int(rng.integers(1, 7)))])
    return grid


MAJORITY_COLOR = HEADER + '''# concepts:
# counting, colours
# description:
# In the input you will see pixels of several colours. Output a 3x3 square of the most common non-black colour.

def transform(input_grid: np.ndarray) -> np.ndarray:
    colors = object_colors(input_grid, background=Color.BLACK)
    most_common = max(colors, key=lambda color: np.sum(input_grid == color))
    return np.full((3, 3), most_common, dtype=input_grid.dtype)
'''


def majority_color_input(rng: np.random.Generator) -> np.ndarray:
    """Random pixels with a strict majority colour."""
    width, height = int(rng.integers(3, 9)), int(rng.integers(3, 9))
    colors = random_colors(rng, int(rng.integers(2, 5)))
    grid = rng.choice([0, *colors], size=(width, height)).astype(int)
    counts = sorted((int(np.sum(grid == c)) for c in colors), reverse=True)
    if counts[0] == counts[1]:
        raise Redraw
    return grid


RECOLOR_BY_SIZE = HEADER + '''# concepts:
# objects, size, recolouring
# description:
# In the input you will see grey objects of one to four pixels. Colour each by its size: 1 red, 2 green, 3 blue, 4 yellow.

def transform(input_grid: np.ndarray) -> np.ndarray:
    size_to_color = {1: Color.RED, 2: Color.GREEN, 3: Color.BLUE, 4: Color.YELLOW}
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=4):
        size = int(np.sum(obj != Color.BLACK))
        if size in size_to_color:
            output_grid[obj != Color.BLACK] = size_to_color[size]
    return output_grid
'''


def recolor_by_size_input(rng: np.random.Generator) -> np.ndarray:
    """Grey shapes of one to four pixels, apart from each other."""
    grid = np.zeros((int(rng.integers(8, 15)), int(rng.integers(8, 15))), dtype=int)
    sprites = []
    for _ in range(int(rng.integers(3, 8))):
        size = int(rng.integers(1, 5))
        width = int(rng.integers(1, size + 1))
        height = int(rng.integers(-(-size // width), size + 1))
        sprite = random_shape(rng, width, height, 5, density=size / (width * height))
        sprites.append(sprite)
    place_sprites(rng, grid, sprites)
    return grid


GENERATORS = (
    BarcGenerator("count_objects", count_objects_input, COUNT_OBJECTS, "one pixel per object in a row"),
    BarcGenerator("majority_color", majority_color_input, MAJORITY_COLOR, "a square of the most common colour"),
    BarcGenerator("recolor_by_size", recolor_by_size_input, RECOLOR_BY_SIZE, "recolour objects by their size"),
)
