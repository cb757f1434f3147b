"""Movement generators: gravity on pixels, falling objects, sliding into contact."""

from __future__ import annotations

import numpy as np

from solver.tasks.barc_generators.core import HEADER, BarcGenerator, Redraw, place_sprites, random_colors, random_shape

GRAVITY_DOWN = HEADER + '''# concepts:
# gravity, pixels
# description:
# In the input you will see scattered coloured pixels. Let every pixel fall to the bottom of its column, keeping their order.

def transform(input_grid: np.ndarray) -> np.ndarray:
    width, height = input_grid.shape
    output_grid = np.zeros_like(input_grid)
    for x in range(width):
        column = [color for color in input_grid[x, :] if color != Color.BLACK]
        for i, color in enumerate(column):
            output_grid[x, height - len(column) + i] = color
    return output_grid
'''


def gravity_down_input(rng: np.random.Generator) -> np.ndarray:
    """Sparse pixels of two or three colours."""
    width, height = int(rng.integers(4, 12)), int(rng.integers(4, 12))
    colors = random_colors(rng, int(rng.integers(2, 4)))
    grid = np.where(rng.random((width, height)) < 0.25, rng.choice(colors, size=(width, height)), 0)
    return grid.astype(int)


OBJECTS_FALL = HEADER + '''# concepts:
# gravity, objects, collision
# description:
# In the input you will see several objects. Each falls straight down as a rigid body until it lands on the floor or on another object.

def transform(input_grid: np.ndarray) -> np.ndarray:
    objects = find_connected_components(input_grid, background=Color.BLACK, connectivity=4, monochromatic=False)
    # the lowest objects land first
    objects.sort(key=lambda obj: -(bounding_box(obj)[1] + bounding_box(obj)[3]))
    output_grid = np.zeros_like(input_grid)
    for obj in objects:
        while True:
            moved = translate(obj, 0, 1, background=Color.BLACK)
            fell_off = np.sum(moved != Color.BLACK) < np.sum(obj != Color.BLACK)
            if fell_off or collision(object1=output_grid, object2=moved):
                break
            obj = moved
        blit_object(output_grid, obj, background=Color.BLACK)
    return output_grid
'''


def objects_fall_input(rng: np.random.Generator) -> np.ndarray:
    """A few shapes in distinct colours, floating apart."""
    grid = np.zeros((int(rng.integers(8, 14)), int(rng.integers(8, 14))), dtype=int)
    colors = random_colors(rng, int(rng.integers(2, 5)))
    sprites = [random_shape(rng, int(rng.integers(1, 4)), int(rng.integers(1, 4)), c, density=0.8) for c in colors]
    place_sprites(rng, grid, sprites, padding=1)
    return grid


ATTRACT_TO_WALL = HEADER + '''# concepts:
# contact, translation, attraction
# description:
# In the input you will see a vertical grey wall and objects on both sides of it. Slide each object horizontally toward the wall until it touches it.

def transform(input_grid: np.ndarray) -> np.ndarray:
    wall = np.where(input_grid == Color.GREY, Color.GREY, Color.BLACK)
    wall_x = bounding_box(wall, background=Color.BLACK)[0]
    output_grid = np.copy(wall)
    objects = find_connected_components(input_grid, background=Color.BLACK, connectivity=8, monochromatic=False)
    for obj in objects:
        if np.any(obj == Color.GREY):
            continue
        step = 1 if bounding_box(obj, background=Color.BLACK)[0] < wall_x else -1
        while not contact(object1=wall, object2=obj, background=Color.BLACK):
            obj = translate(obj, step, 0, background=Color.BLACK)
        blit_object(output_grid, obj, background=Color.BLACK)
    return output_grid
'''


def attract_to_wall_input(rng: np.random.Generator) -> np.ndarray:
    """A full-height wall; shapes in their own horizontal bands so they never meet while sliding."""
    width, height = int(rng.integers(10, 18)), int(rng.integers(8, 16))
    grid = np.zeros((width, height), dtype=int)
    wall_x = int(rng.integers(4, width - 4))
    grid[wall_x, :] = 5
    y = 0
    while True:
        sprite = random_shape(rng, int(rng.integers(1, 4)), int(rng.integers(1, 4)), random_colors(rng, 1, exclude=(0, 5))[0], density=0.8)
        sw, sh = sprite.shape
        if y + sh > height:
            break
        left = rng.random() < 0.5
        x = int(rng.integers(0, wall_x - sw - 1 + 1)) if left else int(rng.integers(wall_x + 2, width - sw + 1)) if wall_x + 2 <= width - sw else -1
        if x < 0 or (left and x + sw > wall_x - 1):
            y += 1
            continue
        grid[x : x + sw, y : y + sh] = sprite
        y += sh + 1
    if np.count_nonzero((grid != 0) & (grid != 5)) == 0:
        raise Redraw
    return grid


GENERATORS = (
    BarcGenerator("gravity_down", gravity_down_input, GRAVITY_DOWN, "pixels fall to the bottom"),
    BarcGenerator("objects_fall", objects_fall_input, OBJECTS_FALL, "objects fall as rigid bodies"),
    BarcGenerator("attract_to_wall", attract_to_wall_input, ATTRACT_TO_WALL, "objects slide until they touch the grey wall"),
)
