"""The hostile catalogue as figures: escapes, hangs, and throughput with hostile programs mixed in.

1. Runs every program of tests/hostile/catalogue.py alone and counts escapes (a canary file
   changed, a process left behind, an unexpected status, a good program beside it wrong) and
   hangs (no answer within timeout + 1.5 s).
2. Measures program runs per second (programs x grids) on typical drawing programs
   (benchmarks/sandbox_throughput.py) with a fraction of hostile programs mixed in.

    python benchmarks/sandbox_hostile.py --workers 2 --programs 1000 --hostile-fraction 0 0.01 0.05
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sandbox_throughput import random_job  # noqa: E402

from solver.sandbox import Sandbox, SandboxConfig  # noqa: E402
from tests.hostile.catalogue import CATALOGUE  # noqa: E402

GOOD = "def task(img):\n    draw_line(img, (0, 0), (0, 2), 5)\n    return img\n"
GRACE_S = 1.5


def canary_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="hostile-canary-"))
    root.chmod(0o755)
    (root / "canary.txt").write_text("untouched")
    (root / "secret.txt").write_text("hunter2")
    (root / "secret.txt").chmod(0o600)
    return root


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p): (p.stat().st_mode, p.read_bytes() if p.is_file() else b"") for p in [root, *root.rglob("*")]}


def attack(sandbox: Sandbox, timeout_s: float) -> dict[str, object]:
    canary = canary_dir()
    grids = [np.zeros((3, 4), np.int8), np.arange(12, dtype=np.int8).reshape(4, 3) % 10]
    want = [[[5, 5, 5, 0], [0, 0, 0, 0], [0, 0, 0, 0]], [[5, 5, 5], [3, 4, 5], [6, 7, 8], [9, 0, 1]]]
    escapes, hangs, slowest = [], [], 0.0
    for hostile in CATALOGUE:
        before = snapshot(canary)
        start = time.monotonic()
        result, good = sandbox.run([hostile.source(str(canary), 9), GOOD], grids)
        elapsed = time.monotonic() - start
        slowest = max(slowest, elapsed)
        strays = [p for p in psutil.Process().children(recursive=True) if p.pid not in sandbox.worker_pids]
        ok = {r.status for r in result.results} <= hostile.expect and [o.tolist() for o in good.outputs or []] == want
        if snapshot(canary) != before or strays or not ok:
            escapes.append(hostile.name)
        if elapsed > timeout_s + GRACE_S:
            hangs.append(hostile.name)
    return {"programs": len(CATALOGUE), "escapes": escapes, "hangs": hangs, "slowest_answer_s": round(slowest, 3)}


def throughput(sandbox: Sandbox, programs: int, fraction: float, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    jobs = [random_job(rng, 4) for _ in range(programs)]
    hostile = [h for h in CATALOGUE if h.kind != "network"]
    for i in rng.sample(range(programs), round(fraction * programs)):
        jobs[i] = (rng.choice(hostile).source("/nonexistent", 9), jobs[i][1])
    start = time.perf_counter()
    sandbox.run_each(jobs)
    elapsed = time.perf_counter() - start
    return {"hostile_fraction": fraction, "programs": programs, "seconds": round(elapsed, 2), "runs_per_s": round(programs * 4 / elapsed)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=0.5, help="sandbox timeout_s")
    parser.add_argument("--programs", type=int, default=1000, help="programs per throughput batch")
    parser.add_argument("--hostile-fraction", type=float, nargs="+", default=[0.0, 0.01, 0.05])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with Sandbox(SandboxConfig(workers=args.workers, timeout_s=args.timeout)) as sandbox:
        figures = attack(sandbox, args.timeout)
        figures["network_blocked"] = sandbox.network_blocked
        print(f"hostile programs: {figures['programs']}, escapes: {len(figures['escapes'])} {figures['escapes']}, "
              f"hangs: {len(figures['hangs'])}, slowest answer {figures['slowest_answer_s']} s (timeout {args.timeout} s)")  # fmt: skip
        rows = []
        for fraction in args.hostile_fraction:
            row = throughput(sandbox, args.programs, fraction, args.seed)
            rows.append(row)
            print(f"hostile fraction {fraction:.0%}: {row['runs_per_s']} runs/s ({row['programs']} programs x 4 grids in {row['seconds']} s)")
    print(json.dumps({"workers": args.workers, "timeout_s": args.timeout, "euid": os.geteuid(), **figures, "throughput": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
