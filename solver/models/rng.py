"""Seeding torch for one block of work without disturbing the caller's random state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def seeded_rng(seed: int | None) -> Iterator[None]:
    """Run the block with torch's CPU and GPU generators seeded, restoring their states afterwards.

    With ``seed=None`` the block draws from (and advances) the process RNG as usual. Used for
    model initialisation, adapter resets and seeded sampling, so that reproducibility of one
    component never depends on what ran before it.
    """
    if seed is None:
        yield
        return
    import torch

    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
