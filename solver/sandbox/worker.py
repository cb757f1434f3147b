"""A long-lived worker process: imports numpy and the DSL once, then forks once per program.

Started by ``pool.py`` as a fresh interpreter (``python -c``, the equivalent of the ``spawn``
start method), so that nothing of the parent (torch, CUDA, threads) is inherited. The worker
reads job chunks from its command pipe and, for every program, forks a program process
(``child.py``), waits until it exits or the wall-clock deadline passes, kills its process
group, reaps it, and reads the per-grid frames it left in the pipe. So no program outlives its
job and nothing a program changes reaches the next one. The worker sends one result message
per program back to the parent, in the order it received the jobs.

Cost, on the 2-core development VM: a program of 1-5 draw calls on 4 grids takes about 5-6 ms
of CPU in all (parent, worker, program process). Most of it is fork + exit of a process with
numpy loaded (16 MB of anonymous memory, ~220 mappings) and its ~500 copy-on-write page
faults; running the program itself takes ~0.2 ms. Starting a worker takes about 0.2 s.
"""

from __future__ import annotations

import gc
import importlib
import os
import select
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from solver.sandbox import child
from solver.sandbox.conventions import conventions_for
from solver.sandbox.outputs import MAX_COLOR, MAX_SIDE
from solver.sandbox.protocol import (
    CHILD_HEADER,
    CODE_OF,
    STATUS_CODES,
    MessageReader,
    encode_message,
)
from solver.sandbox.results import Status

_OK = CODE_OF[Status.OK]
# Modules generated programs commonly import. Imported once here, they cost a program nothing,
# and a program running as nobody (under a root worker) finds them even where the Python
# installation is not readable by nobody (e.g. a pyenv under /root). ~10 ms per worker start.
# Not threading: its after-fork handler doubles the copy-on-write faults of every fork (116 ->
# 232), +1.3 ms of CPU per program; and a program process cannot start threads anyway.
PRELOADED = (
    "bisect", "collections", "copy", "dataclasses", "functools", "heapq", "itertools", "math",
    "operator", "random", "re", "statistics", "string", "typing",
)  # fmt: skip
_CLONE_NEWNET = 0x40000000  # sched.h
_PIPE_BYTES = 65536  # Linux's default pipe capacity
_MAX_FRAME_BYTES = CHILD_HEADER.size + MAX_SIDE * MAX_SIDE  # an error frame is shorter
Wire = tuple[int, bytes | None, int, int, str | None]  # code, cells, rows, cols, error


def serve(settings: dict[str, Any]) -> None:
    """The worker's main loop; returns when the parent closes the command pipe.

    Args:
        settings: ``cmd_fd`` and ``result_fd`` (the pipe ends passed by the parent),
            ``parent_pid``, ``workdir`` (a path only this worker uses, created here), and the
            ``SandboxConfig`` fields.
    """
    cmd_fd, result_fd = settings["cmd_fd"], settings["result_fd"]
    # Die with the parent: a worker left behind would hold its pipes and temp dir forever.
    if not child.die_with_parent(settings["parent_pid"]):
        return
    network_blocked = _block_network()
    conventions = conventions_for(settings["dsl"])
    entry = child.Entry(settings["function_name"], conventions.fallback_entry_points, conventions.transposed)
    try:
        namespace = _base_namespace(settings["dsl"], conventions.import_name)
    except Exception as error:  # noqa: BLE001 - reported to the parent, which raises
        reason = f"cannot load DSL {settings['dsl']!r}: {child.describe_error(error)}"
        _send(result_fd, ("fatal", reason))
        return
    child.prepare_worker()
    workdir = _make_workdir(settings["workdir"])
    os.environ.update(HOME=workdir, TMPDIR=workdir)
    lockdown = child.Lockdown(
        worker_pid=os.getpid(),
        devnull_fd=os.open(os.devnull, os.O_RDWR),
        workdir=workdir,
        cpu_time_s=settings["cpu_time_s"],
        memory_mb=settings["memory_mb"],
    )
    _send(result_fd, ("ready", os.getpid(), {"network_blocked": network_blocked}))
    reader = MessageReader()
    while data := os.read(cmd_fd, 1 << 20):
        for kind, jobs in reader.feed(data):
            assert kind == "jobs", f"unknown command {kind!r}"
            for job_id, sources, grids in jobs:
                wires = run_job(lockdown, namespace, entry, settings["timeout_s"], sources, grids)
                _send(result_fd, ("result", job_id, wires))
                _clean_workdir(workdir)


def run_job(
    lockdown: child.Lockdown,
    namespace: dict[str, Any],
    entry: child.Entry,
    timeout_s: float,
    sources: Sequence[str],
    grids: Sequence[np.ndarray],
) -> list[Wire]:
    """Run ``sources`` one after another on ``grids`` in forked, locked-down processes; one
    wire per source and grid, source by source.

    One process runs them all while they behave. Each source has ``timeout_s`` of wall clock
    from the moment the one before it finished. When a source runs out of time, or its process
    dies, its grids without a result get TIMEOUT, MEMORY or CRASHED (those with one keep it),
    and the sources after it go on in a new process: a hang costs one source, not its group.
    """
    wires: list[Wire] = []
    while len(wires) < len(sources) * len(grids):
        rest = sources[len(wires) // len(grids) :]
        wires += _run_in_one_process(lockdown, namespace, entry, timeout_s, (rest, grids))
    return wires


def _run_in_one_process(
    lockdown: child.Lockdown, namespace: dict[str, Any], entry: child.Entry, timeout_s: float, job: tuple[Sequence[str], Sequence[np.ndarray]]
) -> list[Wire]:
    """Fork one program process for the job's sources; the wires of the sources it finished and
    of the one it failed on, if any (whole sources: a multiple of ``len(grids)`` wires)."""
    sources, grids = job
    expected = len(sources) * len(grids)
    read_fd, write_fd = os.pipe()
    mapped = child.mapped_bytes()
    gc.freeze()  # the child's collector then skips the worker's objects: fewer page copies
    pid = os.fork()
    if pid == 0:  # the program process
        os.close(read_fd)
        child.run_program(lockdown, mapped, write_fd, sources, grids, namespace, entry)
    os.close(write_fd)
    try:
        os.setpgid(pid, pid)
    except (ProcessLookupError, PermissionError):  # already did it itself, or already dead
        pass
    pidfd = os.pidfd_open(pid)
    buffer = bytearray()
    try:
        timed_out = not _wait(read_fd, pidfd, buffer, len(sources), len(grids), timeout_s)
    finally:
        _kill_group(pid)
        _, wait_status = os.waitpid(pid, 0)
        os.close(pidfd)
        _drain(read_fd, buffer)  # what it wrote before it died or was killed still counts
        os.close(read_fd)
    frames: list[Wire] = []
    malformed = not _parse_frames(buffer, frames, expected)
    if len(frames) == expected:
        return frames
    if malformed:
        status, reason = Status.CRASHED, "program process sent a malformed result"
    elif timed_out:
        status, reason = Status.TIMEOUT, f"timed out after {timeout_s:g} s"
    else:
        status, reason = _death_reason(wait_status)
    failed_source_end = (len(frames) // len(grids) + 1) * len(grids)
    return frames + [(CODE_OF[status], None, 0, 0, reason)] * (failed_source_end - len(frames))


def _wait(read_fd: int, pidfd: int, buffer: bytearray, n_sources: int, n_grids: int, timeout_s: float) -> bool:
    """Wait until the program process exits (True) or a source's deadline passes (False).

    A source's deadline is ``timeout_s`` after the previous source's last frame (after the fork
    for the first), and never later than ``n_sources * timeout_s`` after the fork. For one
    source whose frames fit in the pipe (up to 72 grids), the worker sleeps on the process
    alone and wakes once per program instead of once per grid (about 0.3 ms less CPU per
    4-grid program, ~5%). Otherwise it also reads the pipe into ``buffer``, so that the writer
    never blocks and the worker sees each source finish.
    """
    start = time.monotonic()
    last_deadline = start + n_sources * timeout_s
    deadline = start + timeout_s
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    watch_pipe = n_sources > 1 or n_grids * _MAX_FRAME_BYTES > _PIPE_BYTES
    if watch_pipe:
        poller.register(read_fd, select.POLLIN)
    counted, offset = 0, 0  # complete frames seen in ``buffer``, and where the next one starts
    while True:
        remaining_ms = (deadline - time.monotonic()) * 1000
        if remaining_ms <= 0:
            return False
        ready = [fd for fd, _ in poller.poll(max(1, int(remaining_ms) + 1))]
        if pidfd in ready:
            return True
        if watch_pipe and read_fd in ready:
            if not _read_some(read_fd, buffer):
                poller.unregister(read_fd)  # it closed the pipe: wait for the exit alone
                watch_pipe = False
                continue
            done_before = counted // n_grids if n_grids else 0
            counted, offset = _count_frames(buffer, counted, offset)
            if n_grids and counted // n_grids > done_before:  # a source finished: the next one's clock starts
                deadline = min(time.monotonic() + timeout_s, last_deadline)


def _count_frames(buffer: bytearray, counted: int, offset: int) -> tuple[int, int]:
    """Complete frames in ``buffer`` from ``offset`` on, by their headers only (the worker
    checks them properly in ``_parse_frames``); the new count and the offset after them."""
    while len(buffer) - offset >= CHILD_HEADER.size:
        length = CHILD_HEADER.unpack_from(buffer, offset)[3]
        if len(buffer) - offset - CHILD_HEADER.size < length:
            break
        offset += CHILD_HEADER.size + length
        counted += 1
    return counted, offset


def _drain(read_fd: int, buffer: bytearray) -> None:
    """Read what is left in the pipe of a reaped process, without blocking."""
    os.set_blocking(read_fd, False)
    try:
        while _read_some(read_fd, buffer):
            pass
    except BlockingIOError:  # a write end outlived the process: take what is there
        pass


def _read_some(read_fd: int, buffer: bytearray) -> bool:
    """Append one read to ``buffer``; False at end of file."""
    data = os.read(read_fd, 1 << 16)
    buffer += data
    return bool(data)


def _parse_frames(buffer: bytearray, frames: list[Wire], n_frames: int) -> bool:
    """Parse everything the program process wrote into ``frames``; False if it is malformed.

    The program process runs untrusted code, so every field is checked before it is believed.
    A frame is at most 905 bytes, under PIPE_BUF, so each arrives whole or not at all: a
    partial frame at the end is garbage, not a write cut short by a kill.
    """
    offset = 0
    while offset < len(buffer):
        if len(buffer) - offset < CHILD_HEADER.size:
            return False
        code, rows, cols, length = CHILD_HEADER.unpack_from(buffer, offset)
        start, offset = offset + CHILD_HEADER.size, offset + CHILD_HEADER.size + length
        if offset > len(buffer):
            return False
        payload = bytes(buffer[start:offset])
        if len(frames) == n_frames or code >= len(STATUS_CODES):
            return False
        if code == _OK:
            if not (1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE and length == rows * cols):
                return False
            if max(payload) > MAX_COLOR:  # as unsigned bytes: negative int8 cells are >= 128
                return False
            frames.append((code, payload, rows, cols, None))
        else:
            frames.append((code, None, 0, 0, payload.decode("utf-8", "replace")))
    return True


def _death_reason(wait_status: int) -> tuple[Status, str]:
    """Status and reason for a program process that died without reporting every grid."""
    if os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        if number == signal.SIGXCPU:
            return Status.TIMEOUT, "CPU time limit exceeded"
        return Status.CRASHED, f"killed by {name}"
    code = os.waitstatus_to_exitcode(wait_status)
    if code == child.EXIT_OUT_OF_MEMORY:
        return Status.MEMORY, "MemoryError"
    return Status.CRASHED, f"exited with status {code} before returning"


def _kill_group(pid: int) -> None:
    """SIGKILL the program's process group; its leader is not reaped yet, so the id is ours."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:  # it died before it became a group leader
        pass


def _block_network() -> bool:
    """Move this worker (and so every program process it forks) into an empty network namespace.

    The new namespace has only a loopback device, which is down: connect() and even a local
    bind/connect fail with ENETUNREACH/EADDRNOTAVAIL. Needs CAP_SYS_ADMIN (a root worker
    outside a locked-down container); elsewhere unshare fails with EPERM and the network
    stays open (False). Costs ~1 ms once per worker, nothing per program.
    """
    if os.geteuid() != 0:
        return False
    return child.libc().unshare(_CLONE_NEWNET) == 0


def _base_namespace(dsl: str, import_name: str | None = None) -> dict[str, Any]:
    """The globals every program starts from: the DSL's ``__all__`` names and ``np``.

    Also imports ``PRELOADED``, so that programs find those modules in ``sys.modules``, and
    registers the DSL as ``import_name`` there too (BARC programs say ``from common import *``).
    """
    for name in PRELOADED:
        importlib.import_module(name)
    module = importlib.import_module(dsl)
    if import_name is not None:
        sys.modules[import_name] = module
    names = getattr(module, "__all__", None)
    if names is None:
        raise ValueError(f"module {dsl!r} has no __all__")
    namespace = {name: getattr(module, name) for name in names}
    namespace.update(np=np, __name__="__program__")
    return namespace


def _make_workdir(path: str) -> str:
    """Create the program processes' working directory, owned by whoever they run as."""
    os.mkdir(path, 0o700)
    if os.geteuid() == 0:
        os.chown(path, child.NOBODY_ID, child.NOBODY_ID)
    return path


def _clean_workdir(workdir: str) -> None:
    """Give the next program an empty working directory if the last one wrote anything."""
    with os.scandir(workdir) as entries:
        if next(entries, None) is None:
            return
    trash = f"{workdir}.trash"
    os.rename(workdir, trash)  # works whatever the program did to the permissions inside
    shutil.rmtree(trash, ignore_errors=True)
    if os.path.exists(trash):  # rmtree could not finish (e.g. a mode 000 dir as non-root)
        os.rename(trash, f"{trash}.{time.monotonic_ns()}")
    _make_workdir(workdir)


def _send(fd: int, message: Any) -> None:
    view = memoryview(encode_message(message))
    while view:
        view = view[os.write(fd, view) :]

