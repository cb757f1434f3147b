"""Wire formats between the three processes: parent <-> worker, and program process -> worker.

Parent <-> worker: length-prefixed pickles (4-byte little-endian length, then the pickle).
Both ends are our code, so pickle is safe there. Messages:

    parent -> worker   ("jobs", [(job_id, (source, ...), [grid, ...]), ...])
    worker -> parent   ("ready", pid) | ("fatal", reason) | ("result", job_id, [wire, ...])

where ``wire`` is ``(status_code, cells | None, rows, cols, error | None)``, cells int8 bytes.
A job's sources run one after another in one program process (``Sandbox.run_groups``); its
wires are source by source, each source's grid by grid.

Program process -> worker: the program process runs untrusted code, so the worker must never
unpickle what it sends. Each grid's result is a 5-byte header (status code, rows, cols,
payload length as uint16) followed by the payload: ``rows * cols`` int8 cells for OK, else a
UTF-8 reason. The worker checks every field before it believes it.
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Iterator
from typing import Any

from solver.sandbox.results import Status

STATUS_CODES: tuple[Status, ...] = tuple(Status)  # wire code i <-> STATUS_CODES[i]
CODE_OF: dict[Status, int] = {status: code for code, status in enumerate(STATUS_CODES)}

_LENGTH = struct.Struct("<I")
CHILD_HEADER = struct.Struct("<BBBH")  # status code, rows, cols, payload length
MAX_ERROR_BYTES = 300


def encode_message(message: Any) -> bytes:
    """One length-prefixed pickle frame."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(payload)) + payload


class MessageReader:
    """Splits a byte stream from a trusted peer into messages; feed it whatever ``read`` gave."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> Iterator[Any]:
        """Add ``data`` and yield every message that is now complete, in order."""
        self._buffer += data
        while len(self._buffer) >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(self._buffer)
            end = _LENGTH.size + length
            if len(self._buffer) < end:
                return
            message = pickle.loads(self._buffer[_LENGTH.size : end])
            del self._buffer[:end]
            yield message


def encode_child_ok(grid_bytes: bytes, rows: int, cols: int) -> bytes:
    """The program process's frame for an OK grid (``grid_bytes``: rows * cols int8 cells)."""
    return CHILD_HEADER.pack(CODE_OF[Status.OK], rows, cols, len(grid_bytes)) + grid_bytes


def encode_child_failure(status: Status, reason: str) -> bytes:
    """The program process's frame for a failed grid, the reason cut to 300 bytes."""
    payload = reason.encode("utf-8", "replace")[:MAX_ERROR_BYTES]
    return CHILD_HEADER.pack(CODE_OF[status], 0, 0, len(payload)) + payload
