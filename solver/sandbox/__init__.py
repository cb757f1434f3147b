"""Run many untrusted programs (LLM-written Python) over many grids, fast and apart.

A program is source text defining ``task(img)`` (the name is configurable). It runs with the
DSL's ``__all__`` names (``solver.dsl.drawing`` by default) and ``np`` in its globals, and is
called once per grid with a fresh int8 copy of it; its return value, if it is a grid, is the
output. Every grid gets a ``GridResult`` with a ``Status``; failures are data, not exceptions.
BARC-style programs (``SandboxConfig(dsl="solver.dsl.barc", function_name="transform")``) also
find the DSL as ``common``, fall back to ``main``, and see grids transposed (``[x, y]``); their
outputs come back in ARC's orientation (``solver.sandbox.conventions``).

    with Sandbox(SandboxConfig(workers=2, timeout_s=1.0)) as sandbox:
        results = sandbox.run(programs, grids)  # every program on every grid
        keep = {r.fingerprint: p for p, r in zip(programs, results) if r.all_ok}

Isolation model
---------------
- Three processes. The parent (maybe with torch/CUDA loaded) starts ``workers`` long-lived
  worker processes as fresh interpreters (``python -c``, i.e. the ``spawn`` start method,
  never a plain fork of the parent), with a scrubbed environment. Each worker imports numpy
  and the DSL once (about 0.2 s), then runs programs one at a time. A root worker first moves
  into an empty network namespace (``unshare(CLONE_NEWNET)``; where that is refused, e.g. a
  container without CAP_SYS_ADMIN, the network stays open: ``Sandbox.network_blocked``).
- For every program the worker ``os.fork()``s a program process: a copy-on-write snapshot of
  the warm worker, so whatever a program changes (monkeypatched numpy or DSL, builtins,
  globals, files in its directory) dies with it and the next program never sees it. This
  costs ~5-6 ms of CPU per program on the 2-core dev VM, mostly fork + exit: ~1,400 runs/s
  (programs x grids, 4 grids per program) on its 2 cores (benchmarks/sandbox_throughput.py).
  ``run_groups`` is the exception: a group's programs (pruning's variants of one program) share
  one program process, one after another, so a program there can reach the ones after it in its
  group (docs/SECURITY.md); the HER loop reruns what it keeps from a group alone.
- The program process locks itself down before compiling anything: its own process group;
  fds 0/1/2 on /dev/null and every other fd closed but its result pipe; cwd in a private,
  emptied-after-every-program directory; RLIMIT_AS = what it maps at fork + ``memory_mb``;
  RLIMIT_CPU = ``cpu_time_s``; RLIMIT_CORE = 0; RLIMIT_FSIZE = 16 MB; RLIMIT_NOFILE = 64;
  if the worker is root it drops to uid/gid 65534 (nobody), then RLIMIT_NPROC = 0 (no fork,
  no threads: a fork bomb gets EAGAIN); it dies with its worker (PR_SET_PDEATHSIG).
- Each grid's result goes into the result pipe as it finishes, in a binary format the worker
  checks (never a pickle), so a timeout on grid 3 keeps grids 1-2. The worker enforces ``timeout_s`` (wall
  clock, the whole program) from outside with poll() and a deadline, then SIGKILLs the
  process group and reaps it: no zombies, nothing left behind. No SIGALRM anywhere.
- The parent backstops the workers: one that dies or is silent for ``timeout_s`` + 5 s while
  busy is killed and replaced, its current program is CRASHED (or TIMEOUT), and its queue is
  sent elsewhere; the batch goes on.

What is covered: accidents and sloppiness of generated code - infinite loops (Python or C),
memory bombs, fork bombs, deep recursion and segfaults, exit()/os._exit/SystemExit/
KeyboardInterrupt, printing, writing files in the cwd, patching modules or builtins, killing
or signalling its own worker (under a root worker the program is nobody and cannot), and
returning anything that is not a grid.

What is not covered (docs/SECURITY.md has the whole list; tests/test_hostile.py attacks it with
83 programs): there is no seccomp filter, mount namespace or container. A program can read any
world-readable file and, as nobody, write in /tmp; under a non-root worker it keeps the worker's
uid (its files, its processes) and the network. Program processes of one sandbox share one uid
and could signal each other. Disk is bounded only per file (16 MB) and by the timeout. Run the
whole solver in a container if the programs may be hostile.

A parent killed with SIGKILL leaves its ``arc-sandbox-<pid>-*`` directory; the next ``Sandbox``
removes those whose pid is dead.

Imports: as nobody, a program can import only modules already loaded in the worker (numpy,
the DSL, ``worker.PRELOADED``: math, itertools, collections, ...) or readable by nobody; a
Python installed under /root (pyenv) is not, and other imports then fail as ERROR.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from solver.sandbox.config import SandboxConfig
    from solver.sandbox.pool import Sandbox
    from solver.sandbox.results import GridResult, ProgramResult, Status

__all__ = ["GridResult", "ProgramResult", "Sandbox", "SandboxConfig", "Status"]

# Imported on first use (PEP 562) because every worker process imports this package on its
# way to ``solver.sandbox.worker``, and pydantic + subprocess would add about 0.25 s to each
# worker's start for nothing.
_HOMES = {
    "GridResult": "solver.sandbox.results",
    "ProgramResult": "solver.sandbox.results",
    "Status": "solver.sandbox.results",
    "Sandbox": "solver.sandbox.pool",
    "SandboxConfig": "solver.sandbox.config",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
