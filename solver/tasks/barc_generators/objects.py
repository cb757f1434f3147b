"""Object generators: recolour by size, crop an object, outline boxes, boundaries and halos."""

from __future__ import annotations

import random

import numpy as np

from solver.dsl.barc import random_sprite
from solver.tasks.barc_generators.core import HEADER, BarcGenerator, Redraw, place_sprites, random_colors, random_shape

# -- largest object turns blue ---------------------------------------------------------------

RECOLOR_LARGEST = HEADER + '''# concepts:
# objects, size, recolouring
# description:
# In the input you will see several grey objects. Colour the largest one blue; the others stay grey.

def transform(input_grid: np.ndarray) -> np.ndarray:
    objects = find_connected_components(input_grid, background=Color.BLACK, connectivity=4, monochromatic=True)
    largest = max(objects, key=lambda obj: np.sum(obj != Color.BLACK))
    output_grid = np.copy(input_grid)
    output_grid[largest != Color.BLACK] = Color.BLUE
    return output_grid
'''


def recolor_largest_input(rng: np.random.Generator) -> np.ndarray:
    """Grey shapes of distinct sizes (a tie for the largest would make the task ambiguous)."""
    grid = np.zeros((int(rng.integers(10, 16)), int(rng.integers(10, 16))), dtype=int)
    sprites = [random_shape(rng, int(rng.integers(1, 5)), int(rng.integers(1, 5)), 5) for _ in range(int(rng.integers(3, 6)))]
    sizes = sorted(int(np.count_nonzero(s)) for s in sprites)
    if sizes[-1] == sizes[-2]:
        raise Redraw
    place_sprites(rng, grid, sprites)
    return grid


# -- crop the largest object -------------------------------------------------------------------

CROP_LARGEST = HEADER + '''# concepts:
# objects, cropping, size
# description:
# In the input you will see several objects of different colours. Output the largest object, cropped to its bounding box.

def transform(input_grid: np.ndarray) -> np.ndarray:
    objects = find_connected_components(input_grid, background=Color.BLACK, connectivity=8, monochromatic=False)
    largest = max(objects, key=lambda obj: np.sum(obj != Color.BLACK))
    return crop(largest, background=Color.BLACK)
'''


def crop_largest_input(rng: np.random.Generator) -> np.ndarray:
    """Coloured shapes with one strictly largest."""
    grid = np.zeros((int(rng.integers(10, 18)), int(rng.integers(10, 18))), dtype=int)
    count = int(rng.integers(2, 5))
    colors = random_colors(rng, count)
    sprites = [random_shape(rng, int(rng.integers(2, 6)), int(rng.integers(2, 6)), c) for c in colors]
    sizes = sorted(int(np.count_nonzero(s)) for s in sprites)
    if sizes[-1] == sizes[-2]:
        raise Redraw
    place_sprites(rng, grid, sprites)
    return grid


# -- crop the odd-coloured object -------------------------------------------------------------

CROP_ODD_COLOR = HEADER + '''# concepts:
# objects, cropping, odd one out
# description:
# In the input you will see several sprites. All but one share a colour. Output the sprite with the unique colour, cropped.

def transform(input_grid: np.ndarray) -> np.ndarray:
    objects = detect_objects(input_grid, background=Color.BLACK, connectivity=8, monochromatic=False)
    colors = [object_colors(obj, background=Color.BLACK)[0] for obj in objects]
    for obj, color in zip(objects, colors):
        if colors.count(color) == 1:
            return crop(obj, background=Color.BLACK)
    return input_grid
'''


def crop_odd_color_input(rng: np.random.Generator) -> np.ndarray:
    """Sprites from the DSL's ``random_sprite`` (Python's ``random``, seeded from ``rng``)."""
    random.seed(int(rng.integers(2**31)))
    common, odd = random_colors(rng, 2)
    grid = np.zeros((int(rng.integers(12, 18)), int(rng.integers(12, 18))), dtype=int)
    sprites = [random_sprite([2, 3, 4], [2, 3, 4], color_palette=[odd])]
    sprites += [random_sprite([2, 3, 4], [2, 3, 4], color_palette=[common]) for _ in range(int(rng.integers(2, 5)))]
    place_sprites(rng, grid, sprites)
    return grid


# -- outline each object's bounding box --------------------------------------------------------

BOX_OUTLINE = HEADER + '''# concepts:
# objects, bounding box, lines
# description:
# In the input you will see several objects. Draw a teal rectangle just outside each object's bounding box.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=8, monochromatic=False):
        x, y, width, height = bounding_box(obj, background=Color.BLACK)
        left, top, right, bottom = x - 1, y - 1, x + width, y + height
        draw_line(output_grid, left, top, end_x=right, end_y=top, color=Color.TEAL)
        draw_line(output_grid, left, bottom, end_x=right, end_y=bottom, color=Color.TEAL)
        draw_line(output_grid, left, top, end_x=left, end_y=bottom, color=Color.TEAL)
        draw_line(output_grid, right, top, end_x=right, end_y=bottom, color=Color.TEAL)
    return output_grid
'''


def box_outline_input(rng: np.random.Generator) -> np.ndarray:
    """Non-teal shapes kept two pixels apart and off the border, so the outlines fit and never meet."""
    grid = np.zeros((int(rng.integers(10, 18)), int(rng.integers(10, 18))), dtype=int)
    colors = [int(rng.choice([1, 2, 3, 4, 6])) for _ in range(int(rng.integers(1, 4)))]
    sprites = [random_shape(rng, int(rng.integers(1, 5)), int(rng.integers(1, 5)), c) for c in colors]
    place_sprites(rng, grid, sprites, padding=3, border=1)
    return grid


# -- interior of solid objects turns red ------------------------------------------------------

BOUNDARY_RECOLOR = HEADER + '''# concepts:
# objects, boundary, interior
# description:
# In the input you will see solid blue objects. Keep each object's boundary blue and colour the pixels inside it red.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=4):
        boundary = object_boundary(obj, background=Color.BLACK)
        inside = (obj != Color.BLACK) & ~boundary
        output_grid[inside] = Color.RED
    return output_grid
'''


def boundary_recolor_input(rng: np.random.Generator) -> np.ndarray:
    """Solid blue rectangles and plus shapes, at least 3 wide so they have insides."""
    grid = np.zeros((int(rng.integers(10, 18)), int(rng.integers(10, 18))), dtype=int)
    sprites = []
    for _ in range(int(rng.integers(1, 4))):
        sprite = np.full((int(rng.integers(3, 7)), int(rng.integers(3, 7))), 1, dtype=int)
        if rng.random() < 0.3:
            sprite[0, 0] = sprite[-1, 0] = sprite[0, -1] = sprite[-1, -1] = 0
        sprites.append(sprite)
    place_sprites(rng, grid, sprites, padding=1)
    return grid


# -- yellow halo around pixels ---------------------------------------------------------------

HALO = HEADER + '''# concepts:
# objects, neighbours, surrounding
# description:
# In the input you will see scattered red pixels. Surround each with a yellow ring of its eight neighbours.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=8):
        ring = object_neighbors(obj, background=Color.BLACK, connectivity=8)
        output_grid[ring] = Color.YELLOW
    return output_grid
'''


def halo_input(rng: np.random.Generator) -> np.ndarray:
    """Red pixels three apart so that the rings do not touch other pixels."""
    grid = np.zeros((int(rng.integers(7, 15)), int(rng.integers(7, 15))), dtype=int)
    place_sprites(rng, grid, [np.full((1, 1), 2, dtype=int) for _ in range(int(rng.integers(1, 5)))], padding=2)
    return grid


GENERATORS = (
    BarcGenerator("recolor_largest", recolor_largest_input, RECOLOR_LARGEST, "the largest grey object turns blue"),
    BarcGenerator("crop_largest", crop_largest_input, CROP_LARGEST, "output the largest object, cropped"),
    BarcGenerator("crop_odd_color", crop_odd_color_input, CROP_ODD_COLOR, "output the sprite with the unique colour, cropped"),
    BarcGenerator("box_outline", box_outline_input, BOX_OUTLINE, "draw a teal box around each object"),
    BarcGenerator("boundary_recolor", boundary_recolor_input, BOUNDARY_RECOLOR, "the inside of solid blue objects turns red"),
    BarcGenerator("halo", halo_input, HALO, "surround red pixels with yellow rings"),
)
