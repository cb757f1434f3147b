"""Line generators: rays that stop at walls, joining pairs, diagonals and borders."""

from __future__ import annotations

import numpy as np

from solver.tasks.barc_generators.core import HEADER, BarcGenerator, Redraw, random_colors

RAYS_TO_WALL = HEADER + '''# concepts:
# lines, obstacles
# description:
# In the input you will see coloured pixels and grey walls. Each coloured pixel shoots a line of its colour to the right, stopping just before a grey wall or at the edge.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    width, height = input_grid.shape
    for x in range(width):
        for y in range(height):
            color = input_grid[x, y]
            if color != Color.BLACK and color != Color.GREY:
                draw_line(output_grid, x + 1, y, direction=(1, 0), color=color, stop_at_color=[Color.GREY])
    return output_grid
'''


def rays_to_wall_input(rng: np.random.Generator) -> np.ndarray:
    """A few vertical grey walls and at most one coloured pixel per row, not at the right edge."""
    width, height = int(rng.integers(8, 16)), int(rng.integers(6, 14))
    grid = np.zeros((width, height), dtype=int)
    for _ in range(int(rng.integers(1, 3))):
        x, y = int(rng.integers(2, width)), int(rng.integers(height))
        grid[x, y : y + int(rng.integers(2, height + 1))] = 5
    rows = rng.choice(height, size=int(rng.integers(2, min(5, height) + 1)), replace=False)
    for y in rows:
        free = [x for x in range(width - 1) if grid[x, y] == 0 and grid[x + 1, y] == 0]
        if not free:
            raise Redraw
        grid[int(rng.choice(free)), int(y)] = int(rng.choice([1, 2, 3, 4, 6, 8]))
    return grid


CONNECT_PAIRS = HEADER + '''# concepts:
# lines, pairs, connecting
# description:
# In the input you will see pairs of same-coloured pixels on a shared row or column. Join each pair with a line of its colour.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for color in object_colors(input_grid, background=Color.BLACK):
        points = np.argwhere(input_grid == color)
        if len(points) != 2:
            continue
        (x1, y1), (x2, y2) = points
        if x1 == x2 or y1 == y2:
            draw_line(output_grid, x1, y1, end_x=x2, end_y=y2, color=color)
    return output_grid
'''


def connect_pairs_input(rng: np.random.Generator) -> np.ndarray:
    """Pairs in distinct colours whose joining segments neither cross nor touch."""
    width, height = int(rng.integers(8, 16)), int(rng.integers(8, 16))
    grid = np.zeros((width, height), dtype=int)
    taken = np.zeros((width, height), dtype=bool)
    for color in random_colors(rng, int(rng.integers(1, 4))):
        for _ in range(50):
            if rng.random() < 0.5:
                y, x1, x2 = int(rng.integers(height)), *sorted(int(v) for v in rng.choice(width, size=2, replace=False))
                if x2 - x1 < 2 or taken[max(0, x1 - 1) : x2 + 2, max(0, y - 1) : y + 2].any():
                    continue
                taken[x1 : x2 + 1, y] = True
                grid[x1, y] = grid[x2, y] = color
            else:
                x, y1, y2 = int(rng.integers(width)), *sorted(int(v) for v in rng.choice(height, size=2, replace=False))
                if y2 - y1 < 2 or taken[max(0, x - 1) : x + 2, max(0, y1 - 1) : y2 + 2].any():
                    continue
                taken[x, y1 : y2 + 1] = True
                grid[x, y1] = grid[x, y2] = color
            break
        else:
            raise Redraw
    return grid


DIAGONAL_RAYS = HEADER + '''# concepts:
# lines, diagonals
# description:
# In the input you will see a few coloured pixels. From each, draw its colour along both diagonals out to the edges of the grid.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for x, y in np.argwhere(input_grid != Color.BLACK):
        color = input_grid[x, y]
        for direction in [(1, 1), (1, -1), (-1, 1), (-1, -1)]:
            draw_line(output_grid, x, y, direction=direction, color=color)
    return output_grid
'''


def diagonal_rays_input(rng: np.random.Generator) -> np.ndarray:
    """One or two pixels of distinct colours on a black grid."""
    width, height = int(rng.integers(6, 14)), int(rng.integers(6, 14))
    grid = np.zeros((width, height), dtype=int)
    for color in random_colors(rng, int(rng.integers(1, 3))):
        grid[int(rng.integers(width)), int(rng.integers(height))] = color
    return grid


BORDER_FROM_PIXEL = HEADER + '''# concepts:
# lines, border, colour from a pixel
# description:
# In the input you will see one coloured pixel. Remove it and draw a border around the whole grid in its colour.

def transform(input_grid: np.ndarray) -> np.ndarray:
    width, height = input_grid.shape
    color = object_colors(input_grid, background=Color.BLACK)[0]
    output_grid = np.zeros_like(input_grid)
    draw_line(output_grid, 0, 0, direction=(1, 0), color=color)
    draw_line(output_grid, 0, height - 1, direction=(1, 0), color=color)
    draw_line(output_grid, 0, 0, direction=(0, 1), color=color)
    draw_line(output_grid, width - 1, 0, direction=(0, 1), color=color)
    return output_grid
'''


def border_from_pixel_input(rng: np.random.Generator) -> np.ndarray:
    """A single pixel strictly inside the grid."""
    width, height = int(rng.integers(4, 12)), int(rng.integers(4, 12))
    grid = np.zeros((width, height), dtype=int)
    grid[int(rng.integers(1, width - 1)), int(rng.integers(1, height - 1))] = random_colors(rng, 1)[0]
    return grid


GENERATORS = (
    BarcGenerator("rays_to_wall", rays_to_wall_input, RAYS_TO_WALL, "pixels shoot right until a grey wall"),
    BarcGenerator("connect_pairs", connect_pairs_input, CONNECT_PAIRS, "join same-coloured pixel pairs with lines"),
    BarcGenerator("diagonal_rays", diagonal_rays_input, DIAGONAL_RAYS, "draw both diagonals through each pixel"),
    BarcGenerator("border_from_pixel", border_from_pixel_input, BORDER_FROM_PIXEL, "a border in the colour of the only pixel"),
)
