"""The hostile-program suite: every program in tests/hostile/catalogue.py attacks the sandbox.

Each runs alone and mixed into a batch of good programs. For every one: the parent survives,
the good programs beside it return correct results, the answer comes within the timeout plus
a grace, no canary file changes, no process is left behind, and the next batch runs at normal
speed. Under root (here and in CI) programs run as nobody in an empty network namespace; the
network checks are skipped where the sandbox could not block the network.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from solver.sandbox import Sandbox, SandboxConfig, Status
from solver.sandbox.pool import sweep_stale_rootdirs
from tests.hostile.catalogue import CATALOGUE, Hostile
from tests.hostile.processes import strays

TIMEOUT_S = 0.5
GRACE_S = 1.5  # a loaded 2-core machine; the worker itself answers within ~50 ms of the timeout
GOOD = "def task(img):\n    draw_line(img, (0, 0), (0, 2), 5)\n    return img\n"
GRIDS = [np.zeros((3, 4), dtype=np.int8), np.arange(12, dtype=np.int8).reshape(4, 3) % 10]
WANT = [[[5, 5, 5, 0], [0, 0, 0, 0], [0, 0, 0, 0]], [[5, 5, 5], [3, 4, 5], [6, 7, 8], [9, 0, 1]]]
BY_NAME = {h.name: h for h in CATALOGUE}
ROOT = os.geteuid() == 0
RUNNABLE = [h for h in CATALOGUE if ROOT or not h.needs_root]  # see Hostile.needs_root


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every path under ``root`` with its mode, owner and content hash."""
    seen = {}
    for path in [root, *sorted(root.rglob("*"))]:
        stat = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        seen[str(path)] = (stat.st_mode, stat.st_uid, digest)
    return seen


@pytest.fixture(scope="module")
def canary(tmp_path_factory):
    """A root-owned directory (0755) with a world-readable file (0644) and a secret (0600)."""
    root = tmp_path_factory.mktemp("canary")
    for parent in [root, *root.parents]:  # pytest's tmp dirs are 0700; let nobody in to try
        if str(parent) in ("/", tempfile.gettempdir()):
            break
        parent.chmod(parent.stat().st_mode | 0o755)
    root.chmod(0o755)
    (root / "canary.txt").write_text("untouched")
    (root / "canary.txt").chmod(0o644)
    (root / "secret.txt").write_text("hunter2")
    (root / "secret.txt").chmod(0o600)
    return root


@pytest.fixture(scope="module")
def listener():
    """A TCP listener at 127.0.0.1 that records whether anyone connected."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(SandboxConfig(workers=2, timeout_s=TIMEOUT_S)) as box:
        yield box


def nobody_connected(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
    except BlockingIOError:
        return True
    return False


def check_good(result) -> None:
    assert result.all_ok, result.results
    assert [o.tolist() for o in result.outputs] == WANT


def good_batch_seconds(box: Sandbox, count: int = 100) -> float:
    start = time.monotonic()
    for result in box.run([GOOD] * count, GRIDS):
        check_good(result)
    return time.monotonic() - start


def timed_batch(box: Sandbox, run) -> tuple[list, float, float]:
    """``run()``'s results, its seconds, and the seconds of a batch of good programs just before."""
    normal_s = good_batch_seconds(box)
    start = time.monotonic()
    results = run()
    return results, time.monotonic() - start, normal_s


def test_the_catalogue_covers_every_attack_the_issue_lists():
    assert len(CATALOGUE) >= 40
    kinds = {h.kind for h in CATALOGUE}
    assert kinds >= {"hang", "recursion", "memory", "fork", "exit", "signal", "files", "network", "process", "patch", "output", "crash"}


@pytest.mark.parametrize("hostile", CATALOGUE, ids=lambda h: h.name)
def test_each_program_alone(hostile: Hostile, sandbox, canary, listener):
    if hostile.needs_root and not ROOT:
        pytest.skip("under a non-root worker the program keeps its uid (docs/SECURITY.md)")
    if hostile.kind == "network" and not sandbox.network_blocked:
        pytest.skip("the network is open here: no CAP_SYS_ADMIN for a network namespace")
    before = snapshot(canary)
    start = time.monotonic()
    (result,) = sandbox.run([hostile.source(str(canary), listener.getsockname()[1])], GRIDS)
    elapsed = time.monotonic() - start
    assert elapsed < TIMEOUT_S + GRACE_S, f"answered after {elapsed:.2f} s"
    statuses = {r.status for r in result.results}
    assert statuses <= hostile.expect, result.results
    assert snapshot(canary) == before
    assert strays(sandbox) == []
    if sandbox.network_blocked:
        assert nobody_connected(listener)
    else:
        nobody_connected(listener)  # drain: the network is open here (docs/SECURITY.md)
    check_good(sandbox.run([GOOD], GRIDS)[0])  # the next program sees a clean world


def test_all_programs_mixed_into_good_ones(sandbox, canary, listener):
    port = listener.getsockname()[1]
    programs = []
    runnable = [h for h in RUNNABLE if sandbox.network_blocked or h.kind != "network"]
    for hostile in runnable:
        programs += [GOOD, hostile.source(str(canary), port)]
    programs.append(GOOD)
    before = snapshot(canary)
    results, elapsed, normal_s = timed_batch(sandbox, lambda: sandbox.run(programs, GRIDS))
    for result in results[::2]:
        check_good(result)
    for hostile, result in zip(runnable, results[1::2]):
        assert {r.status for r in result.results} <= hostile.expect, (hostile.name, result.results)
    hangs = sum(any(r.status is Status.TIMEOUT for r in res.results) for res in results[1::2])
    # at worst every hang holds one of the two workers for TIMEOUT_S, plus the good work
    assert elapsed < hangs * TIMEOUT_S / 2 + 2 * normal_s + 2 * GRACE_S + len(runnable) * 0.05
    assert snapshot(canary) == before
    assert strays(sandbox) == []
    assert good_batch_seconds(sandbox) < 2 * normal_s + 0.5  # the next batch at normal speed


def test_all_programs_in_groups_reach_nothing_outside_their_group(sandbox, canary, listener):
    # run_groups shares one program process within a group (pruning's variants), so what a
    # hostile program does may reach the good program after it in its group, by design; the
    # groups of good programs around it, the files, the network and the processes stay clean.
    port = listener.getsockname()[1]
    runnable = [h for h in RUNNABLE if sandbox.network_blocked or h.kind != "network"]
    groups = [[GOOD]]
    for hostile in runnable:
        groups += [[hostile.source(str(canary), port), GOOD], [GOOD]]
    before = snapshot(canary)
    results, elapsed, normal_s = timed_batch(sandbox, lambda: sandbox.run_groups(groups, GRIDS))
    for group in results[::2]:
        check_good(group[0])
    assert all(len(result.results) == len(GRIDS) for group in results for result in group)
    hangs = sum(any(r.status is Status.TIMEOUT for r in group[0].results) for group in results[1::2])
    assert elapsed < hangs * TIMEOUT_S / 2 + 2 * normal_s + 2 * GRACE_S + len(runnable) * 0.05
    assert snapshot(canary) == before
    assert strays(sandbox) == []
    if sandbox.network_blocked:
        assert nobody_connected(listener)
    assert good_batch_seconds(sandbox) < 2 * normal_s + 0.5


def test_the_network_is_blocked_for_a_root_worker(sandbox, listener):
    if os.geteuid() != 0:
        pytest.skip("only a root worker can unshare a network namespace; see docs/SECURITY.md")
    if not sandbox.network_blocked:
        pytest.skip("unshare(CLONE_NEWNET) refused here (no CAP_SYS_ADMIN); the network is open")
    # As nobody, ``import socket`` may fail already (a Python under /root): hand the program the
    # socket module as its "DSL" so that the namespace, not the import, is what stops it.
    port = listener.getsockname()[1]
    connect = body_of("s = socket(AF_INET, SOCK_STREAM)", "s.settimeout(0.2)", f"s.connect(('127.0.0.1', {port}))", "return img")
    with Sandbox(SandboxConfig(workers=1, timeout_s=2.0, dsl="socket")) as box:
        (result,) = box.run([connect], GRIDS[:1])
    assert result.results[0].status is Status.ERROR and "OSError" in result.results[0].error, result
    assert nobody_connected(listener)


def body_of(*lines: str) -> str:
    return "def task(img):\n" + "".join(f"    {line}\n" for line in lines)


def test_stale_directories_of_killed_parents_are_swept(tmp_path):
    child = subprocess.Popen(
        [sys.executable, "-c", "from solver.sandbox import Sandbox, SandboxConfig; import sys, time; "
         "box = Sandbox(SandboxConfig(workers=1)); print(box._rootdir, flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # private: other sandboxes sweep /tmp too
    )  # fmt: skip
    rootdir = child.stdout.readline().strip()
    assert os.path.isdir(rootdir)
    worker = psutil.Process(child.pid).children()
    child.kill()
    child.wait()
    child.stdout.close()
    psutil.wait_procs(worker, timeout=5)  # its worker dies with it (PR_SET_PDEATHSIG)
    assert os.path.isdir(rootdir), "a SIGKILLed parent leaves its directory"
    assert os.path.dirname(rootdir) == str(tmp_path)
    alive = tempfile.mkdtemp(prefix=f"arc-sandbox-{os.getpid()}-", dir=tmp_path)  # our pid: alive
    legacy = tempfile.mkdtemp(prefix="arc-sandbox-", dir=tmp_path)  # no pid in the name
    assert sweep_stale_rootdirs(str(tmp_path)) == [rootdir]
    assert not os.path.exists(rootdir) and os.path.isdir(alive) and os.path.isdir(legacy)
