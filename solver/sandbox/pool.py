"""``Sandbox``: the parent side of the pool, which spreads programs over worker processes.

The parent starts ``workers`` long-lived worker processes (``worker.py``), sends them jobs in
small chunks (at most 4 programs, so that a worker never waits for work and no worker is left
with a long queue at the end of a batch), and puts each program's result in its input slot.
It does not trust workers to stay alive: a worker that dies, or that sends nothing for
``timeout_s`` (times the programs of the group it runs) + 5 s while it has work, is killed and
replaced; the program (or group) it was running gets
CRASHED (or TIMEOUT), the rest of its queue goes to the front of the line, and the batch goes
on. All parent I/O is non-blocking and driven by one selector loop, so a stuck worker can
never stall the parent.
"""

from __future__ import annotations

import json
import logging
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections import deque
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import numpy as np

from solver.sandbox.config import SandboxConfig
from solver.sandbox.outputs import MAX_COLOR, MAX_SIDE
from solver.sandbox.protocol import CODE_OF, STATUS_CODES, MessageReader, encode_message
from solver.sandbox.results import GridResult, ProgramResult, Status

logger = logging.getLogger(__name__)

BACKSTOP_GRACE_S = 5.0  # on top of timeout_s before the parent gives up on a silent worker
STARTUP_TIMEOUT_S = 60.0  # interpreter + numpy + DSL import; about 0.2 s on an idle machine
MAX_CHUNK = 4  # programs per message to a worker
ROOTDIR_PREFIX = "arc-sandbox-"  # then the owner's pid: arc-sandbox-<pid>-<random>
_OK = CODE_OF[Status.OK]
_BOOT = (
    "import json, sys; settings = json.loads(sys.argv[1]); sys.path[:] = settings['sys_path']; "
    "from solver.sandbox.worker import serve; serve(settings)"
)
Job = tuple[tuple[str, ...], list[np.ndarray]]  # sources run in one program process, and their grids


class _Worker:
    """The parent's handle on one worker process and the jobs it has been sent."""

    def __init__(self, settings: dict[str, Any]) -> None:
        cmd_read, self.cmd_fd = os.pipe()
        self.result_fd, result_write = os.pipe()
        settings = {**settings, "cmd_fd": cmd_read, "result_fd": result_write}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, json.dumps(settings)],
            pass_fds=(cmd_read, result_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env=_worker_environment(),
            cwd="/",
            start_new_session=True,  # a terminal's Ctrl-C goes to the parent only
        )
        os.close(cmd_read)
        os.close(result_write)
        os.set_blocking(self.cmd_fd, False)
        os.set_blocking(self.result_fd, False)
        self.reader = MessageReader()
        self.outbox = bytearray()
        self.in_flight: deque[int] = deque()  # job ids sent, in the order the worker runs them
        self.ready = False
        self.started_at = time.monotonic()
        self.progress_at = self.started_at  # last sign of life while it had work

    def kill(self) -> None:
        """SIGKILL the worker (its program process dies with it), reap it, close its pipes."""
        if self.process.poll() is None:  # not reaped yet, so its process group id is still ours
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:  # exited since poll(); wait() reaps it
                pass
            self.process.wait()
        self.close_fds()

    def close_command_pipe(self) -> None:
        """Close the pipe to the worker; on end of file it cleans up and exits."""
        if self.cmd_fd >= 0:
            os.close(self.cmd_fd)
            self.cmd_fd = -1

    def close_fds(self) -> None:
        self.close_command_pipe()
        if self.result_fd >= 0:
            os.close(self.result_fd)
            self.result_fd = -1


class Sandbox:
    """A pool of worker processes that run untrusted programs on grids.

    Not thread-safe: one ``run``/``run_each`` at a time. Workers start in the constructor (about
    0.2 s each, in parallel) and stop in ``close``, which ``with`` calls. If a batch is
    interrupted (an exception, Ctrl-C), the sandbox is closed and must be recreated.

    Example::

        with Sandbox(SandboxConfig(workers=2)) as sandbox:
            results = sandbox.run(programs, grids)  # results[i].results[j]: program i, grid j
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config if config is not None else SandboxConfig()
        changed = self.config.model_dump(exclude_defaults=True)
        if changed:
            logger.info("sandbox settings changed from the defaults: %s", changed)
        sweep_stale_rootdirs()
        self._rootdir = tempfile.mkdtemp(prefix=f"{ROOTDIR_PREFIX}{os.getpid()}-")
        self._network_blocked = False
        os.chmod(self._rootdir, 0o711)  # program processes run as nobody under a root parent
        self._spawned = 0
        self._workers: list[_Worker] = []
        self._finalizer = weakref.finalize(self, _shutdown, self._workers, self._rootdir)
        try:
            self._workers.extend(self._spawn() for _ in range(self.config.workers))
            self._execute([])  # waits until every worker is ready, raises if one cannot start
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers and delete their directories. Safe to call more than once."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        """True once ``close`` ran (or a batch was interrupted)."""
        return not self._finalizer.alive

    @property
    def network_blocked(self) -> bool:
        """True when programs run in an empty network namespace (root with CAP_SYS_ADMIN)."""
        return self._network_blocked

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (they change when a worker is replaced)."""
        return [worker.process.pid for worker in self._workers]

    def run(self, programs: Sequence[str], grids: Sequence[np.ndarray]) -> list[ProgramResult]:
        """Run every program on every grid.

        Args:
            programs: program sources, each defining ``config.function_name``.
            grids: 2-D integer arrays (or lists of lists), values 0-9, sides 1-30. Each program
                call gets its own int8 copy, so programs cannot change them.

        Returns:
            One ``ProgramResult`` per program in ``programs`` order, each with one
            ``GridResult`` per grid in ``grids`` order.
        """
        checked = _check_grids(grids, "grids")
        return [group[0] for group in self._execute([((_check_source(p, f"programs[{i}]"),), checked) for i, p in enumerate(programs)])]

    def run_each(self, jobs: Sequence[tuple[str, Sequence[np.ndarray]]]) -> list[ProgramResult]:
        """Run each program on its own grids: ``jobs[i] = (source, grids)``.

        Returns:
            One ``ProgramResult`` per job, in ``jobs`` order, each in that job's grid order.
        """
        checked = [((_check_source(source, f"jobs[{i}] source"),), _check_grids(grids, f"jobs[{i}] grids")) for i, (source, grids) in enumerate(jobs)]
        return [group[0] for group in self._execute(checked)]

    def run_groups(self, groups: Sequence[Sequence[str]], grids: Sequence[np.ndarray]) -> list[list[ProgramResult]]:
        """Run every program on every grid, each group's programs one after another in one
        program process: one fork per group instead of one per program.

        For many small variants of a program that already ran alone (pruning tries dozens of
        its line deletions), the fork is most of the cost: a drawing program runs in ~0.2 ms
        and its fork and exit cost ~5 ms. The price is isolation inside a group: a program
        that changes the DSL, numpy or builtins changes them for the programs after it in its
        group, so a caller that relies on a group's result should run that program alone once.
        Each program still gets ``timeout_s`` (from when the one before it finished) and
        ``cpu_time_s``; one that hangs or kills its process costs its own result, and the rest
        of its group go on in a new process (``worker.run_job``).

        Returns:
            One list per group, in ``groups`` order, of one ``ProgramResult`` per program.
        """
        checked = _check_grids(grids, "grids")
        for i, group in enumerate(groups):
            if isinstance(group, str):
                raise ValueError(f"groups[{i}] must be a list of program sources, got one str")
        jobs = [(tuple(_check_source(p, f"groups[{i}][{j}]") for j, p in enumerate(group)), checked) for i, group in enumerate(groups)]
        return self._execute(jobs)

    # -- the event loop ---------------------------------------------------------------------

    def _execute(self, jobs: list[Job]) -> list[list[ProgramResult]]:
        if self.closed:
            raise RuntimeError("the sandbox is closed; create a new Sandbox")
        try:
            return self._loop(_Batch(jobs))
        except BaseException:
            self.close()  # workers may still hold jobs of this batch: none of them can be reused
            raise

    def _loop(self, batch: _Batch) -> list[list[ProgramResult]]:
        selector = selectors.DefaultSelector()
        for worker in self._workers:
            selector.register(worker.result_fd, selectors.EVENT_READ, worker)
        try:
            while batch.pending or any(w.in_flight or not w.ready for w in self._workers):
                share = math.ceil(len(batch.pending) / (4 * len(self._workers)))
                chunk = max(1, min(MAX_CHUNK, share))
                for worker in self._workers:
                    if batch.pending and len(worker.in_flight) <= chunk:
                        self._dispatch(worker, batch, chunk, selector)
                deadlines = [d for w in self._workers if (d := _deadline(w, batch, self.config.timeout_s))]
                wait_s = max(0.0, min(deadlines, default=time.monotonic()) - time.monotonic())
                for key, events in selector.select(wait_s):
                    worker = key.data
                    if worker not in self._workers:  # replaced earlier in this round
                        continue
                    if key.fd == worker.cmd_fd:
                        self._flush(worker, selector)
                    elif not self._receive(worker, batch):
                        self._replace(worker, batch, selector, Status.CRASHED)
                now = time.monotonic()
                for worker in list(self._workers):
                    deadline = _deadline(worker, batch, self.config.timeout_s)
                    if deadline is not None and now > deadline:
                        self._replace(worker, batch, selector, Status.TIMEOUT)
        finally:
            selector.close()
        return batch.finished()

    def _dispatch(
        self, worker: _Worker, batch: _Batch, chunk: int, selector: selectors.BaseSelector
    ) -> None:
        job_ids = [batch.pending.popleft() for _ in range(min(chunk, len(batch.pending)))]
        if not worker.in_flight:
            worker.progress_at = time.monotonic()
        worker.in_flight.extend(job_ids)
        # One pickle per chunk: grids shared by its jobs (``run``) are pickled once.
        message = ("jobs", [(i, batch.jobs[i][0], batch.jobs[i][1]) for i in job_ids])
        worker.outbox += encode_message(message)
        self._flush(worker, selector)

    def _flush(self, worker: _Worker, selector: selectors.BaseSelector) -> None:
        """Write what the pipe takes now; the selector reports when it takes more."""
        try:
            written = os.write(worker.cmd_fd, worker.outbox)
        except BlockingIOError:
            written = 0
        except BrokenPipeError:  # the worker died; the end of its result pipe will say so
            written = len(worker.outbox)
        del worker.outbox[:written]
        registered = worker.cmd_fd in selector.get_map()
        if worker.outbox and not registered:
            selector.register(worker.cmd_fd, selectors.EVENT_WRITE, worker)
        elif not worker.outbox and registered:
            selector.unregister(worker.cmd_fd)

    def _receive(self, worker: _Worker, batch: _Batch) -> bool:
        """Handle what the worker sent; False when it has died (end of file)."""
        try:
            data = os.read(worker.result_fd, 1 << 20)
        except BlockingIOError:
            return True
        if not data:
            return False
        for message in worker.reader.feed(data):
            kind = message[0]
            if kind == "result":
                _, job_id, wires = message
                assert worker.in_flight and worker.in_flight[0] == job_id, "results out of order"
                worker.in_flight.popleft()
                sources, grids = batch.jobs[job_id]
                batch.results[job_id] = [_program_result(wires[i * len(grids) : (i + 1) * len(grids)]) for i in range(len(sources))]
            elif kind == "ready":
                worker.ready = True
                self._network_blocked = message[2]["network_blocked"]
            elif kind == "fatal":
                raise RuntimeError(f"sandbox worker failed to start: {message[1]}")
            worker.progress_at = time.monotonic()
        return True

    def _replace(
        self, worker: _Worker, batch: _Batch, selector: selectors.BaseSelector, status: Status
    ) -> None:
        """Kill ``worker``, fail the job it was running, requeue the rest, start a new one."""
        for fd in (worker.result_fd, worker.cmd_fd):
            if fd in selector.get_map():
                selector.unregister(fd)
        worker.kill()
        died = _describe_exit(worker.process.returncode)
        if not worker.ready:
            raise RuntimeError(f"a sandbox worker did not start: it {died}")
        why = "stopped answering" if status is Status.TIMEOUT else died
        logger.warning("replacing a sandbox worker (pid %d) that %s", worker.process.pid, why)
        if worker.in_flight:
            culprit = worker.in_flight.popleft()
            if status is Status.TIMEOUT:
                reason = (
                    f"worker stopped answering: no result {self.config.timeout_s:g} s per program"
                    f" + {BACKSTOP_GRACE_S:g} s after the job could start"
                )
            else:
                reason = f"worker process {died}"
            failure = GridResult.failed(status, reason)
            sources, grids = batch.jobs[culprit]
            batch.results[culprit] = [ProgramResult([failure] * len(grids)) for _ in sources]
        batch.pending.extendleft(reversed(worker.in_flight))
        replacement = self._spawn()
        self._workers[self._workers.index(worker)] = replacement
        selector.register(replacement.result_fd, selectors.EVENT_READ, replacement)

    def _spawn(self) -> _Worker:
        self._spawned += 1
        config = self.config
        settings = {
            "parent_pid": os.getpid(),
            "workdir": os.path.join(self._rootdir, f"worker{self._spawned}"),
            "sys_path": _absolute_sys_path(),
            "dsl": config.dsl,
            "function_name": config.function_name,
            "timeout_s": config.timeout_s,
            "cpu_time_s": config.cpu_time_s,
            "memory_mb": config.memory_mb,
        }
        return _Worker(settings)


class _Batch:
    """One ``run``/``run_each`` call: its jobs, the ones not yet sent, and the results so far."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.pending: deque[int] = deque(range(len(jobs)))
        self.results: list[list[ProgramResult] | None] = [None] * len(jobs)

    def finished(self) -> list[list[ProgramResult]]:
        assert all(r is not None for r in self.results), "every job must have a result"
        return self.results  # type: ignore[return-value]


def _deadline(worker: _Worker, batch: _Batch, timeout_s: float) -> float | None:
    """When the parent gives up on ``worker``, or None while it has nothing to do: the running
    job's time (``timeout_s`` per source) plus ``BACKSTOP_GRACE_S`` after its last message."""
    if not worker.ready:
        return worker.started_at + STARTUP_TIMEOUT_S
    if worker.in_flight:
        sources = batch.jobs[worker.in_flight[0]][0]
        return worker.progress_at + timeout_s * len(sources) + BACKSTOP_GRACE_S
    return None


def _program_result(wires: list[tuple[int, bytes | None, int, int, str | None]]) -> ProgramResult:
    results = []
    for code, cells, rows, cols, error in wires:
        if code == _OK:
            results.append(GridResult.ok(np.frombuffer(cells, np.int8).reshape(rows, cols)))
        else:
            results.append(GridResult.failed(STATUS_CODES[code], error or ""))
    return ProgramResult(results)


def _describe_exit(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


def _check_source(source: Any, what: str) -> str:
    if not isinstance(source, str):
        kind = type(source).__name__
        raise ValueError(f"{what} must be source text (str), got {kind}")
    return source


def _check_grids(grids: Sequence[Any], what: str) -> list[np.ndarray]:
    """The grids as int8 arrays; ValueError naming the first bad one and what is wrong."""
    checked = []
    for i, grid in enumerate(grids):
        array = np.asarray(grid)
        problem = None
        if array.ndim != 2 or array.dtype.kind not in "iu":
            problem = f"a 2-D integer array, got {array.ndim}-D {array.dtype}"
        elif not (1 <= array.shape[0] <= MAX_SIDE and 1 <= array.shape[1] <= MAX_SIDE):
            problem = f"1-{MAX_SIDE} cells per side, got {array.shape[0]}x{array.shape[1]}"
        elif array.min() < 0 or array.max() > MAX_COLOR:
            problem = f"values 0-{MAX_COLOR}, got {array.min()}..{array.max()}"
        if problem:
            raise ValueError(f"{what}[{i}] must be {problem}")
        checked.append(np.ascontiguousarray(array, dtype=np.int8))
    return checked


def _absolute_sys_path() -> list[str]:
    """The parent's ``sys.path`` for workers, whose cwd is /: relative directories made absolute.

    Entries that are not directories (zip files, editable-install path-hook markers) are kept.
    """
    return [os.path.abspath(p) if os.path.isdir(p or ".") else p for p in sys.path]


def _worker_environment() -> dict[str, str]:
    """A scrubbed environment: no secrets, tokens or proxies of the parent reach programs."""
    return {
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        # numpy's BLAS must not start threads: a program process may not (RLIMIT_NPROC = 0).
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": "",
    }


def sweep_stale_rootdirs(tmpdir: str | None = None) -> list[str]:
    """Delete ``arc-sandbox-<pid>-*`` directories whose owner process is gone; return them.

    A parent killed with SIGKILL runs no finalizer, so its directory stays behind (its workers
    and programs die with it through PR_SET_PDEATHSIG). Each new ``Sandbox`` sweeps those. A
    directory whose pid is alive (perhaps reused by another process) is left alone; names
    without a pid (made before this sweep existed) are left too.
    """
    tmpdir = tmpdir or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(tmpdir)
    except OSError:
        return removed
    for name in names:
        owner = name[len(ROOTDIR_PREFIX) :].partition("-")[0]
        if not name.startswith(ROOTDIR_PREFIX) or not owner.isdigit() or _alive(int(owner)):
            continue
        path = os.path.join(tmpdir, name)
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.exists(path):
            removed.append(path)
    if removed:
        logger.info("removed %d sandbox directories left by killed runs", len(removed))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def _shutdown(workers: list[_Worker], rootdir: str) -> None:
    """Close every worker's command pipe (they exit on end of file), reap, delete the dirs."""
    for worker in workers:
        worker.close_command_pipe()
    for worker in workers:
        try:
            worker.process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            worker.kill()
        worker.close_fds()
    workers.clear()
    shutil.rmtree(rootdir, ignore_errors=True)
