"""SIGKILL at random points of a run, and mid-write: submission.json stays valid and complete,
and the re-run resumes to the same result as an uninterrupted run.

Two drivers: the stub solver (tests/hostile/stub_solver.py: real loop, sandbox and writer, a
stub sampler; ~2 s a run) for many kill points, and the real command line with a tiny random
model for the mid-write kills. ``SOLVER_TEST_PAUSE_MID_WRITE_S`` makes every write pause
halfway through its bytes (solver/submission/writer.py), so a kill lands mid-write for sure.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from solver.models.default import build_random_model
from solver.submission.writer import PAUSE_MID_WRITE_ENV
from solver.tasks import toy_task
from tests.hostile.stub_solver import TOY_TASKS

ROOT = Path(__file__).parent.parent
ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
ENV.pop(PAUSE_MID_WRITE_ENV, None)
RANDOM_KILLS = 6
CLI_TASKS = ["12-squares"]  # one small task: each CLI run costs ~8 s of start-up on a 2-core machine
CLI_FLAGS = ["--sampling", "2@0.1,4@1.0", "--max-epochs", "2", "--max-new-tokens", "48", "--time-budget", "20m", "--quiet", "--sandbox-workers", "1", "--no-learn"]


def stub_command(out_dir: Path) -> list[str]:
    return [sys.executable, "-m", "tests.hostile.stub_solver", str(out_dir), "--delay", "0.05"]


def cli_command(model_dir: Path, out_dir: Path) -> list[str]:
    return [sys.executable, "-m", "solver", "dry-run", "--dataset", "toy:" + ",".join(CLI_TASKS), "--model", str(model_dir), "--output-dir", str(out_dir), *CLI_FLAGS]


def check_valid(out_dir: Path, task_ids) -> dict:
    """submission.json parses and holds every task, each test input with two grids."""
    submission = orjson.loads((out_dir / "submission.json").read_bytes())
    assert set(submission) == set(task_ids)
    for task_id in task_ids:
        task = toy_task(task_id).task
        assert len(submission[task_id]) == len(task.test)
        for entry in submission[task_id]:
            assert set(entry) == {"attempt_1", "attempt_2"} and all(grid and grid[0] for grid in entry.values())
    return submission


def run_to_end(command: list[str], env=ENV) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]


def kill_when(command: list[str], ready, env=ENV, timeout_s: float = 120) -> bool:
    """Start ``command``, SIGKILL it as soon as ``ready()`` (polled every 2 ms); False if it ended first."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    deadline = time.monotonic() + timeout_s
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if ready():
                process.send_signal(signal.SIGKILL)
                process.wait()
                return True
            time.sleep(0.002)
        return False
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def mid_submission_write(out_dir: Path):
    """True while a submission.json temporary file exists after the first finished task."""
    progress = out_dir / "submission.json.progress.jsonl"
    return lambda: progress.exists() and any(p.name.startswith(".submission.json.tmp") for p in out_dir.iterdir())


def mid_progress_write(out_dir: Path):
    """True while the progress log ends in a torn line."""
    progress = out_dir / "submission.json.progress.jsonl"

    def torn() -> bool:
        data = progress.read_bytes() if progress.exists() else b""
        return bool(data) and not data.endswith(b"\n")

    return torn


def test_random_kills_and_resume_give_the_uninterrupted_result(tmp_path):
    full = tmp_path / "full"
    start = time.monotonic()
    run_to_end(stub_command(full))
    duration_s = time.monotonic() - start
    expected = check_valid(full, TOY_TASKS)
    cut = tmp_path / "cut"
    pause = {**ENV, PAUSE_MID_WRITE_ENV: "0.3"}
    for ready in (mid_progress_write(cut), mid_submission_write(cut)):
        assert kill_when(stub_command(cut), ready, env=pause), "the run ended before the write"
        check_valid(cut, TOY_TASKS)
    rng = random.Random(7)
    killed = 0
    for _ in range(RANDOM_KILLS):  # each trial resumes the previous one, then is killed again
        delay_s = rng.uniform(0.3, duration_s / 2)
        started = time.monotonic()
        killed += kill_when(stub_command(cut), lambda: time.monotonic() - started > delay_s)
        if (cut / "submission.json").exists():
            check_valid(cut, TOY_TASKS)
    run_to_end(stub_command(cut))
    assert check_valid(cut, TOY_TASKS) == expected
    lines = (cut / "submission.json.progress.jsonl").read_bytes().splitlines()
    assert sorted(orjson.loads(line)["task_id"] for line in lines if line.endswith(b"}")) == sorted(TOY_TASKS)
    assert killed >= RANDOM_KILLS // 2, "most random kills should land before the run ends"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return build_random_model(tmp_path_factory.mktemp("model") / "tiny", size="tiny", seed=3)


@pytest.mark.slow  # three CLI runs with a real (tiny) model: ~80 s on a 2-core machine
def test_the_real_dry_run_killed_mid_write_resumes_to_the_same_submission(model_dir, tmp_path):
    full = tmp_path / "full"
    run_to_end(cli_command(model_dir, full))
    expected = check_valid(full, CLI_TASKS)
    cut = tmp_path / "cut"
    pause = {**ENV, PAUSE_MID_WRITE_ENV: "0.5"}
    assert kill_when(cli_command(model_dir, cut), mid_progress_write(cut), env=pause)
    check_valid(cut, CLI_TASKS)  # the torn line is ignored: the task runs again on resume
    run_to_end(cli_command(model_dir, cut))
    assert check_valid(cut, CLI_TASKS) == expected
