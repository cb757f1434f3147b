"""Random sprites for puzzle generators: BARC's ``random_sprite`` and the helpers it is built from.

A sprite grows by a random walk that paints pixels until the wanted fraction is filled, then is
made symmetric. Randomness is drawn from Python's module-level ``random`` in BARC's order, so a
seeded ``random`` reproduces BARC's sprites.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from solver.dsl.barc.colors import Color
from solver.dsl.barc.connectivity import steps_for
from solver.dsl.barc.objects import is_contiguous
from solver.dsl.barc.sprites import blit

SYMMETRY_TYPES = ("horizontal", "vertical", "not_symmetric", "mirror")
SQUARE_SYMMETRY_TYPES = ("diagonal", "radial")


def apply_symmetry(
    sprite: np.ndarray, symmetry_type: str, background: int = Color.BLACK
) -> np.ndarray:
    """Make ``sprite`` mirror-symmetric in place and return it.

    "horizontal" pairs column x with column ``width-1-x`` (a flip along x), "vertical" pairs y
    with ``height-1-y``. Each pair takes the first pixel's colour unless it is background, in
    which case it takes the second's.
    """
    if symmetry_type == "horizontal":
        view = sprite
    elif symmetry_type == "vertical":
        view = sprite.T
    else:
        raise ValueError(f"Invalid symmetry type {symmetry_type}.")
    half = view.shape[0] // 2
    near = view[:half]
    far = view[view.shape[0] - half :][::-1]
    merged = np.where(near != background, near, far)
    view[:half] = merged
    view[view.shape[0] - half :] = merged[::-1]
    return sprite


def apply_diagonal_symmetry(
    sprite: np.ndarray, background: int = Color.BLACK
) -> np.ndarray:
    """Make a square ``sprite`` symmetric about its main diagonal (``[x, y] == [y, x]``) in place.

    Each off-diagonal pair takes the ``[x, y]`` (x < y) pixel unless it is background, else the
    ``[y, x]`` one. Raises ValueError for a non-square sprite.
    """
    size, other = sprite.shape
    if size != other:
        raise ValueError("Diagonal symmetry requires a square sprite.")
    upper = np.triu(np.ones((size, size), dtype=bool), k=1)
    above = sprite[upper]
    below = sprite.T[upper]
    merged = np.where(above != background, above, below)
    sprite[upper] = merged
    sprite.T[upper] = merged
    return sprite


def generate_sprite(
    n: int,
    m: int,
    symmetry_type: str,
    fill_percentage: float = 0.5,
    max_colors: int = 9,
    color_palate: Sequence[int] | None = None,
    connectivity: int = 4,
    background: int = Color.BLACK,
) -> np.ndarray:
    """Return an ``n`` x ``m`` sprite grown by a random walk and made ``symmetry_type``-symmetric.

    ``symmetry_type``: "not_symmetric", "horizontal", "vertical", "diagonal" (square),
    "radial" (square, four-fold rotation), or "mirror" (both flips). Without ``color_palate``
    (BARC's spelling) a palette of 1 to ``max_colors`` non-background colours is drawn. The walk
    paints ``fill_percentage`` of the (quarter, for radial/mirror) area, sometimes switching
    colour; steps are 4- or 8-way per ``connectivity``.
    """
    if color_palate is None:
        n_colors = 1
        while n_colors < max_colors and random.random() < 0.3:
            n_colors += 1
        color_palate = random.sample(
            [c for c in Color.ALL_COLORS if c != background], n_colors
        )
    else:
        n_colors = len(color_palate)

    full_n, full_m = n, m
    grid = np.full((n, m), background)
    flip_diagonal = False
    if symmetry_type == "not_symmetric":
        x, y = random.randint(0, n - 1), random.randint(0, m - 1)
    elif symmetry_type == "horizontal":
        x, y = random.randint(0, n - 1), m // 2
    elif symmetry_type == "vertical":
        x, y = n // 2, random.randint(0, m - 1)
    elif symmetry_type == "diagonal":
        flip_diagonal = random.choice([True, False])
        x = random.randint(0, n - 1)
        y = x if flip_diagonal else n - 1 - x
    elif symmetry_type == "mirror":
        n, m = int(n / 2 + 0.5), int(m / 2 + 0.5)
        x, y = random.randint(0, n - 1), random.randint(0, m - 1)
        grid = np.full((n, m), background)
    elif symmetry_type == "radial":
        assert n == m, "Radial symmetry requires a square grid."
        # grow one quadrant, starting at its corner that becomes the centre, so all joins up
        n, m = int(n / 2 + 0.5), int(m / 2 + 0.5)
        x, y = n - 1, m - 1
    else:
        raise ValueError(f"Invalid symmetry type {symmetry_type}.")

    moves = list(steps_for(connectivity))
    color_index = 0
    while np.sum(grid != background) < fill_percentage * n * m:
        grid[x, y] = color_palate[color_index]
        if random.random() < 0.33:
            color_index = random.choice(range(n_colors))
        dx, dy = random.choice(moves)
        if 0 <= x + dx < n and 0 <= y + dy < m:
            x, y = x + dx, y + dy

    if symmetry_type in ("horizontal", "vertical"):
        return apply_symmetry(grid, symmetry_type, background)
    if symmetry_type == "radial":
        output = np.full((full_n, full_n), background)
        blit(output, grid, background=background)
        for _ in range(3):
            blit(output, np.rot90(output), background=background)
        return output
    if symmetry_type == "mirror":
        output = _mirror_quadrant(grid, full_n, full_m, background)
        if not is_contiguous(output, background=background, connectivity=connectivity):
            return generate_sprite(
                full_n,
                full_m,
                symmetry_type,
                fill_percentage=fill_percentage,
                color_palate=color_palate,
                connectivity=connectivity,
                background=background,
            )
        return output
    if symmetry_type == "diagonal":
        if flip_diagonal:
            return np.flipud(apply_diagonal_symmetry(np.flipud(grid), background))
        return apply_diagonal_symmetry(grid, background)
    return grid


def _mirror_quadrant(
    quadrant: np.ndarray, full_n: int, full_m: int, background: int
) -> np.ndarray:
    """Reflect one quadrant into a ``full_n`` x ``full_m`` sprite symmetric under both flips.

    For odd sizes the middle row/column is shared by the quadrant and its reflection.
    """
    n, m = quadrant.shape
    output = np.full((full_n, full_m), background)
    start_x = n - (full_n % 2)
    start_y = m - (full_m % 2)
    output[:n, :m] = quadrant
    output[start_x:, :m] = np.flipud(quadrant)
    output[:n, start_y:] = np.fliplr(quadrant)
    output[start_x:, start_y:] = np.flipud(np.fliplr(quadrant))
    return output


def random_sprite(
    n: int | Sequence[int] | range,
    m: int | Sequence[int] | range,
    density: float = 0.5,
    symmetry: str | None = None,
    color_palette: Sequence[int] | None = None,
    connectivity: int = 4,
    background: int = Color.BLACK,
) -> np.ndarray:
    """Return a random contiguous sprite of width ``n`` and height ``m`` that touches all four edges.

    ``n`` and ``m`` may be lists or ranges to pick from. ``symmetry``: 'horizontal', 'vertical',
    'diagonal', 'radial', 'mirror' or 'not_symmetric'; None picks one at random (the diagonal and
    radial ones only when a square size is possible). ``density`` is the painted fraction
    (raised for thin sprites, jittered for larger ones). ``color_palette`` fixes the colours.
    Sprites failing the edge test are regenerated from scratch.
    """
    widths = list(n) if isinstance(n, (list, range, tuple)) else [n]
    heights = list(m) if isinstance(m, (list, range, tuple)) else [m]
    while True:
        sprite = _one_random_sprite(
            widths, heights, density, symmetry, color_palette, connectivity, background
        )
        touches_every_edge = (
            np.any(sprite[0, :] != background)
            and np.any(sprite[-1, :] != background)
            and np.any(sprite[:, 0] != background)
            and np.any(sprite[:, -1] != background)
        )
        if touches_every_edge:
            return sprite


def _one_random_sprite(
    widths: list[int],
    heights: list[int],
    density: float,
    symmetry: str | None,
    color_palette: Sequence[int] | None,
    connectivity: int,
    background: int,
) -> np.ndarray:
    """One attempt of ``random_sprite``: choose symmetry, size and density, then generate."""
    can_be_square = any(w == h for w in widths for h in heights)
    choices = list(SYMMETRY_TYPES) + (
        list(SQUARE_SYMMETRY_TYPES) if can_be_square else []
    )
    symmetry = symmetry or random.choice(choices)
    if symmetry in SQUARE_SYMMETRY_TYPES:
        width, height = random.choice(
            [(w, h) for w in widths for h in heights if w == h]
        )
    else:
        width, height = random.choice(widths), random.choice(heights)

    if width == 1 or height == 1:
        density = 1
    elif width == 2 or height == 2:
        density = max(density, 0.6)
    elif width == 3 or height == 3:
        density = max(density, 0.5)
    elif density != 1:
        density = max(0.4, min(0.95, random.gauss(density, 0.1)))

    sprite = generate_sprite(
        width,
        height,
        symmetry_type=symmetry,
        color_palate=color_palette,
        fill_percentage=density,
        connectivity=connectivity,
        background=background,
    )
    assert is_contiguous(sprite, connectivity=connectivity, background=background), (
        "Generated sprite is not contiguous."
    )
    return sprite
