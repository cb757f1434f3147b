"""BARC's debugging display helpers, kept as silent no-ops so programs that call them still run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def show_colored_grid(grid: np.ndarray, text: bool = True) -> None:
    """Do nothing: BARC prints the grid in colour; a sandboxed program must not print."""
    return


def visualize(
    input_generator: Callable[[], np.ndarray],
    transform: Callable[[np.ndarray], Any],
    n_examples: int = 5,
    n_attempts: int = 100,
) -> None:
    """Do nothing: BARC runs and prints generator/transform examples for debugging."""
    return
