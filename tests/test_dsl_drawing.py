import numpy as np
import pytest

from solver.dsl import drawing as d


def grid(rows=5, cols=5):
    return d.create_img((rows, cols), 0)


def test_create_img_shape_colour_and_dtype():
    img = d.create_img((3, 4), 7)
    assert img.shape == (3, 4) and img.dtype == np.int8 and (img == 7).all()


def test_draw_pixel_inside_and_clipped():
    img = grid(3, 3)
    assert d.draw_pixel(img, (1, 2), 5) is img
    assert img[1, 2] == 5 and img.sum() == 5
    d.draw_pixel(img, (3, 0), 4)
    d.draw_pixel(img, (-1, 0), 4)
    d.draw_pixel(img, (0, 3), 4)
    assert img.sum() == 5


@pytest.mark.parametrize(
    "p1, p2, cells",
    [
        ((0, 0), (0, 3), [(0, 0), (0, 1), (0, 2), (0, 3)]),  # horizontal
        ((3, 1), (0, 1), [(0, 1), (1, 1), (2, 1), (3, 1)]),  # vertical, reversed
        ((0, 0), (3, 3), [(0, 0), (1, 1), (2, 2), (3, 3)]),  # diagonal
        ((0, 3), (3, 0), [(0, 3), (1, 2), (2, 1), (3, 0)]),  # anti-diagonal
        ((0, 0), (1, 4), [(0, 0), (0, 1), (0, 2), (1, 3), (1, 4)]),  # shallow slope
        ((2, 2), (2, 2), [(2, 2)]),  # a single point
    ],
)
def test_draw_line_any_angle(p1, p2, cells):
    img = d.draw_line(grid(), p1, p2, 3)
    assert sorted(zip(*np.nonzero(img))) == sorted(cells)


def test_draw_line_is_symmetric_in_its_endpoints_for_axis_and_diagonals():
    for p1, p2 in [((0, 0), (4, 4)), ((1, 0), (1, 4)), ((0, 2), (4, 2))]:
        assert (d.draw_line(grid(), p1, p2, 1) == d.draw_line(grid(), p2, p1, 1)).all()


def test_draw_line_clips_without_bending():
    img = d.draw_line(grid(3, 3), (-2, -2), (5, 5), 2)
    assert sorted(zip(*np.nonzero(img))) == [(0, 0), (1, 1), (2, 2)]
    assert d.draw_line(grid(3, 3), (5, 5), (9, 9), 2).sum() == 0


def test_draw_rectangle_filled_inclusive_any_corner_order_and_clipped():
    img = d.draw_rectangle(grid(), (3, 3), (1, 1), 4)
    assert (img[1:4, 1:4] == 4).all() and img.sum() == 4 * 9
    img = d.draw_rectangle(grid(3, 3), (-5, 1), (10, 1), 6)
    assert (img[:, 1] == 6).all() and img.sum() == 18
    assert d.draw_rectangle(grid(3, 3), (-5, -5), (-1, -1), 6).sum() == 0


def test_horizontal_and_vertical_lines():
    img = d.draw_horizontal_line(grid(3, 4), 1, 2)
    assert (img[1] == 2).all() and img.sum() == 8
    img = d.draw_vertical_line(grid(3, 4), 3, 2)
    assert (img[:, 3] == 2).all() and img.sum() == 6
    assert d.draw_horizontal_line(grid(3, 4), 3, 2).sum() == 0
    assert d.draw_vertical_line(grid(3, 4), -1, 2).sum() == 0


def test_flood_fill_respects_connectivity():
    img = grid(3, 3)
    d.draw_line(img, (0, 2), (2, 0), 5)  # anti-diagonal wall
    four = d.flood_fill(img.copy(), (0, 0), 1)
    assert four[0, 0] == 1 and four[0, 1] == 1 and four[2, 2] == 0
    eight = d.flood_fill(img.copy(), (0, 0), 1, connectivity=8)
    assert eight[2, 2] == 1  # leaks through the diagonal gaps
    assert (d.flood_fill(img.copy(), (1, 1), 5) == img).all()  # same colour: no-op
    assert (d.flood_fill(img.copy(), (9, 9), 3) == img).all()  # outside: no-op
    with pytest.raises(ValueError, match="connectivity"):
        d.flood_fill(img, (0, 0), 1, connectivity=6)


def test_functions_draw_in_place_and_return_the_grid():
    img = grid()
    for call in (
        lambda: d.draw_pixel(img, (0, 0), 1),
        lambda: d.draw_line(img, (0, 0), (1, 1), 1),
        lambda: d.draw_rectangle(img, (0, 0), (1, 1), 1),
        lambda: d.draw_horizontal_line(img, 0, 1),
        lambda: d.draw_vertical_line(img, 0, 1),
        lambda: d.flood_fill(img, (4, 4), 2),
    ):
        assert call() is img


def test_module_exports_only_functions():
    for name in d.__all__:
        assert callable(getattr(d, name))
