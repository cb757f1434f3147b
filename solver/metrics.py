"""Scores for predicted grids: pixel accuracy, exact match, and correct train pairs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

GridLike = np.ndarray | Sequence[Sequence[int]]


def pixel_accuracy(predicted: GridLike, target: GridLike) -> float:
    """Fraction of cells equal to the target, in [0, 1]; 0 when the shapes differ."""
    a, b = np.asarray(predicted), np.asarray(target)
    if a.shape != b.shape:
        return 0.0
    return float((a == b).mean())


def exact_match(predicted: GridLike, target: GridLike) -> bool:
    """True when the grids have the same shape and every cell."""
    a, b = np.asarray(predicted), np.asarray(target)
    return a.shape == b.shape and bool((a == b).all())


def mean_pixel_accuracy(predicted: Sequence[GridLike], targets: Sequence[GridLike]) -> float:
    """Pixel accuracy averaged over pairs (the HER loop's ranking signal)."""
    if len(predicted) != len(targets):
        raise ValueError(f"got {len(predicted)} predictions for {len(targets)} targets")
    return float(np.mean([pixel_accuracy(p, t) for p, t in zip(predicted, targets)]))


def correct_pairs(predicted: Sequence[GridLike], targets: Sequence[GridLike]) -> int:
    """How many predictions match their target exactly."""
    if len(predicted) != len(targets):
        raise ValueError(f"got {len(predicted)} predictions for {len(targets)} targets")
    return sum(exact_match(p, t) for p, t in zip(predicted, targets))
