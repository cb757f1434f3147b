"""Tests of solver.dsl.barc, part 2: components, object shape masks, detect_objects and symmetry.

Pictures are ARC rows (y down); ``picture`` turns them into BARC's ``grid[x, y]`` arrays.
"""

from __future__ import annotations

import numpy as np

from solver.dsl.barc import (
    Color,
    MirrorSymmetry,
    RotationalSymmetry,
    TranslationalSymmetry,
    detect_mirror_symmetry,
    detect_objects,
    detect_rotational_symmetry,
    detect_translational_symmetry,
    find_connected_components,
    is_contiguous,
    object_boundary,
    object_interior,
    object_neighbors,
    orbit,
)


def picture(rows: list[list[int]]) -> np.ndarray:
    """An ARC-style list of rows as a BARC ``grid[x, y]`` array (the transpose)."""
    return np.array(rows).T


def as_pictures(objects: list[np.ndarray]) -> list[list[list[int]]]:
    """Objects back as ARC-style row lists, for readable comparisons."""
    return [obj.T.tolist() for obj in objects]


GRID = picture(
    [
        [1, 1, 0, 2],
        [0, 0, 0, 2],
        [3, 0, 1, 0],
    ]
)


def test_find_connected_components_monochromatic_by_colour_then_scan_order():
    components = find_connected_components(GRID)
    assert as_pictures(components) == [
        [[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
        [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]],
        [[0, 0, 0, 2], [0, 0, 0, 2], [0, 0, 0, 0]],
        [[0, 0, 0, 0], [0, 0, 0, 0], [3, 0, 0, 0]],
    ]
    assert all(component.dtype == GRID.dtype for component in components)


def test_find_connected_components_multicolour_eight_way_and_background():
    components = find_connected_components(GRID, connectivity=8, monochromatic=False)
    assert as_pictures(components) == [
        [[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
        [[0, 0, 0, 0], [0, 0, 0, 0], [3, 0, 0, 0]],
        [[0, 0, 0, 2], [0, 0, 0, 2], [0, 0, 1, 0]],
    ]
    two_colours = picture([[1, 2], [5, 5]])
    assert (
        len(find_connected_components(two_colours, background=5, monochromatic=True))
        == 2
    )
    joined = find_connected_components(two_colours, background=5, monochromatic=False)
    assert as_pictures(joined) == [[[1, 2], [5, 5]]]


def test_is_contiguous_depends_on_connectivity():
    diagonal = picture([[1, 0], [0, 1]])
    assert not is_contiguous(diagonal)
    assert is_contiguous(diagonal, connectivity=8)
    assert is_contiguous(picture([[4, 4], [4, 0]]))
    assert not is_contiguous(np.zeros((2, 2), dtype=int))


BLOCK = picture(
    [
        [0, 0, 0, 0, 0],
        [0, 1, 1, 1, 0],
        [0, 1, 1, 1, 0],
        [0, 1, 1, 1, 0],
        [0, 0, 0, 0, 0],
    ]
)


def test_object_interior_includes_enclosed_holes():
    ring = picture([[1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]])
    expected = picture([[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]]).astype(
        bool
    )
    assert np.array_equal(object_interior(ring), expected)
    assert np.array_equal(object_interior(BLOCK), BLOCK == 1)


def test_object_boundary_excludes_inner_pixels():
    expected = picture(
        [
            [0, 0, 0, 0, 0],
            [0, 1, 1, 1, 0],
            [0, 1, 0, 1, 0],
            [0, 1, 1, 1, 0],
            [0, 0, 0, 0, 0],
        ]
    ).astype(bool)
    assert np.array_equal(object_boundary(BLOCK), expected)
    # pixels on the canvas edge are boundary even with nothing outside them
    full = object_boundary(np.ones((3, 3), dtype=int))
    assert full.sum() == 8 and not full[1, 1]


def test_object_neighbors_four_and_eight_way():
    four = picture(
        [
            [0, 1, 1, 1, 0],
            [1, 0, 0, 0, 1],
            [1, 0, 0, 0, 1],
            [1, 0, 0, 0, 1],
            [0, 1, 1, 1, 0],
        ]
    ).astype(bool)
    assert np.array_equal(object_neighbors(BLOCK), four)
    eight = four.copy()
    eight[[0, 0, 4, 4], [0, 4, 0, 4]] = True
    assert np.array_equal(object_neighbors(BLOCK, connectivity=8), eight)


def test_detect_objects_by_connectivity_with_filters():
    assert as_pictures(
        detect_objects(GRID, connectivity=4, monochromatic=True, can_overlap=True)
    ) == as_pictures(find_connected_components(GRID))
    big = detect_objects(
        GRID,
        connectivity=4,
        monochromatic=True,
        predicate=lambda sprite: sprite.size >= 2,
    )
    assert as_pictures(big) == [
        [[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
        [[0, 0, 0, 2], [0, 0, 0, 2], [0, 0, 0, 0]],
    ]
    green = detect_objects(GRID, connectivity=8, colors=[Color.GREEN])
    assert as_pictures(green) == [[[0, 0, 0, 0], [0, 0, 0, 0], [3, 0, 0, 0]]]
    # as in BARC, no connectivity and no allowed_dimensions finds nothing
    assert detect_objects(GRID) == []


def test_detect_objects_scans_allowed_dimensions_and_removes_overlaps():
    grid = picture([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]])
    assert len(detect_objects(grid, allowed_dimensions=[(2, 2)], can_overlap=True)) == 5
    chosen = detect_objects(grid, allowed_dimensions=[(2, 2)])
    assert as_pictures(chosen) == [
        [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]],
        [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
    ]


def test_symmetry_classes_apply():
    shift = TranslationalSymmetry(3, 0)
    assert shift.apply(1, 2) == (4, 2)
    assert shift.apply(1, 2, iters=2) == (7, 2)
    assert shift.apply(1, 2, iters=-1) == (-2, 2)
    xs, ys = shift.apply(np.array([0, 1]), np.array([0, 0]))
    assert xs.tolist() == [3, 4] and ys.tolist() == [0, 0]

    assert MirrorSymmetry(2, None).apply(0, 5) == (4, 5)
    assert MirrorSymmetry(1.5, 0.5).apply(0, 0) == (3, 1)
    assert MirrorSymmetry(1.5, 0.5).apply(0, 0, iters=2) == (0, 0)
    assert isinstance(MirrorSymmetry(1.5, None).apply(0, 0)[0], int)

    turn = RotationalSymmetry(1, 1)
    assert turn.apply(0, 0) == (0, 2)
    assert turn.apply(0, 0, iters=-1) == (2, 0)
    assert turn.apply(0, 0, iters=4) == (0, 0)
    assert RotationalSymmetry(0.5, 0.5).apply(0, 0) == (0, 1)


def test_orbit_collects_reachable_points_inside_grid():
    row = np.zeros((6, 1), dtype=int)
    assert sorted(orbit(row, 1, 0, [TranslationalSymmetry(2, 0)])) == [
        (1, 0),
        (3, 0),
        (5, 0),
    ]
    assert sorted(
        orbit(np.zeros((5, 1), dtype=int), 0, 0, [MirrorSymmetry(2, None)])
    ) == [(0, 0), (4, 0)]
    square = np.zeros((3, 3), dtype=int)
    assert sorted(orbit(square, 0, 0, [RotationalSymmetry(1, 1)])) == [
        (0, 0),
        (0, 2),
        (2, 0),
        (2, 2),
    ]
    both = [MirrorSymmetry(1, None), MirrorSymmetry(None, 1)]
    assert sorted(orbit(square, 0, 1, both)) == [(0, 1), (2, 1)]


def test_detect_translational_symmetry_prefers_axis_shifts():
    grid = picture([[1, 2, 1, 2, 1, 2], [3, 3, 3, 3, 3, 3]])
    symmetries = detect_translational_symmetry(grid)
    assert [(s.translate_x, s.translate_y) for s in symmetries] == [(-2, 0)]
    # filling an occluded pixel from its orbit
    occluded = grid.copy()
    occluded[4, 0] = Color.BLACK
    found = detect_translational_symmetry(occluded, ignore_colors=[Color.BLACK])
    assert [(s.translate_x, s.translate_y) for s in found] == [(2, 0)]
    colours = {int(occluded[x, y]) for x, y in orbit(occluded, 4, 0, found)} - {
        Color.BLACK
    }
    assert colours == {1}
    assert detect_translational_symmetry(np.zeros((3, 3), dtype=int)) == []


def test_detect_mirror_symmetry_finds_best_lines():
    symmetries = detect_mirror_symmetry(picture([[1, 2, 1], [3, 0, 3]]))
    assert [(s.mirror_x, s.mirror_y) for s in symmetries] == [(1, None)]
    both = detect_mirror_symmetry(picture([[1, 1], [1, 1]]))
    assert [(s.mirror_x, s.mirror_y) for s in both] == [
        (0.5, None),
        (None, 0.5),
        (0.5, 0.5),
    ]
    assert detect_mirror_symmetry(np.zeros((2, 2), dtype=int)) == []


def test_detect_rotational_symmetry_finds_centre_or_none():
    symmetry = detect_rotational_symmetry(picture([[1, 0, 1], [0, 2, 0], [1, 0, 1]]))
    assert (symmetry.center_x, symmetry.center_y) == (1, 1)
    pinwheel = picture([[1, 2], [4, 3]])
    assert detect_rotational_symmetry(pinwheel) is None
    swirl = picture([[1, 2], [2, 1]])
    assert detect_rotational_symmetry(swirl) is None
    same = picture([[5, 5], [5, 5]])
    found = detect_rotational_symmetry(same)
    assert (found.center_x, found.center_y) == (0.5, 0.5)
    assert detect_rotational_symmetry(picture([[1, 2]])) is None
    masked = picture([[7, 7], [7, 1]])
    assert (
        detect_rotational_symmetry(masked, ignore_colors=[], background=7).center_x == 1
    )
