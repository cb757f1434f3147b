"""The toy-suite benchmark (the seed's experiment) runs searches in parallel and goes on where it stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from solver.models.default import build_random_model

SCRIPT = Path(__file__).parent.parent / "benchmarks" / "her_toy_suite.py"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return build_random_model(tmp_path_factory.mktemp("model") / "tiny", size="tiny", seed=3)


def suite(model_dir: Path, out: Path, seeds: int) -> subprocess.CompletedProcess:
    command = [
        sys.executable, str(SCRIPT), "--model", str(model_dir), "--tasks", "9-vertical-lines", "--seeds", str(seeds),
        "--modes", "her,search", "--max-epochs", "1", "--max-new-tokens", "24", "--sampling", "2@0.5",
        "--sampler", "transformers", "--jobs", "2", "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


def test_the_suite_runs_both_modes_in_parallel_and_resumes(model_dir, tmp_path):
    first = suite(model_dir, tmp_path, seeds=1)
    assert first.returncode == 0, first.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert sorted((r["mode"], r["seed"]) for r in rows) == [("her", 0), ("search", 0)]
    assert all(r["epochs"] == 1 and r["samples"] == 2 and r["task"] == "9-vertical-lines" for r in rows)
    assert next(r for r in rows if r["mode"] == "search")["training_s"] == 0

    # a second call with one more seed runs only the new seed; the table counts all four runs
    second = suite(model_dir, tmp_path, seeds=2)
    assert second.returncode == 0, second.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert sorted((r["mode"], r["seed"]) for r in rows) == [("her", 0), ("her", 1), ("search", 0), ("search", 1)]
    table = (tmp_path / "table.md").read_text()
    assert "2 searches at once, 4 runs (2 from earlier calls)" in table
    assert "| 9-vertical-lines | her | 0/2 |" in table and "| 9-vertical-lines | search | 0/2 |" in table


def test_a_rows_best_program_is_the_solution_or_the_most_accurate_of_any_epoch():
    import importlib.util

    from solver.her.loop import Found, TaskSearchResult

    spec = importlib.util.spec_from_file_location("her_toy_suite", SCRIPT)
    suite_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite_module)

    def found(program, accuracy):
        return Found(program=program, train_outputs=(), test_outputs=(), train_correct=0, pixel_accuracy=accuracy, votes=1)

    stalled = TaskSearchResult("t", best_per_epoch=[found("a", 0.5), None, found("b", 0.9), found("c", 0.7)])
    assert suite_module.best_program(stalled) == "b"
    assert suite_module.best_program(TaskSearchResult("t", best_per_epoch=[None])) is None
    solved = TaskSearchResult("t", solution="pruned", best_per_epoch=[found("b", 0.9), found("unpruned", 1.0)])
    assert suite_module.best_program(solved) == "pruned"
