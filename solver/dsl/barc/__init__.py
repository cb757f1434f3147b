"""Our own implementation of the public API of BARC's ``common.py`` (xu3kev/BARC).

BARC's induction models (ARC-Heavy / ARC-Potpourri) write programs that start with
``from common import *`` and define ``transform(input_grid)`` (older ones: ``main``). This package
offers the same names, parameters, defaults and behaviour, so such programs run in our sandbox;
the sandbox puts the names of ``__all__`` into each program's namespace (and adds ``np``).

Grid convention (BARC's, the transpose of ARC's row lists):
- a grid is a 2-D numpy int array indexed ``grid[x, y]``: x is the column (across the width,
  the first axis), y is the row (down, the second axis); ``grid.shape == (width, height)``;
- so ``draw_line(grid, x, y, direction=(1, 0))`` goes right and ``(0, 1)`` goes down, and
  "upper left" in ``object_position`` is the smallest x and y;
- converting from/to ARC's row-major lists (a transpose) is the runner's job, not this package's.

Conventions shared with BARC:
- an *object* is a grid-sized array with background everywhere but its pixels; a *sprite* is a
  small array drawn at an offset; ``background`` (default ``Color.BLACK``) is transparent;
- ``flood_fill``, ``draw_line``, ``blit*``, ``randomly_scatter_points`` change the grid in place;
- random helpers draw from Python's module-level ``random`` (and ``np.random`` where BARC does).

``random`` is exported as well because BARC's ``from common import *`` (it has no ``__all__``)
hands programs the ``random`` module, and some programs use it without importing it.

Modules: ``colors`` (Color), ``drawing`` (fill, lines, scatter), ``boxes`` (bounding boxes,
crop, positions), ``sprites`` (blit, scale, translate), ``contact`` (collision, contact),
``objects`` (components, interior/boundary), ``detection`` (detect_objects), ``symmetry``,
``placement`` and ``sprite_generation`` (generator helpers), ``display`` (silent no-ops).
"""

import random

from solver.dsl.barc.boxes import (
    bounding_box,
    bounding_box_mask,
    crop,
    object_colors,
    object_position,
)
from solver.dsl.barc.colors import Color
from solver.dsl.barc.contact import check_between_objects, collision, contact
from solver.dsl.barc.detection import detect_objects
from solver.dsl.barc.display import show_colored_grid, visualize
from solver.dsl.barc.drawing import (
    draw_line,
    flood_fill,
    random_scatter_points,
    randomly_scatter_points,
)
from solver.dsl.barc.objects import (
    find_connected_components,
    is_contiguous,
    object_boundary,
    object_interior,
    object_neighbors,
)
from solver.dsl.barc.placement import (
    generate_position_has_interval,
    random_free_location_for_object,
    random_free_location_for_sprite,
    randomly_spaced_indices,
)
from solver.dsl.barc.sprite_generation import (
    apply_diagonal_symmetry,
    apply_symmetry,
    generate_sprite,
    random_sprite,
)
from solver.dsl.barc.sprites import (
    blit,
    blit_object,
    blit_sprite,
    scale_pattern,
    scale_sprite,
    translate,
)
from solver.dsl.barc.symmetry import (
    MirrorSymmetry,
    RotationalSymmetry,
    Symmetry,
    TranslationalSymmetry,
    detect_mirror_symmetry,
    detect_rotational_symmetry,
    detect_translational_symmetry,
    orbit,
)

__all__ = [  # noqa: RUF022 - grouped by job, like the modules
    "Color",
    # drawing
    "flood_fill",
    "draw_line",
    "randomly_scatter_points",
    "random_scatter_points",
    # boxes and positions
    "bounding_box",
    "bounding_box_mask",
    "crop",
    "object_position",
    "object_colors",
    # sprites
    "blit",
    "blit_object",
    "blit_sprite",
    "scale_sprite",
    "scale_pattern",
    "translate",
    # relations between objects
    "collision",
    "contact",
    "check_between_objects",
    # objects
    "find_connected_components",
    "detect_objects",
    "is_contiguous",
    "object_interior",
    "object_boundary",
    "object_neighbors",
    # symmetry
    "Symmetry",
    "TranslationalSymmetry",
    "MirrorSymmetry",
    "RotationalSymmetry",
    "orbit",
    "detect_translational_symmetry",
    "detect_mirror_symmetry",
    "detect_rotational_symmetry",
    # generation
    "random_free_location_for_sprite",
    "random_free_location_for_object",
    "randomly_spaced_indices",
    "generate_position_has_interval",
    "random_sprite",
    "generate_sprite",
    "apply_symmetry",
    "apply_diagonal_symmetry",
    # display (silent no-ops)
    "show_colored_grid",
    "visualize",
    # the module BARC's star-import also hands out
    "random",
]
