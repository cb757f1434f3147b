"""``detect_objects``: find objects by connectivity and/or by scanning for boxes of given sizes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from solver.dsl.barc.boxes import crop
from solver.dsl.barc.colors import Color
from solver.dsl.barc.objects import find_connected_components


def _uses_only(colors: Sequence[int], pixels: np.ndarray, background: int) -> bool:
    """True when every pixel is background or one of ``colors``."""
    return all(color in colors or color == background for color in pixels.flatten())


def detect_objects(
    grid: np.ndarray,
    _: None = None,
    predicate: Callable[[np.ndarray], bool] | None = None,
    background: int = Color.BLACK,
    monochromatic: bool = False,
    connectivity: int | None = None,
    allowed_dimensions: Sequence[tuple[int, int]] | None = None,
    colors: Sequence[int] | None = None,
    can_overlap: bool = False,
) -> list[np.ndarray]:
    """Return the grid-sized objects of ``grid`` that meet the given specification.

    Two sources of candidates, as in BARC:
    - with ``connectivity`` (4 or 8): the connected components (``monochromatic`` as in
      ``find_connected_components``), kept when all their colours are in ``colors`` (if given)
      and ``predicate(crop(obj))`` holds (if given). Note: as in BARC, ``connectivity=None``
      yields no components at all; only the scan below produces objects then.
    - with ``allowed_dimensions`` (a list of ``(width, height)``): components are kept only if
      their *array* shape is allowed, and every ``width x height`` window of the grid that has a
      non-background pixel, passes ``colors`` and ``predicate(window)``, and is not already a
      found object, is added.
    Unless ``can_overlap``, a set of non-overlapping objects is chosen: objects that overlap
    none are kept, and among the rest the subset covering the most pixels (bigger boxes tried
    first).
    """
    objects: list[np.ndarray] = []
    if connectivity:
        objects = find_connected_components(
            grid,
            background=background,
            connectivity=connectivity,
            monochromatic=monochromatic,
        )
        if colors:
            objects = [obj for obj in objects if _uses_only(colors, obj, background)]
        if predicate:
            objects = [
                obj for obj in objects if predicate(crop(obj, background=background))
            ]

    if allowed_dimensions:
        objects = [obj for obj in objects if obj.shape in allowed_dimensions]
        objects.extend(
            _scan_windows(
                grid, objects, predicate, background, allowed_dimensions, colors
            )
        )

    if not can_overlap:
        objects = _choose_non_overlapping(grid, objects, background)
    return objects


def _scan_windows(
    grid: np.ndarray,
    known_objects: list[np.ndarray],
    predicate: Callable[[np.ndarray], bool] | None,
    background: int,
    allowed_dimensions: Sequence[tuple[int, int]],
    colors: Sequence[int] | None,
) -> list[np.ndarray]:
    """Every allowed-size window of ``grid`` that qualifies as an object, as grid-sized objects."""
    found = []
    for width, height in allowed_dimensions:
        for x in range(grid.shape[0] - width + 1):
            for y in range(grid.shape[1] - height + 1):
                window = grid[x : x + width, y : y + height]
                if not np.any(window != background):
                    continue
                if colors is not None and not _uses_only(colors, window, background):
                    continue
                if predicate is not None and not predicate(window):
                    continue
                candidate = np.full(grid.shape, background)
                candidate[x : x + width, y : y + height] = window
                if not any(np.all(candidate == obj) for obj in known_objects):
                    found.append(candidate)
    return found


def _choose_non_overlapping(
    grid: np.ndarray, objects: list[np.ndarray], background: int
) -> list[np.ndarray]:
    """Keep every object that overlaps none, plus the best-covering non-overlapping subset of the rest."""

    def size_then_mass(obj: np.ndarray) -> tuple[int, int]:
        sprite = crop(obj, background)
        return sprite.shape[0] * sprite.shape[1], int(np.sum(obj != background))

    objects = sorted(objects, key=size_then_mass, reverse=True)
    masks = [obj != background for obj in objects]
    count = len(objects)
    overlaps = np.zeros((count, count), dtype=bool)
    for i in range(count):
        for j in range(i + 1, count):
            overlaps[i, j] = overlaps[j, i] = bool(np.any(masks[i] & masks[j]))

    lonely = [objects[i] for i in range(count) if not overlaps[i].any()]
    contested = [i for i in range(count) if overlaps[i].any()]
    best_possible = np.zeros(grid.shape, dtype=bool)
    for i in contested:
        best_possible |= masks[i]
    best_possible_cover = int(best_possible.sum())

    def pick(
        remaining: list[int], chosen: list[int], covered: np.ndarray
    ) -> tuple[list[int], int]:
        """Exhaustive search for the chosen set covering most pixels; stops early at full cover."""
        if not remaining:
            return chosen, int(covered.sum())
        first, rest = remaining[0], remaining[1:]
        if any(overlaps[i, first] for i in chosen):
            return pick(rest, chosen, covered)
        with_first, with_cover = pick(rest, chosen + [first], covered | masks[first])
        if with_cover == best_possible_cover:
            return with_first, with_cover
        without_first, without_cover = pick(rest, chosen, covered)
        if with_cover > without_cover:
            return with_first, with_cover
        return without_first, without_cover

    chosen, _ = pick(contested, [], np.zeros(grid.shape, dtype=bool))
    return lonely + [objects[i] for i in chosen]
