"""End to end on CPU: the dry run over two toy tasks and three ARC-AGI-2 evaluation tasks.

Runs the real command line with a tiny random model; checks the submission against the
challenges, the report's score against an independent recount, and that a run killed midway
resumes to the same file as an uninterrupted run.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from solver.arc import load_dataset
from solver.models.default import build_random_model
from solver.tasks import toy_task

TOY = ["9-vertical-lines", "12-squares"]
ARC = ["e8686506", "20270e3b", "7b5033c1"]  # small ARC-AGI-2 evaluation tasks; 20270e3b has 2 test inputs
FLAGS = ["--sampling", "2@0.1,4@1.0", "--max-epochs", "2", "--max-new-tokens", "48", "--time-budget", "20m", "--quiet", "--sandbox-workers", "2"]


def expected_tasks():
    by_id = {t.id: t for t in load_dataset("arc-agi-2/evaluation")}
    return [toy_task(name).task for name in TOY] + [by_id[i] for i in ARC]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return build_random_model(tmp_path_factory.mktemp("model") / "tiny", size="tiny", seed=3)


def dry_run_command(model_dir: Path, out_dir: Path) -> list[str]:
    return [
        sys.executable, "-m", "solver", "dry-run",
        "--dataset", "toy:" + ",".join(TOY), "--dataset", "arc-agi-2/evaluation:" + ",".join(ARC),
        "--model", str(model_dir), "--output-dir", str(out_dir), *FLAGS,
    ]  # fmt: skip


def run(command):
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


def recount(submission, tasks):
    """Score by hand: a test input counts if either attempt equals its output."""
    total = 0.0
    for task in tasks:
        hits = [
            any(submission[task.id][i][k] == case.output for k in ("attempt_1", "attempt_2"))
            for i, case in enumerate(task.test)
        ]
        total += sum(hits) / len(hits)
    return total


def check_valid(submission, tasks):
    assert set(submission) == {t.id for t in tasks}
    for task in tasks:
        entries = submission[task.id]
        assert len(entries) == len(task.test)
        for entry in entries:
            assert set(entry) == {"attempt_1", "attempt_2"}
            for grid in entry.values():
                assert grid and all(row and all(isinstance(v, int) and 0 <= v <= 9 for v in row) for row in grid)
                assert len({len(row) for row in grid}) == 1


def test_dry_run_end_to_end_and_resume(model_dir, tmp_path):
    tasks = expected_tasks()
    # an uninterrupted run
    full = tmp_path / "full"
    done = run(dry_run_command(model_dir, full))
    assert done.returncode == 0, done.stderr[-3000:]
    submission = orjson.loads((full / "submission.json").read_bytes())
    check_valid(submission, tasks)
    report = orjson.loads((full / "report.json").read_bytes())
    assert report["tasks"] == 5 and report["score"] == pytest.approx(recount(submission, tasks))
    assert [t["task_id"] for t in report["per_task"]] == [t.id for t in tasks]
    assert all(t["epochs"] >= 1 and t["samples"] >= 6 for t in report["per_task"])
    assert sorted(p.name for p in (full / "pictures").iterdir()) == sorted(f"{t.id}.png" for t in tasks)
    assert "| 9-vertical-lines |" in (full / "summary.md").read_text()
    validate = run([sys.executable, "-m", "solver", "validate", "--submission", str(full / "submission.json"), "--dataset", "arc-agi-2/evaluation"])
    assert validate.returncode == 1 and "9-vertical-lines: not a task of these challenges" in validate.stdout  # toy ids are extra there

    # a run killed after two tasks, then resumed
    cut = tmp_path / "cut"
    process = subprocess.Popen(dry_run_command(model_dir, cut), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    progress = cut / "submission.json.progress.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if progress.exists() and len(progress.read_bytes().splitlines()) >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    check_valid(orjson.loads((cut / "submission.json").read_bytes()), tasks)
    finished_before = len(progress.read_bytes().splitlines())
    assert 2 <= finished_before < 5, "the kill should land midway"
    resumed = run(dry_run_command(model_dir, cut))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming: {finished_before} of 5 tasks already done" in resumed.stderr
    assert orjson.loads((cut / "submission.json").read_bytes()) == submission
    assert len(progress.read_bytes().splitlines()) == 5


def test_a_dry_run_resumes_only_a_run_with_the_same_settings(tmp_path):
    from solver.dryrun import start_or_resume

    settings = {"flags": {"limit": 2}, "her": {"sampling": ({"n": 4, "temperature": 0.1},)}, "model": "m", "model_files": {"w": [1, 2]}, "git_sha": "a"}
    assert start_or_resume(tmp_path, settings) is False
    (tmp_path / "submission.json").write_text("{}")
    (tmp_path / "pictures").mkdir()
    # the same run (other library versions): resumed, nothing deleted
    assert start_or_resume(tmp_path, {**settings, "versions": {"torch": "9"}}) is True
    assert (tmp_path / "submission.json").exists() and (tmp_path / "pictures").exists()
    # the model's weights changed: the old results are cleared
    assert start_or_resume(tmp_path, {**settings, "model_files": {"w": [1, 3]}}) is False
    assert not (tmp_path / "submission.json").exists() and not (tmp_path / "pictures").exists()
    assert json.loads((tmp_path / "run.json").read_text())["model_files"] == {"w": [1, 3]}
    # so does another commit of the code
    (tmp_path / "submission.json").write_text("{}")
    assert start_or_resume(tmp_path, {**settings, "model_files": {"w": [1, 3]}, "git_sha": "b"}) is False
    assert not (tmp_path / "submission.json").exists()
