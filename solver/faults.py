"""Out-of-memory on the accelerator: how to recognise it and how a task backs off.

A long task (30x30 grids, 10 examples) can exhaust GPU memory while sampling (n samples x a
long prompt) or training (long examples). That must cost the task some search, never the run:
the loop catches the fault, frees the CUDA cache and retries smaller, and when even the
smallest setting fails the task ends with what it has (its attempts fall back to the test
input) and the runner goes on with the next task. Every step is written to the task's record.

Backing off, per retry: sampling halves every group's ``n`` (at least 1); once all are 1 it
halves ``max_new_tokens``. Training drops the longest half of the examples. At most
``MAX_OOM_RETRIES`` retries per phase and epoch. No torch import here: the torch error type
is looked up by name, so the CPU-only parts can use this module.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)

MAX_OOM_RETRIES = 4  # 4 halvings: 128 samples -> 8, or 1024 tokens -> 64


def is_out_of_memory(error: BaseException) -> bool:
    """True for ``torch.OutOfMemoryError`` (CUDA or other) and RuntimeErrors saying "out of memory"."""
    if type(error).__name__ == "OutOfMemoryError":  # torch.OutOfMemoryError, torch.cuda.OutOfMemoryError
        return True
    return isinstance(error, (RuntimeError, MemoryError)) and "out of memory" in str(error).lower()


def free_accelerator_memory() -> None:
    """Release cached CUDA blocks so that the retry starts from a clean allocator (no-op on CPU)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def smaller_sampling(sampling: Sequence[Any], max_new_tokens: int) -> tuple[tuple[Any, ...], int] | None:
    """The next, smaller sampling setting after an OOM, or None when nothing is left to shrink.

    ``sampling`` is a sequence of ``SamplingSetting``; each ``n`` halves (at least 1); when all are
    already 1, ``max_new_tokens`` halves instead (down to 16).
    """
    if any(s.n > 1 for s in sampling):
        return tuple(s.model_copy(update={"n": max(1, s.n // 2)}) for s in sampling), max_new_tokens
    if max_new_tokens > 16:
        return tuple(sampling), max(16, max_new_tokens // 2)
    return None


def shorter_examples(examples: Sequence[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """The training examples without the longest half (order kept), or None when one is left."""
    if len(examples) <= 1:
        return None
    by_length = sorted(range(len(examples)), key=lambda i: len(examples[i][0]) + len(examples[i][1]))
    keep = set(by_length[: len(examples) // 2])
    return [example for i, example in enumerate(examples) if i in keep]
