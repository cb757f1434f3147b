"""A solver without a model, for crash, clock and fault tests: stub sampler, real loop and sandbox.

``StubSampler`` answers every prompt with programs drawn from ``PROGRAMS`` by the sampling seed
(so a run is reproducible and a resumed run equals an uninterrupted one), after ``delay_s``
(the time a real model would take). ``fail_first`` makes the first k ``generate`` calls raise
an out-of-memory error, like a GPU would. Run as a script it solves toy tasks into a folder:

    python -m tests.hostile.stub_solver OUT_DIR [--delay 0.02] [--budget 60] [--margin 5] [--hang]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from typing import Any

from solver.sampler import Sampler
from solver.sampler.interface import Completion

PROGRAMS = (
    "def task(img):\n    return img\n",
    "def task(img):\n    draw_line(img, (0, 0), (0, 2), 5)\n    return img\n",
    "def task(img):\n    draw_pixel(img, (1, 1), 3)\n    return img\n",
    "def task(img):\n    img = draw_rectangle(img, (0, 0), (1, 1), 2)\n    return img\n",
    "def task(img):\n    return img[::-1]\n",
    "def task(img):\n    return 1 / 0\n",
)
HANG = "def task(img):\n    while True:\n        pass\n"
TOY_TASKS = ("12-squares", "16-squares", "20-squares", "25-squares", "36-squares", "49-squares")


class OutOfMemoryError(RuntimeError):
    """Named like ``torch.OutOfMemoryError``, which ``solver.faults`` recognises by name."""


class StubTokenizer:
    def apply_chat_template(self, messages: list[dict[str, str]], **_: Any) -> str:
        return "\n".join(m["content"] for m in messages)

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": [hash(word) for word in text.split()]}  # one word, one token


class StubSampler(Sampler):
    def __init__(self, delay_s: float = 0.0, hang: bool = False, fail_first: int = 0, error: type = OutOfMemoryError) -> None:
        self.delay_s, self.hang, self.fail_first, self.error = delay_s, hang, fail_first, error
        self.calls: list[list[tuple[int, int]]] = []  # (n, max_new_tokens) per group, per call

    def generate(self, prompts: Sequence[str], params: Sequence[Any], *, adapter: Any = None) -> list[list[Completion]]:
        self.calls.append([(p.n, p.max_new_tokens) for p in params])
        if len(self.calls) <= self.fail_first:
            raise self.error("CUDA out of memory. Tried to allocate 2.00 GiB")
        time.sleep(self.delay_s)
        groups = []
        for p in params:
            rng = random.Random(p.seed)
            texts = [HANG if self.hang else rng.choice(PROGRAMS) for _ in range(p.n)]
            groups.append([Completion(t + "```", 10, True) for t in texts])
        return groups


def stub_parts(sampler: StubSampler, *, timeout_s: float = 0.5, workers: int = 1) -> Any:
    from solver.runner import SolverParts
    from solver.sandbox import Sandbox, SandboxConfig

    sandbox = Sandbox(SandboxConfig(workers=workers, timeout_s=timeout_s))
    return SolverParts(tokenizer=StubTokenizer(), sampler=sampler, learner=None, sandbox=sandbox)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--margin", type=float, default=None)
    parser.add_argument("--hang", action="store_true")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)

    from solver.dryrun import dry_run
    from solver.her import HerConfig, SamplingSetting
    from solver.schedule import ScheduleConfig
    from solver.tasks import toy_task

    tasks = [toy_task(name).task for name in TOY_TASKS]
    config = HerConfig(sampling=(SamplingSetting(n=3, temperature=1.0),), max_epochs=args.epochs, learn=False, prune=False)
    schedule = ScheduleConfig.for_budget(args.budget, args.margin)
    parts = stub_parts(StubSampler(args.delay, args.hang))
    try:
        dry_run(tasks, parts, args.out_dir, time_budget_s=args.budget, her_config=config, progress=False, schedule=schedule, draw=False)
    finally:
        parts.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
