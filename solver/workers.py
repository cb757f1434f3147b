"""One worker process per GPU: each loads the model once and solves the tasks the parent hands it.

The parent runs the scheduler (``solver.schedule``) and is the only writer of submission.json;
``ProcessBackend`` is the scheduler driver's view of the workers. Each worker is a spawned
process that sets ``CUDA_VISIBLE_DEVICES`` to its GPU before importing torch, loads the model, builds
its own sandbox with its share of the CPU cores (cores // workers, at least 1), says "ready", then
takes (task, assignment) messages over its pipe and answers with a ``TaskSearchResult``.
Several workers may share a GPU (``--workers`` above the GPU count): they load one at a time and
each takes its share of vLLM's memory fraction.

Failure handling: the parent watches every worker's pipe and process sentinel. A worker that
dies (segfault, OOM kill) or overruns its deadline + grace is killed; its task keeps its
fallback attempts and the run goes on with the others. A dead worker is restarted (a fresh model
load, about 15-20 s for a 7B model on an L4) at most ``max_restarts`` times.

Deadlines are ``time.monotonic()`` values: CLOCK_MONOTONIC is system-wide on Linux, so the
parent's deadlines mean the same in every worker.

Not covered: a worker stuck inside a CUDA call ignores SIGTERM; it gets SIGKILL 5 s later, and
if the driver hangs the GPU, the restarted worker may fail to load (it is then retired).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from solver.sandbox.config import usable_cores
from solver.schedule import Assignment, Finished

log = logging.getLogger(__name__)

STOP_WAIT_S = 5.0  # SIGTERM, then SIGKILL after this long
LOAD_LOCK_WAIT_S = 300.0  # a load that takes longer than this no longer holds back the next worker of its GPU


def visible_gpus() -> list[str]:
    """GPU ids this process may use: CUDA_VISIBLE_DEVICES if set, else torch's device count."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [g.strip() for g in listed.split(",") if g.strip() and g.strip() != "-1"]
    try:
        import torch
    except ImportError:
        return []
    return [str(i) for i in range(torch.cuda.device_count())]


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process needs to build its solver; picklable.

    Attributes:
        gpu: the CUDA_VISIBLE_DEVICES value for this worker; None leaves the variable alone (CPU).
        sandbox_workers: program-runner processes of this worker's sandbox.
        torch_threads: torch intra-op threads; None leaves torch's default.
        sampler: the sampling backend, ``auto`` (vLLM when it imports and a GPU is there),
            ``transformers`` or ``vllm``.
        gpu_share: the fraction of its GPU this worker may fill (1 / the workers on that GPU);
            vLLM's memory fraction is scaled by it.
    """

    model_dir: str
    her_config: Any  # HerConfig (pydantic, picklable)
    device: str | None = None
    sampler: str = "auto"
    gpu: str | None = None
    sandbox_workers: int = 1
    torch_threads: int | None = None
    gpu_share: float = 1.0


def plan_workers(
    model_dir: str | Path,
    her_config: Any,
    *,
    workers: int | None = None,
    device: str | None = None,
    sandbox_workers: int | None = None,
    sampler: str = "auto",
) -> list[WorkerSpec]:
    """One spec per worker: one per visible GPU, or ``workers`` of them (GPUs shared round-robin).

    Two workers per GPU keep the GPU busy with one task's sampling while the other task's
    adapter trains; each gets its share of the GPU's memory and of the CPU cores.

    Args:
        workers: how many worker processes; None: one per GPU (one on a machine without GPU).
        sandbox_workers: sandbox processes per worker; None: cores // workers, at least 1.
    """
    gpus = [] if device == "cpu" else visible_gpus()
    count = workers if workers is not None else max(1, len(gpus))
    if count < 1:
        raise ValueError(f"workers must be >= 1, got {count}")
    share = max(1, usable_cores() // count)
    assigned = [gpus[i % len(gpus)] if gpus else None for i in range(count)]
    return [
        WorkerSpec(
            model_dir=str(model_dir),
            her_config=her_config,
            device=device,
            gpu=gpu,
            sandbox_workers=sandbox_workers or share,
            torch_threads=None if gpus else share,
            sampler=sampler,
            gpu_share=1.0 / assigned.count(gpu) if gpu is not None else 1.0,
        )
        for gpu in assigned
    ]


def _worker_main(worker_id: int, spec: WorkerSpec, conn: Connection) -> None:
    """The worker process: load once, then solve the tasks that arrive until told to stop."""
    if spec.gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = spec.gpu  # before torch is imported
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.WARNING, format=f"%(levelname)s worker {worker_id} %(name)s: %(message)s")
    try:
        if spec.torch_threads is not None:
            import torch

            torch.set_num_threads(spec.torch_threads)
        from solver.runner import load_parts, solve_turn

        with gpu_load_lock(spec.gpu):
            parts = load_parts(
                spec.model_dir, device=spec.device, learn=spec.her_config.learn, sandbox_workers=spec.sandbox_workers,
                prompt_format=spec.her_config.prompt_format, sampler=spec.sampler, gpu_share=spec.gpu_share,
            )
    except BaseException:
        conn.send(("failed", traceback.format_exc()))
        return
    conn.send(("ready", None))
    try:
        while True:
            message = conn.recv()
            if message is None:
                break
            task, assignment, state_dir = message
            try:
                conn.send(("done", solve_turn(task, parts, spec.her_config, assignment, state_dir=state_dir)))
            except Exception:
                conn.send(("error", traceback.format_exc()))
    except (EOFError, KeyboardInterrupt):
        pass  # the parent went away
    finally:
        parts.close()


@contextmanager
def gpu_load_lock(gpu: str | None, wait_s: float = LOAD_LOCK_WAIT_S) -> Iterator[bool]:
    """Hold GPU ``gpu``'s load lock (a file lock) while loading; yields whether it was got.

    Workers that share a GPU load one at a time. Their engines' KV caches have fixed sizes
    (``shared_kv_cache_bytes``), so starting together would be safe for memory (the toy suite
    starts twelve at once), but engines compiling into vLLM's one on-disk cache at the same
    time were never tested; one at a time, the first compiles and the others read. A file
    lock (``filelock``: flock on Unix) is released by the kernel when its holder dies, even by
    SIGKILL, so a worker killed while loading cannot hold the others back. After ``wait_s`` the
    worker loads anyway (with a warning). A CPU worker (``gpu`` None) takes no lock.
    """
    if gpu is None:
        yield True
        return
    from filelock import FileLock, Timeout

    lock = FileLock(Path(tempfile.gettempdir()) / f"arc-her-solver-gpu{gpu}.lock", timeout=wait_s)
    try:
        lock.acquire()
    except Timeout:
        log.warning("GPU %s: another worker has been loading for over %.0f s; loading anyway", gpu, wait_s)
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


@dataclass
class _Worker:
    process: Any
    conn: Connection
    state: str = "starting"  # starting, idle, busy, gone
    restarts: int = 0


class ProcessBackend:
    """Worker processes for ``solver.schedule.drive``; see the module docstring.

    Args:
        specs: one per worker (``plan_workers``).
        max_restarts: restarts per worker after it died (an overdue stop does not count).
    """

    def __init__(self, specs: list[WorkerSpec], *, max_restarts: int = 2) -> None:
        if not specs:
            raise ValueError("specs must name at least one worker")
        self.specs = specs
        self.max_restarts = max_restarts
        self.tasks: dict[str, Any] = {}
        self.state_dir: Path | None = None
        self._context = multiprocessing.get_context("spawn")
        self._workers = [self._spawn(i) for i in range(len(specs))]
        self._events: list[Finished] = []

    def _spawn(self, worker_id: int, restarts: int = 0) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(worker_id, self.specs[worker_id], child),
                                        name=f"solver-worker-{worker_id}", daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent, restarts=restarts)

    def use_tasks(self, tasks: list[Any], state_dir: Path | None = None) -> None:
        """The tasks that assignments name (sent to workers without their solutions), and the
        folder where a task's round leaves its state for the next (``solver.runner.solve_turn``)."""
        self.tasks = {task.id: task.without_solutions() for task in tasks}
        self.state_dir = state_dir

    # -- the Backend protocol ----------------------------------------------------------------
    def idle(self) -> list[int]:
        return [i for i, w in enumerate(self._workers) if w.state == "idle"]

    def busy(self) -> bool:
        return any(w.state in ("starting", "busy") for w in self._workers)

    def start(self, worker_id: int, assignment: Assignment) -> None:
        worker = self._workers[worker_id]
        worker.state = "busy"
        try:
            worker.conn.send((self.tasks[assignment.task_id], assignment, self.state_dir))
        except (OSError, ValueError) as error:  # the pipe broke: the worker died; wait() reports it
            log.warning("worker %d: could not send task %s: %s", worker_id, assignment.task_id, error)

    def wait(self, until: float) -> list[Finished]:
        idle_before = set(self.idle())
        while not self._events and set(self.idle()) <= idle_before:
            watched = {}
            for i, w in enumerate(self._workers):
                if w.state in ("starting", "busy"):
                    watched[w.conn] = (i, w)
                    watched[w.process.sentinel] = (i, w)
            timeout = until - time.monotonic()
            if not watched or timeout <= 0:
                break
            for ready in wait(list(watched), timeout=timeout):
                worker_id, worker = watched[ready]
                # pipe and sentinel of one dead worker are both ready: the first restarts it,
                # and the second must not be taken for a death of the replacement
                if self._workers[worker_id] is worker and worker.state in ("starting", "busy"):
                    self._receive(worker_id)
        events, self._events = self._events, []
        return events

    def stop(self, worker_id: int) -> bool:
        """Kill an overdue worker and start a fresh one. Not counted as a restart: an overdue
        task is the schedule's doing, not a broken worker, and must not retire a GPU."""
        self._kill(worker_id)
        restarts = self._workers[worker_id].restarts
        self._workers[worker_id] = self._spawn(worker_id, restarts)
        return True

    def close(self) -> None:
        """Ask every worker to stop, then kill those that do not within ``STOP_WAIT_S``."""
        for worker in self._workers:
            if worker.state in ("idle", "starting", "busy") and worker.process.is_alive():
                try:
                    worker.conn.send(None)
                except (OSError, ValueError):
                    pass
        end = time.monotonic() + STOP_WAIT_S
        for worker in self._workers:
            worker.process.join(max(0.0, end - time.monotonic()))
        for i in range(len(self._workers)):
            self._kill(i)

    def __enter__(self) -> ProcessBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------
    def _receive(self, worker_id: int) -> None:
        worker = self._workers[worker_id]
        try:
            kind, payload = worker.conn.recv() if worker.conn.poll() else ("died", None)
        except (EOFError, OSError):
            kind, payload = "died", None
        except Exception as error:  # a result that does not unpickle: count it as the task failing
            kind, payload = "error", f"{type(error).__name__}: {error}"
        if kind == "ready":
            worker.state = "idle"
        elif kind == "done":
            worker.state = "idle"
            self._events.append(Finished(worker_id, payload))
        elif kind == "error":
            worker.state = "idle"
            log.warning("worker %d: task failed:\n%s", worker_id, payload)
            self._events.append(Finished(worker_id, None, payload))
        else:  # failed to start, or died
            was_busy = worker.state == "busy"
            worker.process.join(1.0)
            reason = payload if kind == "failed" else f"exit code {worker.process.exitcode}"
            log.warning("worker %d %s: %s", worker_id, "failed to start" if kind == "failed" else "died", reason)
            self._kill(worker_id)
            restarted = kind != "failed" and self._restart(worker_id)
            if was_busy or not restarted:
                self._events.append(Finished(worker_id, None, reason, worker_lost=not restarted))

    def _kill(self, worker_id: int) -> None:
        worker = self._workers[worker_id]
        if worker.process.is_alive():
            worker.process.terminate()
            worker.process.join(STOP_WAIT_S)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        worker.conn.close()
        worker.state = "gone"

    def _restart(self, worker_id: int) -> bool:
        restarts = self._workers[worker_id].restarts
        if restarts >= self.max_restarts:
            return False
        log.warning("restarting worker %d (restart %d of %d)", worker_id, restarts + 1, self.max_restarts)
        self._workers[worker_id] = self._spawn(worker_id, restarts + 1)
        return True
