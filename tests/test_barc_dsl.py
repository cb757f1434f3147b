"""Tests of solver.dsl.barc, part 1: colours, drawing, boxes, sprites and object relations.

Pictures are written as ARC rows (y down) and turned into BARC's ``grid[x, y]`` arrays by
``picture``, so each expected array reads like the grid it describes.
"""

from __future__ import annotations

import numpy as np
import pytest

from solver.dsl.barc import (
    Color,
    blit,
    blit_object,
    blit_sprite,
    bounding_box,
    bounding_box_mask,
    check_between_objects,
    collision,
    contact,
    crop,
    draw_line,
    flood_fill,
    object_colors,
    object_position,
    random_scatter_points,
    randomly_scatter_points,
    scale_pattern,
    scale_sprite,
    translate,
)


def picture(rows: list[list[int]]) -> np.ndarray:
    """An ARC-style list of rows as a BARC ``grid[x, y]`` array (the transpose)."""
    return np.array(rows).T


def test_color_constants_match_barc():
    assert (Color.BLACK, Color.BLUE, Color.RED, Color.GREEN, Color.YELLOW) == (
        0,
        1,
        2,
        3,
        4,
    )
    assert (
        Color.GREY,
        Color.GRAY,
        Color.PINK,
        Color.ORANGE,
        Color.TEAL,
        Color.MAROON,
    ) == (5, 5, 6, 7, 8, 9)
    assert Color.TRANSPARENT == Color.BACKGROUND == 0
    assert Color.ALL_COLORS == list(range(10))
    assert Color.NOT_BLACK == list(range(1, 10))


def test_flood_fill_four_way_stops_at_other_colours():
    grid = picture([[0, 0, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]])
    assert flood_fill(grid, 0, 0, Color.RED) is None
    assert np.array_equal(grid, picture([[2, 2, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]]))


def test_flood_fill_eight_way_crosses_corners():
    grid = picture([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    four_way = grid.copy()
    flood_fill(four_way, 1, 1, Color.GREEN, connectivity=4)
    assert np.array_equal(four_way, picture([[0, 1, 0], [1, 3, 1], [0, 1, 0]]))
    flood_fill(grid, 1, 1, Color.GREEN, connectivity=8)
    assert np.array_equal(grid, picture([[3, 1, 3], [1, 3, 1], [3, 1, 3]]))


def test_flood_fill_same_colour_is_no_op_and_large_regions_work():
    grid = np.zeros((60, 60), dtype=int)
    flood_fill(grid, 5, 5, Color.BLACK)
    assert not grid.any()
    flood_fill(grid, 0, 0, Color.BLUE)
    assert np.all(grid == Color.BLUE)


def test_draw_line_direction_right_runs_to_edge():
    grid = np.zeros((4, 3), dtype=int)
    end = draw_line(grid, 0, 1, direction=(1, 0), color=Color.RED)
    assert end == (3, 1)
    assert np.array_equal(grid, picture([[0, 0, 0, 0], [2, 2, 2, 2], [0, 0, 0, 0]]))


def test_draw_line_to_end_point_and_by_length():
    grid = np.zeros((3, 3), dtype=int)
    assert draw_line(grid, 0, 0, end_x=2, end_y=2, color=Color.BLUE) == (2, 2)
    assert draw_line(grid, 2, 0, length=2, direction=(0, 2), color=Color.YELLOW) == (
        2,
        1,
    )
    assert np.array_equal(grid, picture([[1, 0, 4], [0, 1, 4], [0, 0, 1]]))


def test_draw_line_stops_before_stop_colour_and_skips_outside_points():
    grid = picture([[0, 0, 5, 0]])
    assert draw_line(
        grid, 0, 0, direction=(1, 0), color=Color.GREEN, stop_at_color=[Color.GREY]
    ) == (1, 0)
    assert np.array_equal(grid, picture([[3, 3, 5, 0]]))
    untouched = picture([[5, 0]])
    assert draw_line(
        untouched, 0, 0, direction=(1, 0), color=Color.RED, stop_at_color=[5]
    ) == (0, 0)
    assert np.array_equal(untouched, picture([[5, 0]]))
    from_outside = np.zeros((3, 1), dtype=int)
    assert draw_line(
        from_outside, -2, 0, direction=(1, 0), length=4, color=Color.TEAL
    ) == (1, 0)
    assert np.array_equal(from_outside, picture([[8, 8, 0]]))


def test_randomly_scatter_points_fills_density_of_background_only():
    np.random.seed(0)
    grid = np.zeros((4, 4), dtype=int)
    grid[0, 0] = Color.RED
    result = randomly_scatter_points(grid, Color.BLUE, density=0.5)
    assert result is grid
    assert grid[0, 0] == Color.RED
    assert np.sum(grid == Color.BLUE) == 8
    legacy = np.zeros((2, 2), dtype=int)
    random_scatter_points(legacy, Color.PINK, density=1.0)
    assert np.array_equal(legacy, np.full((2, 2), Color.PINK))
    with pytest.raises(ValueError):
        randomly_scatter_points(np.ones((2, 2), dtype=int), Color.PINK, density=0.5)


def test_bounding_box_and_mask():
    obj = picture(
        [
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 1, 0, 1, 0],
            [0, 0, 0, 0, 0],
            [0, 0, 1, 0, 0],
        ]
    )
    assert bounding_box(obj) == (1, 2, 3, 3)
    expected_mask = picture(
        [
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 1, 1, 1, 0],
            [0, 1, 1, 1, 0],
            [0, 1, 1, 1, 0],
        ]
    ).astype(bool)
    assert np.array_equal(bounding_box_mask(obj), expected_mask)
    assert bounding_box(np.zeros((3, 2), dtype=int)) == (3, 2, -3, -2)
    assert not bounding_box_mask(np.zeros((3, 2), dtype=int)).any()
    assert bounding_box(np.full((2, 2), 7), background=7) == (2, 2, -2, -2)


def test_crop_returns_the_boxed_pixels():
    obj = picture([[0, 0, 0, 0], [0, 3, 0, 0], [0, 3, 4, 0], [0, 0, 0, 0]])
    assert np.array_equal(crop(obj), picture([[3, 0], [3, 4]]))
    assert np.array_equal(
        crop(picture([[5, 5, 5], [5, 1, 5]]), background=5), picture([[1]])
    )
    assert crop(np.zeros((3, 3), dtype=int)).size == 0


def test_object_position_anchors():
    obj = picture([[0, 0, 0, 0, 0], [0, 1, 1, 1, 0], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0]])
    expected = {
        "upper left": (1, 1),
        "upper right": (3, 1),
        "lower left": (1, 2),
        "lower right": (3, 2),
        "center": (2, 1.5),
        "upper center": (2, 1),
        "lower center": (2, 2),
        "left center": (1, 1.5),
        "right center": (3, 1.5),
        "Top Left": (1, 1),
        "bottom right": (3, 2),
    }
    for anchor, position in expected.items():
        assert object_position(obj, anchor=anchor) == position, anchor
    assert isinstance(object_position(obj, anchor="center")[0], int)
    with pytest.raises(AssertionError):
        object_position(obj, anchor="middle-ish")


def test_object_colors_lists_non_background_colours():
    assert object_colors(picture([[0, 5, 2], [2, 0, 5]])) == [2, 5]
    assert object_colors(picture([[5, 5, 2]]), background=5) == [2]


def test_blit_copies_with_transparency_and_clipping():
    grid = np.full((3, 3), Color.GREY)
    sprite = picture([[1, 0], [0, 2]])
    assert blit(grid.copy(), sprite, 1, 1) is not None
    opaque = blit(grid.copy(), sprite, 1, 1)
    assert np.array_equal(opaque, picture([[5, 5, 5], [5, 1, 0], [5, 0, 2]]))
    transparent = blit(grid.copy(), sprite, -1, 2, background=0)
    assert np.array_equal(transparent, picture([[5, 5, 5], [5, 5, 5], [5, 5, 5]]))
    transparent = blit(grid.copy(), sprite, 2, 0, background=0)
    assert np.array_equal(transparent, picture([[5, 5, 1], [5, 5, 5], [5, 5, 5]]))


def test_blit_sprite_and_blit_object_modify_in_place():
    grid = np.zeros((3, 3), dtype=int)
    result = blit_sprite(grid, picture([[4, 0], [4, 4]]), x=1, y=0)
    assert result is grid
    assert np.array_equal(grid, picture([[0, 4, 0], [0, 4, 4], [0, 0, 0]]))
    blit_object(grid, picture([[1, 1, 0], [0, 0, 0], [0, 0, 1]]))
    assert np.array_equal(grid, picture([[1, 1, 0], [0, 4, 4], [0, 0, 1]]))


def test_scale_sprite_and_scale_pattern():
    sprite = picture([[1, 2], [3, 4]])
    expected = picture([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    assert np.array_equal(scale_sprite(sprite, 2), expected)
    assert np.array_equal(scale_pattern(sprite, 2), expected)
    assert scale_sprite(picture([[1, 2, 3]]), 3).shape == (9, 3)


def test_translate_shifts_and_fills_with_background():
    obj = picture([[1, 2, 0], [0, 3, 0]])
    assert np.array_equal(translate(obj, 1, 0), picture([[0, 1, 2], [0, 0, 3]]))
    assert np.array_equal(
        translate(obj, -1, 1, background=9), picture([[9, 9, 9], [2, 0, 9]])
    )
    assert np.array_equal(translate(obj, 5, 0), np.zeros_like(obj))
    assert np.array_equal(obj, picture([[1, 2, 0], [0, 3, 0]]))


def test_collision_checks_overlap_at_offsets():
    grid = np.zeros((5, 5), dtype=int)
    grid[2, 2] = Color.RED
    sprite = np.ones((2, 2), dtype=int)
    assert collision(object1=grid, object2=sprite, x2=1, y2=1)
    assert not collision(object1=grid, object2=sprite, x2=3, y2=3)
    assert collision(object1=sprite, object2=sprite, x1=4, y1=4, x2=5, y2=5)
    assert not collision(object1=sprite, object2=sprite, x1=4, y1=4, x2=6, y2=4)


def test_contact_counts_neighbours_by_connectivity():
    grid = np.zeros((5, 5), dtype=int)
    grid[2, 2] = Color.RED
    dot = np.ones((1, 1), dtype=int)
    assert contact(object1=grid, object2=dot, x2=3, y2=2)
    assert contact(object1=grid, object2=dot, x2=2, y2=2)
    assert not contact(object1=grid, object2=dot, x2=3, y2=3)
    assert contact(object1=grid, object2=dot, x2=3, y2=3, connectivity=8)
    assert not contact(object1=grid, object2=dot, x2=4, y2=2)
    # a neighbour just outside object1's own array still counts
    assert contact(object1=dot, object2=dot, x1=0, y1=0, x2=1, y2=0)


def test_check_between_objects_horizontally_and_vertically():
    left = np.zeros((6, 6), dtype=int)
    left[0:2, 0:3] = Color.BLUE
    right = np.zeros((6, 6), dtype=int)
    right[4:6, 1:4] = Color.RED
    assert check_between_objects(left, right, 2, 1)
    assert check_between_objects(right, left, 3, 2)
    assert not check_between_objects(left, right, 2, 0)
    assert not check_between_objects(left, right, 2, 2, padding=1)
    assert not check_between_objects(left, right, 4, 1)
    top = np.zeros((6, 6), dtype=int)
    top[1:4, 0] = Color.GREEN
    bottom = np.zeros((6, 6), dtype=int)
    bottom[2:5, 4:6] = Color.GREEN
    assert check_between_objects(top, bottom, 2, 2)
    assert check_between_objects(top, bottom, 3, 1, padding=0)
    assert not check_between_objects(top, bottom, 1, 2)
