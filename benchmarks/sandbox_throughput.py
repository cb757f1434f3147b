"""How many program runs (programs x grids) per second the sandbox sustains.

Generates typical drawing programs (1-5 random DSL calls with in-range arguments) and ~4
random grids of side 3-10 per program, runs them through ``Sandbox.run_each``, and prints a
one-line summary and a JSON line. Until ``solver.tasks`` exists the programs are made here.

    python benchmarks/sandbox_throughput.py --workers 2 --programs 2000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from solver.sandbox import Sandbox, SandboxConfig  # noqa: E402


def random_call(rng: random.Random, rows: int, cols: int) -> str:
    """One random drawing call on a ``rows`` x ``cols`` grid, as a line of source."""
    def point() -> tuple[int, int]:
        return rng.randrange(rows), rng.randrange(cols)

    color = rng.randrange(10)
    kind = rng.choice(["pixel", "line", "rectangle", "horizontal", "vertical", "fill"])
    if kind == "pixel":
        return f"draw_pixel(img, {point()}, {color})"
    if kind == "line":
        return f"draw_line(img, point1={point()}, point2={point()}, color={color})"
    if kind == "rectangle":
        return f"img = draw_rectangle(img, {point()}, {point()}, {color})"
    if kind == "horizontal":
        return f"draw_horizontal_line(img, {rng.randrange(rows)}, {color})"
    if kind == "vertical":
        return f"draw_vertical_line(img, x={rng.randrange(cols)}, color={color})"
    return f"flood_fill(img, {point()}, {color})"


def random_job(rng: random.Random, grids_per_program: int) -> tuple[str, list[np.ndarray]]:
    """A program of 1-5 calls and ``grids_per_program`` random grids of side 3-10."""
    rows, cols = rng.randint(3, 10), rng.randint(3, 10)
    lines = [random_call(rng, rows, cols) for _ in range(rng.randint(1, 5))]
    source = "def task(img):\n" + "".join(f"    {line}\n" for line in lines) + "    return img\n"
    np_rng = np.random.default_rng(rng.randrange(2**32))
    grids = []
    for _ in range(grids_per_program):
        shape = (rng.randint(3, 10), rng.randint(3, 10))
        grids.append(np_rng.integers(0, 10, size=shape, dtype=np.int8))
    return source, grids


def cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its reaped children (the program processes), from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # fields[11:15] are utime, stime, cutime, cstime (proc(5) fields 14-17), in clock ticks
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--programs", type=int, default=2000, help="programs per batch")
    parser.add_argument("--grids", type=int, default=4, help="grids per program")
    parser.add_argument("--batches", type=int, default=3, help="timed batches; the best counts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    jobs = [random_job(rng, args.grids) for _ in range(args.programs)]
    start = time.perf_counter()
    with Sandbox(SandboxConfig(workers=args.workers)) as sandbox:
        start_s = time.perf_counter() - start
        sandbox.run_each(jobs[:50])  # warm-up
        times, parent_cpu, worker_cpu = [], [], []
        for _ in range(args.batches):
            pids = sandbox.worker_pids
            workers_before = sum(cpu_seconds(pid) for pid in pids)
            tic, cpu = time.perf_counter(), time.process_time()
            results = sandbox.run_each(jobs)
            times.append(time.perf_counter() - tic)
            parent_cpu.append(time.process_time() - cpu)
            assert sandbox.worker_pids == pids, "a worker was replaced; CPU figures would be off"
            worker_cpu.append(sum(cpu_seconds(pid) for pid in pids) - workers_before)
    ok = sum(r.all_ok for r in results)
    best = times.index(min(times))
    best_s = times[best]
    programs_per_s = args.programs / best_s
    runs_per_s = args.programs * args.grids / best_s
    # Load-independent: total CPU (parent + workers + program processes) per program, and the
    # runs/s that 2 otherwise idle cores would give at that cost.
    cpu_ms = min(p + w for p, w in zip(parent_cpu, worker_cpu)) / args.programs * 1000
    idle_runs_per_s = 2 * args.grids * 1000 / cpu_ms
    print(  # noqa: T201 - a benchmark prints
        f"{args.workers} workers on {os.cpu_count()} cores: {programs_per_s:,.0f} programs/s, "
        f"{runs_per_s:,.0f} runs/s (best of {args.batches} x {args.programs} programs x "
        f"{args.grids} grids), pool start {start_s:.2f} s, parent CPU "
        f"{parent_cpu[best] / best_s:.0%}, load {os.getloadavg()[0]:.1f}, "
        f"{ok}/{args.programs} all-ok; {cpu_ms:.1f} ms CPU per program in all, "
        f"i.e. {idle_runs_per_s:,.0f} runs/s on 2 idle cores"
    )
    record = {
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "programs": args.programs,
        "grids_per_program": args.grids,
        "batch_s": [round(t, 4) for t in times],
        "programs_per_s": round(programs_per_s, 1),
        "runs_per_s": round(runs_per_s, 1),
        "pool_start_s": round(start_s, 3),
        "parent_cpu_s": [round(t, 4) for t in parent_cpu],
        "worker_cpu_s": [round(t, 4) for t in worker_cpu],
        "cpu_ms_per_program": round(cpu_ms, 3),
        "runs_per_s_on_2_idle_cores": round(idle_runs_per_s, 1),
        "load_average_1min": os.getloadavg()[0],
        "all_ok": ok,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    print(json.dumps(record))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
