"""Pictures of grids, for people: the best prediction of each epoch beside the target."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

# The usual ARC palette, colours 0-9.
PALETTE = np.array(
    [
        (0, 0, 0), (30, 147, 255), (249, 60, 49), (79, 204, 48), (255, 220, 0),
        (153, 153, 153), (229, 58, 163), (255, 133, 27), (135, 216, 241), (146, 18, 49),
    ],
    dtype=np.uint8,
)  # fmt: skip
GRID_LINE = (60, 60, 60)


def render_grid(grid: np.ndarray | Sequence[Sequence[int]], cell_px: int = 12) -> Image.Image:
    """One grid as an RGB image, ``cell_px`` pixels per cell with a 1-pixel grid line."""
    grid = np.asarray(grid, dtype=np.int64).clip(0, 9)
    rows, cols = grid.shape
    step = cell_px + 1
    image = np.empty((rows * step + 1, cols * step + 1, 3), dtype=np.uint8)
    image[:] = GRID_LINE
    for r in range(rows):
        for c in range(cols):
            image[r * step + 1 : (r + 1) * step, c * step + 1 : (c + 1) * step] = PALETTE[grid[r, c]]
    return Image.fromarray(image)


def render_epochs(
    target: np.ndarray,
    predictions: Sequence[tuple[str, np.ndarray | None]],
    path: str | Path,
    *,
    title: str = "",
    per_row: int = 8,
) -> Path:
    """Save a PNG: the target first, then each labelled prediction (None draws an empty tile).

    Args:
        predictions: (label, grid or None) per epoch, e.g. ("epoch 3: 91%", grid).
    """
    cell_px = max(4, min(12, 240 // max(np.shape(target))))
    tiles = [("target", render_grid(target, cell_px))]
    blank = Image.new("RGB", tiles[0][1].size, (230, 230, 230))
    tiles += [(label, render_grid(grid, cell_px) if grid is not None else blank) for label, grid in predictions]
    tile_w = max(t.width for _, t in tiles) + 10
    tile_h = max(t.height for _, t in tiles) + 22
    n_rows = -(-len(tiles) // per_row)
    header = 22 if title else 0
    sheet = Image.new("RGB", (tile_w * min(per_row, len(tiles)), tile_h * n_rows + header), "white")
    draw = ImageDraw.Draw(sheet)
    if title:
        draw.text((5, 4), title, fill="black")
    for index, (label, tile) in enumerate(tiles):
        x, y = (index % per_row) * tile_w + 5, (index // per_row) * tile_h + header
        draw.text((x, y + 2), label, fill="black")
        sheet.paste(tile, (x, y + 18))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path
