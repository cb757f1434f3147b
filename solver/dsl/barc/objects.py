"""Objects as connected regions: components, contiguity, and an object's interior, boundary and neighbours.

An *object* here is a grid-sized array holding one region's pixels, background elsewhere, so it
can be blitted straight back with ``blit_object``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from solver.dsl.barc.colors import Color
from solver.dsl.barc.connectivity import FOUR_WAY, structure_for


def find_connected_components(
    grid: np.ndarray,
    background: int = Color.BLACK,
    connectivity: int = 4,
    monochromatic: bool = True,
) -> list[np.ndarray]:
    """Return each connected region of non-background pixels as a grid-sized object.

    ``monochromatic=True`` splits regions by colour (a red pixel and a touching blue pixel are
    two objects); ``False`` joins touching pixels of any colours. ``connectivity`` 4 or 8.
    Order as BARC: by colour (smallest first) when monochromatic, then in scan order of x, then y.
    """
    structure = structure_for(connectivity)
    if monochromatic:
        region_masks = [
            grid == color for color in np.unique(grid) if color != background
        ]
    else:
        region_masks = [grid != background]
    components = []
    for region_mask in region_masks:
        labels, count = ndimage.label(region_mask, structure)
        for label in range(1, count + 1):
            components.append(
                np.where(labels == label, grid, background).astype(grid.dtype)
            )
    return components


def is_contiguous(
    bitmask: np.ndarray, background: int = Color.BLACK, connectivity: int = 4
) -> bool:
    """True when the non-background pixels of ``bitmask`` form exactly one connected region."""
    _, count = ndimage.label(bitmask != background, structure_for(connectivity))
    return count == 1


def object_interior(grid: np.ndarray, background: int = Color.BLACK) -> np.ndarray:
    """Return a bool mask of the object's pixels plus every background pixel it encloses.

    A background pixel is outside when it is 4-connected through background to the grid's edge;
    everything else (the object, its edges, and holes inside it) is interior.
    """
    outside_candidates = grid == background
    labels, _ = ndimage.label(outside_candidates, FOUR_WAY)
    edge_labels = np.unique(
        np.concatenate([labels[0, :], labels[-1, :], labels[:, 0], labels[:, -1]])
    )
    edge_labels = edge_labels[edge_labels != 0]
    exterior = np.isin(labels, edge_labels)
    return ~exterior


def object_boundary(grid: np.ndarray, background: int = Color.BLACK) -> np.ndarray:
    """Return a bool mask of the object's pixels that edge-touch the outside or lie on the grid's border."""
    exterior = ~object_interior(grid, background)
    touches_exterior = ndimage.binary_dilation(exterior, structure=FOUR_WAY)
    on_canvas_edge = np.zeros(grid.shape, dtype=bool)
    on_canvas_edge[0, :] = on_canvas_edge[-1, :] = True
    on_canvas_edge[:, 0] = on_canvas_edge[:, -1] = True
    return (grid != background) & (touches_exterior | on_canvas_edge)


def object_neighbors(
    grid: np.ndarray, background: int = Color.BLACK, connectivity: int = 4
) -> np.ndarray:
    """Return a bool mask of background pixels next to the object's boundary (4- or 8-way)."""
    boundary = object_boundary(grid, background)
    ring = structure_for(connectivity).copy()
    ring[1, 1] = False
    near_boundary = ndimage.binary_dilation(boundary, structure=ring)
    return near_boundary & (grid == background)
