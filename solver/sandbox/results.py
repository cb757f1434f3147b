"""What running one program gives back: a status per grid, never a string where a grid goes.

A failed untrusted program is data, not an exception: every grid gets a ``GridResult`` whose
``status`` says what happened and whose ``error`` says why in one short line. Fingerprints
(16-byte BLAKE2b of shape + bytes) let callers deduplicate identical outputs of thousands of
sampled programs without comparing arrays.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

import numpy as np


class Status(str, Enum):
    """How running a program on one grid ended."""

    OK = "ok"
    ERROR = "error"  # raised anything (BaseException included), syntax error, no such function
    TIMEOUT = "timeout"  # wall clock or CPU time ran out
    MEMORY = "memory"  # MemoryError, or the address-space cap was hit
    BAD_OUTPUT = "bad_output"  # returned something that is not a 1-30 x 1-30 grid of 0-9
    CRASHED = "crashed"  # the process died: os._exit, segfault, killed, or its worker died


def grid_fingerprint(grid: np.ndarray) -> str:
    """Hash of an int8 grid's shape and bytes, as 32 hex characters.

    Two grids have the same fingerprint exactly when they have the same shape and values
    (up to hash collisions, 2**-128).
    """
    rows, cols = grid.shape
    digest = hashlib.blake2b(digest_size=16)
    digest.update(rows.to_bytes(2, "little") + cols.to_bytes(2, "little"))
    digest.update(np.ascontiguousarray(grid, dtype=np.int8).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class GridResult:
    """One program on one grid.

    Attributes:
        status: how the run ended.
        output: the output grid (int8, read-only) when ``status`` is OK, else None.
        error: a short reason when not OK, e.g. "ZeroDivisionError: division by zero".
        fingerprint: ``grid_fingerprint(output)`` when OK, else None.
    """

    status: Status
    output: np.ndarray | None = None
    error: str | None = None
    fingerprint: str | None = None

    @classmethod
    def ok(cls, output: np.ndarray) -> GridResult:
        """An OK result for ``output``, which must already be a checked int8 grid."""
        output.flags.writeable = False
        return cls(Status.OK, output, None, grid_fingerprint(output))

    @classmethod
    def failed(cls, status: Status, error: str) -> GridResult:
        """A failed result; ``status`` must not be OK."""
        assert status is not Status.OK, "failed() needs a failure status"
        return cls(status, None, error, None)


@dataclass(frozen=True)
class ProgramResult:
    """One program on all of its grids: ``results[i]`` belongs to the i-th input grid."""

    results: list[GridResult]

    @property
    def all_ok(self) -> bool:
        """True when every grid ran OK (and there was at least one grid)."""
        return bool(self.results) and all(r.status is Status.OK for r in self.results)

    @property
    def outputs(self) -> list[np.ndarray] | None:
        """The output grids in grid order when all are OK, else None."""
        if not self.all_ok:
            return None
        return [r.output for r in self.results]  # type: ignore[misc]  # all OK: none are None

    @cached_property
    def fingerprint(self) -> str | None:
        """One hash over all grids' fingerprints when all are OK, else None.

        Two programs with the same fingerprint produced the same outputs on the same grids.
        """
        if not self.all_ok:
            return None
        digest = hashlib.blake2b(digest_size=16)
        for result in self.results:
            digest.update(bytes.fromhex(result.fingerprint))  # type: ignore[arg-type]
        return digest.hexdigest()
