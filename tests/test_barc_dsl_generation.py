"""Tests of solver.dsl.barc, part 3: random generation helpers, display no-ops, and a whole program.

Random helpers are checked for the properties BARC promises (sizes, spacing, symmetry, free
placement) under fixed seeds of Python's ``random`` and ``np.random``.
"""

from __future__ import annotations

import random
import sys
import types

import numpy as np
import pytest

from solver.dsl import barc
from solver.dsl.barc import (
    Color,
    apply_diagonal_symmetry,
    apply_symmetry,
    generate_position_has_interval,
    generate_sprite,
    is_contiguous,
    random_free_location_for_object,
    random_free_location_for_sprite,
    random_sprite,
    randomly_spaced_indices,
    show_colored_grid,
    visualize,
)


def test_random_free_location_for_sprite_finds_the_only_hole():
    grid = np.full((5, 5), Color.RED)
    grid[3:5, 3:5] = Color.BLACK
    sprite = np.ones((2, 2), dtype=int)
    assert random_free_location_for_sprite(grid, sprite) == (3, 3)
    assert random_free_location_for_object(grid, sprite) == (3, 3)
    with pytest.raises(ValueError):
        random_free_location_for_sprite(grid, sprite, padding=1)


def test_random_free_location_respects_border_padding_and_sprite_transparency():
    assert random_free_location_for_sprite(
        np.zeros((4, 4), dtype=int), np.ones((2, 2), dtype=int), border_size=1
    ) == (1, 1)
    row = np.zeros((5, 1), dtype=int)
    row[0, 0] = Color.BLUE
    random.seed(1)
    spots = {
        random_free_location_for_sprite(row, np.ones((1, 1), dtype=int), padding=1)
        for _ in range(40)
    }
    assert spots == {(2, 0), (3, 0), (4, 0)}
    corner_gap = np.full((2, 2), Color.RED)
    corner_gap[1, 1] = Color.BLACK
    l_shape = np.array([[0, 0], [0, 5]])
    assert random_free_location_for_sprite(corner_gap, l_shape) == (0, 0)


def test_randomly_spaced_indices_are_spaced_and_inside_borders():
    random.seed(3)
    for _ in range(20):
        indices = randomly_spaced_indices(12, 3, border_size=1, padding=1)
        assert len(indices) == 3
        assert np.all(np.diff(indices) >= 2)
        assert indices.min() >= 1 and indices.max() <= 12 - 3
    assert randomly_spaced_indices(5, 3, border_size=0, padding=1).tolist() == [0, 2, 4]
    with pytest.raises(IndexError):
        randomly_spaced_indices(3, 3, border_size=0, padding=1)


def test_generate_position_has_interval():
    np.random.seed(0)
    positions = generate_position_has_interval(10, 3)
    assert (
        len(positions) == 3 and np.all(np.diff(positions) >= 2) and positions.max() < 10
    )
    padded = generate_position_has_interval(7, 3, if_padding=True)
    assert padded.tolist() == [1, 3, 5]
    assert generate_position_has_interval(4, 3) is None


def test_apply_symmetry_horizontal_and_vertical():
    sprite = np.array([[1, 0], [0, 0], [0, 2]])
    assert apply_symmetry(sprite.copy(), "horizontal").tolist() == [
        [1, 2],
        [0, 0],
        [1, 2],
    ]
    assert apply_symmetry(sprite.copy(), "vertical").tolist() == [
        [1, 1],
        [0, 0],
        [2, 2],
    ]
    with pytest.raises(ValueError):
        apply_symmetry(sprite.copy(), "sideways")


def test_apply_diagonal_symmetry():
    assert apply_diagonal_symmetry(np.array([[1, 2], [3, 0]])).tolist() == [
        [1, 2],
        [2, 0],
    ]
    assert apply_diagonal_symmetry(np.array([[1, 0], [3, 0]])).tolist() == [
        [1, 3],
        [3, 0],
    ]
    with pytest.raises(ValueError):
        apply_diagonal_symmetry(np.zeros((2, 3), dtype=int))


def test_generate_sprite_fills_and_symmetrises():
    random.seed(5)
    plain = generate_sprite(
        4, 5, "not_symmetric", fill_percentage=0.5, color_palate=[Color.TEAL]
    )
    assert plain.shape == (4, 5) and np.sum(plain == Color.TEAL) >= 10
    assert set(np.unique(plain)) <= {Color.BLACK, Color.TEAL}
    mirrored = generate_sprite(5, 4, "mirror")
    assert np.array_equal(mirrored, mirrored[::-1, :]) and np.array_equal(
        mirrored, mirrored[:, ::-1]
    )
    radial = generate_sprite(5, 5, "radial")
    assert np.array_equal(radial, np.rot90(radial))


@pytest.mark.parametrize(
    "symmetry, is_symmetric",
    [
        ("horizontal", lambda s: np.array_equal(s, s[::-1, :])),
        ("vertical", lambda s: np.array_equal(s, s[:, ::-1])),
        (
            "diagonal",
            lambda s: np.array_equal(s, s.T) or np.array_equal(s, np.rot90(s, 2).T),
        ),
        ("radial", lambda s: np.array_equal(s, np.rot90(s))),
        (
            "mirror",
            lambda s: np.array_equal(s, s[::-1, :]) and np.array_equal(s, s[:, ::-1]),
        ),
        ("not_symmetric", lambda s: True),
    ],
)
def test_random_sprite_is_contiguous_touches_edges_and_is_symmetric(
    symmetry, is_symmetric
):
    random.seed(11)
    for _ in range(5):
        sprite = random_sprite(
            [3, 4, 5], [4, 5], symmetry=symmetry, color_palette=[Color.RED, Color.BLUE]
        )
        assert sprite.shape[0] in (3, 4, 5) and sprite.shape[1] in (4, 5)
        assert is_contiguous(sprite)
        assert (
            sprite[0, :].any()
            and sprite[-1, :].any()
            and sprite[:, 0].any()
            and sprite[:, -1].any()
        )
        assert set(np.unique(sprite)) <= {Color.BLACK, Color.RED, Color.BLUE}
        assert is_symmetric(sprite)


def test_random_sprite_accepts_ranges_and_is_reproducible():
    random.seed(7)
    first = random_sprite(range(2, 5), 3, density=0.6)
    random.seed(7)
    second = random_sprite(range(2, 5), 3, density=0.6)
    assert np.array_equal(first, second)
    assert first.shape[1] == 3 and 2 <= first.shape[0] <= 4
    line = random_sprite(1, 4)
    assert line.shape == (1, 4) and np.all(line != Color.BLACK)


def test_display_helpers_are_silent_no_ops(capsys):
    assert show_colored_grid(np.zeros((2, 2), dtype=int)) is None
    assert visualize(lambda: np.zeros((2, 2), dtype=int), lambda grid: grid) is None
    assert capsys.readouterr().out == ""


def test_all_lists_every_public_name():
    assert len(barc.__all__) == len(set(barc.__all__))
    for name in barc.__all__:
        assert hasattr(barc, name), name
    expected = {
        "Color",
        "flood_fill",
        "draw_line",
        "find_connected_components",
        "randomly_scatter_points",
        "random_scatter_points",
        "scale_sprite",
        "scale_pattern",
        "blit",
        "blit_object",
        "blit_sprite",
        "bounding_box",
        "bounding_box_mask",
        "object_position",
        "object_colors",
        "crop",
        "translate",
        "collision",
        "contact",
        "randomly_spaced_indices",
        "check_between_objects",
        "random_free_location_for_sprite",
        "random_free_location_for_object",
        "object_interior",
        "object_boundary",
        "object_neighbors",
        "Symmetry",
        "orbit",
        "TranslationalSymmetry",
        "detect_translational_symmetry",
        "MirrorSymmetry",
        "detect_mirror_symmetry",
        "detect_rotational_symmetry",
        "show_colored_grid",
        "visualize",
        "apply_symmetry",
        "apply_diagonal_symmetry",
        "is_contiguous",
        "generate_sprite",
        "random_sprite",
        "detect_objects",
        "generate_position_has_interval",
    }
    assert expected <= set(barc.__all__)


BARC_STYLE_PROGRAM = """
from common import *

import numpy as np
from typing import *

# concepts:
# objects, lines, symmetry, scaling

# description:
# Every grey pixel shoots a red line upward until it hits a blue pixel. The output is the grid
# with those lines, with each blue object's bounding box outlined in its interior... then the
# largest object is also returned as a scaled-up sprite.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for x, y in np.argwhere(input_grid == Color.GREY):
        draw_line(output_grid, x, y - 1, direction=(0, -1), color=Color.RED, stop_at_color=[Color.BLUE])
    blue_objects = detect_objects(input_grid, colors=[Color.BLUE], monochromatic=True, connectivity=4)
    for obj in blue_objects:
        x, y, width, height = bounding_box(obj, background=Color.BLACK)
        sprite = crop(obj, background=Color.BLACK)
        if width * height > 1:
            interior = object_interior(obj) & (obj == Color.BLACK)
            output_grid[interior] = Color.YELLOW
    return output_grid

def main(input_grid):
    largest = max(find_connected_components(input_grid, monochromatic=False), key=lambda o: np.sum(o != Color.BLACK))
    return scale_sprite(crop(largest), factor=2)

def generate_input() -> np.ndarray:
    grid = np.zeros((8, 8), dtype=int)
    sprite = random_sprite(3, 3, color_palette=[Color.BLUE])
    x, y = random_free_location_for_sprite(grid, sprite, border_size=1)
    blit_sprite(grid, sprite, x, y)
    grid[random.randint(0, 7), 7] = Color.GREY
    return grid
"""


def test_barc_style_program_runs_against_the_api(monkeypatch):
    common = types.ModuleType("common")
    for name in barc.__all__:
        setattr(common, name, getattr(barc, name))
    common.__all__ = list(barc.__all__)
    monkeypatch.setitem(sys.modules, "common", common)
    namespace = {name: getattr(barc, name) for name in barc.__all__}
    exec(compile(BARC_STYLE_PROGRAM, "<barc program>", "exec"), namespace)  # noqa: S102 - our own test program

    input_grid = np.array(
        [
            [0, 0, 0, 0, 0],
            [0, 1, 1, 1, 0],
            [0, 1, 0, 1, 0],
            [0, 1, 1, 1, 0],
            [0, 0, 0, 0, 0],
            [0, 0, 5, 0, 5],
        ]
    ).T  # ARC rows -> grid[x, y]
    expected = np.array(
        [
            [0, 0, 0, 0, 2],
            [0, 1, 1, 1, 2],
            [0, 1, 4, 1, 2],
            [0, 1, 1, 1, 2],
            [0, 0, 2, 0, 2],
            [0, 0, 5, 0, 5],
        ]
    ).T
    assert np.array_equal(namespace["transform"](input_grid.copy()), expected)

    scaled = namespace["main"](input_grid)
    assert scaled.shape == (6, 6)
    assert np.array_equal(scaled[:2, :2], np.full((2, 2), Color.BLUE))
    assert np.array_equal(scaled[2:4, 2:4], np.zeros((2, 2), dtype=int))

    random.seed(0)
    generated = namespace["generate_input"]()
    assert generated.shape == (8, 8)
    assert np.sum(generated == Color.GREY) == 1
    assert np.any(generated[1:7, 1:7] == Color.BLUE)
