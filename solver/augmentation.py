"""Task augmentation: the same task seen rotated, flipped, transposed or with its colours permuted.

Sampling every batch on the task exactly as given lets a model fixate on one reading of it; a
fresh view per batch (``HerConfig.augment``) varies what it is shown while keeping the task the
same. An ``Augmentation`` is one element of the grid symmetries (the 8 rotations and reflections)
combined with a permutation of the 10 colours, black kept in place by default because black is
the background in most ARC tasks. Grids go into the augmented frame with ``apply``; whatever a
program produced there comes back to the task's frame with ``invert``, so outputs are scored,
voted and submitted in the original frame. Pure numpy, seeded by the caller's generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

N_COLORS = 10

# name -> (forward, inverse); each is a function of a 2-D grid
_GEOMETRIES: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "identity": (lambda g: g, lambda g: g),
    "rot90": (lambda g: np.rot90(g, 1), lambda g: np.rot90(g, -1)),
    "rot180": (lambda g: np.rot90(g, 2), lambda g: np.rot90(g, 2)),
    "rot270": (lambda g: np.rot90(g, -1), lambda g: np.rot90(g, 1)),
    "flip_lr": (np.fliplr, np.fliplr),
    "flip_ud": (np.flipud, np.flipud),
    "transpose": (np.transpose, np.transpose),
    "antitranspose": (lambda g: np.rot90(g, 2).T, lambda g: np.rot90(g, 2).T),
}
GEOMETRIES = tuple(_GEOMETRIES)


@dataclass(frozen=True)
class Augmentation:
    """A symmetry of the grid followed by a colour permutation.

    Attributes:
        geometry: one of ``GEOMETRIES``.
        colors: ``colors[c]`` is the colour that ``c`` becomes; a permutation of 0-9.
    """

    geometry: str = "identity"
    colors: tuple[int, ...] = tuple(range(N_COLORS))

    def __post_init__(self) -> None:
        if self.geometry not in _GEOMETRIES:
            raise ValueError(f"unknown geometry {self.geometry!r}; expected one of {GEOMETRIES}")
        if sorted(self.colors) != list(range(N_COLORS)):
            raise ValueError(f"colors must be a permutation of 0-{N_COLORS - 1}, got {self.colors}")

    @property
    def is_identity(self) -> bool:
        return self.geometry == "identity" and self.colors == tuple(range(N_COLORS))

    def apply(self, grid: np.ndarray) -> np.ndarray:
        """``grid`` in the augmented frame (a new array, same dtype)."""
        grid = np.asarray(grid)
        forward, _ = _GEOMETRIES[self.geometry]
        return np.asarray(self.colors, dtype=grid.dtype)[np.ascontiguousarray(forward(grid))]

    def invert(self, grid: np.ndarray) -> np.ndarray:
        """A grid of the augmented frame back in the original one: ``invert(apply(g)) == g``."""
        grid = np.asarray(grid)
        _, inverse = _GEOMETRIES[self.geometry]
        return np.asarray(np.argsort(self.colors), dtype=grid.dtype)[np.ascontiguousarray(inverse(grid))]


def random_augmentation(rng: np.random.Generator, *, keep_black: bool = True) -> Augmentation:
    """A uniformly drawn geometry and colour permutation (0 stays 0 when ``keep_black``)."""
    geometry = GEOMETRIES[int(rng.integers(len(GEOMETRIES)))]
    if keep_black:
        colors = (0, *(int(c) for c in rng.permutation(np.arange(1, N_COLORS))))
    else:
        colors = tuple(int(c) for c in rng.permutation(N_COLORS))
    return Augmentation(geometry, colors)
