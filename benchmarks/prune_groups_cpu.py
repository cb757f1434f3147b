"""Execution time of a search epoch: three ways of running pruning's line deletions.

Pruning a program tries its line deletions in the sandbox: dozens of variants for a 25-line
drawing program. Modes, oldest first: every variant in its own program process (~5 ms of CPU
each against ~0.2 ms to run it); each program's round of variants in one process
(``Sandbox.run_groups``), program after program; and every kept program pruned together
(``_prune_all``: a round of all programs' variants in one call, one group per sandbox worker).
This runs the same search once per mode on one sandbox and prints each epoch's execution
seconds and the program processes forked. Pure search samples the very same programs in
every mode; with ``--learn`` (HER, where every kept program is pruned) every mode trains on the
same pruned programs, so on a CPU they sample the same ones too (the rows show whether they
did). The first two modes prune program after program through ``_prune_all``, which splits
even one program's round over the sandbox workers: with ``--workers 1`` (the GPU table's
setting) that is the loop as it was before programs were pruned together.

    python benchmarks/prune_groups_cpu.py --task 25-squares --epochs 4 --workers 1 [--learn] [--modes groups,together]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any


MODES = ("one fork per variant", "groups", "together")


class Counting:
    """The sandbox, counting program processes; ``one_fork_each`` runs groups the old way."""

    def __init__(self, sandbox: Any, one_fork_each: bool) -> None:
        self.sandbox, self.one_fork_each, self.forks = sandbox, one_fork_each, 0
        self.config = sandbox.config

    def run(self, programs, grids):
        self.forks += len(programs)
        return self.sandbox.run(programs, grids)

    def run_groups(self, groups, grids):
        if self.one_fork_each:
            return [self.run(list(group), grids) for group in groups]
        self.forks += len(groups)
        return self.sandbox.run_groups(groups, grids)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/drawing-small")
    parser.add_argument("--task", default="25-squares")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="sandbox workers (the GPU table gives each search 1)")
    parser.add_argument("--sampling", default="4@0.1,28@0.9")
    parser.add_argument("--learn", action="store_true", help="HER instead of pure search")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {MODES}")
    args = parser.parse_args()
    unknown = set(args.modes.split(",")) - set(MODES)
    if unknown:
        parser.error(f"unknown --modes {sorted(unknown)}; choose from {MODES}")

    from solver.cli import _sampling
    from solver.her import HerConfig, loop, search_and_learn
    from solver.runner import load_parts
    from solver.tasks import toy_task

    parts = load_parts(args.model, sampler="transformers", sandbox_workers=args.workers, learn=args.learn)
    config = HerConfig(max_epochs=args.epochs, max_new_tokens=700, seed=0, learn=args.learn, splice=8, sampling=_sampling(args.sampling))
    rows = []
    prune_all = loop._prune_all
    for mode in args.modes.split(","):
        sandbox = Counting(parts.sandbox, one_fork_each=mode == "one fork per variant")
        loop._prune_all = prune_all if mode == "together" else _one_at_a_time(prune_all)
        started = time.perf_counter()
        result = search_and_learn(toy_task(args.task).task, sampler=parts.sampler, sandbox=sandbox, tokenizer=parts.tokenizer,
                                  learner=parts.learner, config=config)
        rows.append({
            "mode": mode,
            "learn": args.learn,
            "execution_s": [round(e.execution_s, 2) for e in result.epochs],
            "forks": sandbox.forks,
            "valid": [e.valid for e in result.epochs],
            "novel": [e.novel_outputs for e in result.epochs],
            "best_pixel_accuracy": [round(e.best_pixel_accuracy, 3) for e in result.epochs],
            "seconds": round(time.perf_counter() - started, 1),
        })
        print(json.dumps(rows[-1]), flush=True)
    parts.sandbox.close()
    return 0


def _one_at_a_time(prune_all: Any) -> Any:
    """``_prune_all`` called once per program, as the loop pruned before it pruned together."""
    return lambda items, grids, sandbox: [prune_all([item], grids, sandbox)[0] for item in items]


if __name__ == "__main__":
    raise SystemExit(main())
