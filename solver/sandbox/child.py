"""The program process: what runs between the worker's ``os.fork()`` and ``os._exit()``.

It locks itself down first (its own process group, dies with the worker, fds 0-2 on
/dev/null and no others open but the result pipe, a private working directory, rlimits,
no privileges, no forking), then compiles and runs one program on each grid and writes each
grid's result to the pipe as soon as it has it. Nothing here returns: the process always
leaves through ``os._exit`` so that no atexit handler, buffered stream or finalizer of the
worker's (or the program's) runs a second time.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from solver.sandbox.outputs import BadOutput, check_output
from solver.sandbox.protocol import encode_child_failure, encode_child_ok
from solver.sandbox.results import Status

EXIT_OUT_OF_MEMORY = 99  # exit status when even reporting a result ran out of memory
EXIT_INTERNAL = 98  # exit status when the lockdown itself failed (a bug, not the program's)
RESULT_FD = 3  # the result pipe is moved here so that RLIMIT_NOFILE can be small
_PR_SET_PDEATHSIG = 1
_MAX_OPEN_FILES = 64
_MAX_FILE_MB = 16
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
NOBODY_ID = 65534  # uid and gid a root worker's program processes drop to, so RLIMIT_NPROC binds

# Bound once at import, so that a program that patches ``os`` cannot stop its results going out.
_write = os.write
_exit = os._exit
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Lockdown:
    """What the worker hands every program process; see ``SandboxConfig`` for the units."""

    worker_pid: int
    devnull_fd: int
    workdir: str
    cpu_time_s: int
    memory_mb: int


@dataclass(frozen=True)
class Entry:
    """Which function of a program is called per grid, and in which orientation.

    ``name`` first, else the first of ``fallbacks`` the program defines. With ``transposed`` the
    function gets each grid transposed and its result is transposed back (BARC's x, y indexing).
    """

    name: str
    fallbacks: tuple[str, ...] = ()
    transposed: bool = False


def libc() -> ctypes.CDLL:
    """The C library, for the calls Python 3.11's ``os`` lacks (prctl, unshare)."""
    return _libc


def die_with_parent(parent_pid: int) -> bool:
    """Have the kernel SIGKILL this process when its parent dies (PR_SET_PDEATHSIG).

    Returns False when the parent (``parent_pid``) is already gone, which prctl cannot see.
    """
    if _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    return os.getppid() == parent_pid


def prepare_worker() -> None:
    """Once per worker: the signal dispositions every program process inherits."""
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)  # RLIMIT_CPU's soft limit terminates
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # RLIMIT_FSIZE: write() raises instead


def mapped_bytes() -> int:
    """This process's virtual memory size (VmSize), which a forked child starts with."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * _PAGE_SIZE


def run_program(
    lockdown: Lockdown,
    mapped: int,
    result_fd: int,
    sources: Sequence[str],
    grids: Sequence[np.ndarray],
    namespace: dict[str, Any],
    entry: Entry,
) -> None:
    """Lock this forked process down, run each of ``sources`` on every grid, report, and exit.

    ``mapped`` is ``mapped_bytes()`` of the worker just before the fork (read there: in the
    child the read costs ~0.5 ms of copy-on-write faults). Writes one frame per source and
    grid to ``result_fd``, source by source. Each source starts from its own copy of
    ``namespace``; the CPU-time limit is ``cpu_time_s`` per source. Never returns.
    """
    try:
        _lock_down(lockdown, result_fd, mapped, len(sources))
    except BaseException:  # noqa: BLE001 - a process that is not locked down must not run code
        _exit(EXIT_INTERNAL)
    try:
        for source in sources:
            for frame in _run(source, grids, dict(namespace), entry):
                _send(frame)
    except MemoryError:
        _exit(EXIT_OUT_OF_MEMORY)
    except BaseException:  # noqa: BLE001 - the worker reports the missing grids as CRASHED
        _exit(EXIT_INTERNAL)
    _exit(0)


def _lock_down(lockdown: Lockdown, result_fd: int, mapped_bytes: int, n_sources: int) -> None:
    # Signal dispositions are the worker's (``prepare_worker``): SIGXCPU terminates, SIGXFSZ is
    # ignored so that a too-big write raises OSError. Setting them here would cost ~0.1 ms of
    # copy-on-write faults per program.
    os.setpgid(0, 0)  # the worker kills the whole group; it calls setpgid too, against the race
    for fd in (0, 1, 2):
        os.dup2(lockdown.devnull_fd, fd)
    os.dup2(result_fd, RESULT_FD)
    os.closerange(RESULT_FD + 1, os.sysconf("SC_OPEN_MAX"))
    os.chdir(lockdown.workdir)
    limits = {
        resource.RLIMIT_AS: mapped_bytes + lockdown.memory_mb * 2**20,
        resource.RLIMIT_CPU: lockdown.cpu_time_s * n_sources,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_FSIZE: _MAX_FILE_MB * 2**20,
        resource.RLIMIT_NOFILE: _MAX_OPEN_FILES,
    }
    for which, soft in limits.items():
        hard = soft + 1 if which == resource.RLIMIT_CPU else soft  # SIGKILL one second later
        resource.setrlimit(which, (soft, hard))
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY_ID)
        os.setuid(NOBODY_ID)
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no fork, no threads
    if not die_with_parent(lockdown.worker_pid):  # after setuid, which clears it (prctl(2))
        _exit(EXIT_INTERNAL)


def _run(source: str, grids: Sequence[np.ndarray], namespace: dict[str, Any], entry: Entry):
    """Yield one result frame per grid."""
    try:
        code = compile(source, "<program>", "exec")
        exec(code, namespace)  # noqa: S102 - this process exists to run untrusted code
        function = _entry_function(namespace, entry)
    except MemoryError:
        frame = encode_child_failure(Status.MEMORY, "MemoryError while loading the program")
        yield from (frame for _ in grids)
        return
    except BaseException as error:  # noqa: BLE001 - SystemExit and friends are program errors
        frame = encode_child_failure(Status.ERROR, describe_error(error))
        yield from (frame for _ in grids)
        return
    for grid in grids:
        yield _run_one(function, grid, entry.transposed)


def _entry_function(namespace: dict[str, Any], entry: Entry) -> Any:
    for name in (entry.name, *entry.fallbacks):
        function = namespace.get(name)
        if callable(function):
            return function
    names = " or ".join(repr(name) for name in (entry.name, *entry.fallbacks))
    raise NameError(f"program defines no function {names}")


def _run_one(function: Any, grid: np.ndarray, transposed: bool) -> bytes:
    try:
        if transposed:
            output = check_output(function(np.ascontiguousarray(grid.T)))
            output = np.ascontiguousarray(output.T)
        else:
            output = check_output(function(grid.copy()))
    except BadOutput as reason:
        return encode_child_failure(Status.BAD_OUTPUT, str(reason))
    except MemoryError:
        return encode_child_failure(Status.MEMORY, "MemoryError")
    except BaseException as error:  # noqa: BLE001
        return encode_child_failure(Status.ERROR, describe_error(error))
    rows, cols = output.shape
    return encode_child_ok(output.tobytes(), rows, cols)


def describe_error(error: BaseException) -> str:
    """'TypeName: message', or just the type name when the message is empty or broken."""
    name = type(error).__name__
    if isinstance(error, SyntaxError):
        return f"{name}: {error.msg} (line {error.lineno})"  # str() adds "(<program>, line 3)"
    try:
        message = str(error)
    except BaseException:  # noqa: BLE001 - a program's exception may break its own __str__
        return name
    return f"{name}: {message}" if message else name


def _send(frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        view = view[_write(RESULT_FD, view) :]
