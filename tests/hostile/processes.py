"""Which processes a sandbox test may find alive: the leak checks of the sandbox tests."""

from __future__ import annotations

import psutil

from solver.sandbox import Sandbox

# multiprocessing's own helpers, started by whichever earlier test in this pytest worker used a
# spawn context; they outlive that test by design and are no sandbox's leftovers
_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def strays(shared: Sandbox) -> list[psutil.Process]:
    """This process's live descendants other than ``shared``'s workers and multiprocessing's helpers."""
    found = []
    for process in psutil.Process().children(recursive=True):
        if process.pid in shared.worker_pids:
            continue
        try:
            if any(h in " ".join(process.cmdline()) for h in _HELPERS):
                continue
        except psutil.NoSuchProcess:
            continue
        found.append(process)
    return found
