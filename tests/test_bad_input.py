"""Bad challenge files: every malformation the loader knows, truncation, duplicate ids, a huge task.

Good tasks beside bad ones are still solved; nothing is dropped silently: the load report lists
each skipped task and why, ``run`` keeps a skipped task in submission.json with fallback
attempts (its test inputs where readable, else [[0]]), and the dry run's report.json lists them.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import orjson
import pytest

from solver.arc import LoadReport, TaskFileError, load_challenges
from solver.dryrun import dry_run
from solver.her import HerConfig, SamplingSetting, search_and_learn
from solver.runner import solve_tasks
from solver.submission import inputs_as_attempts
from solver.tasks import toy_task
from tests.hostile.stub_solver import StubSampler, stub_parts

GOOD = {"train": [{"input": [[1, 0], [0, 1]], "output": [[0, 1], [1, 0]]}], "test": [{"input": [[1, 1], [0, 0]]}]}
PAIR = GOOD["train"][0]
TEST = GOOD["test"]
MALFORMED = {
    "not_an_object": ([1, 2, 3], "expected an object with 'train' and 'test'"),
    "missing_train": ({"test": TEST}, "missing key(s) ['train']"),
    "missing_test": ({"train": [PAIR]}, "missing key(s) ['test']"),
    "no_train_pairs": ({"train": [], "test": TEST}, "at least one train pair"),
    "no_test_input": ({"train": [PAIR], "test": []}, "at least one test input"),
    "test_without_input": ({"train": [PAIR], "test": [{"output": [[1]]}]}, "test.0.input"),
    "pair_without_output": ({"train": [{"input": [[1]]}], "test": TEST}, "train.0.output"),
    "ragged_grid": ({"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": TEST}, "ragged grid"),
    "color_10": ({"train": [{"input": [[10]], "output": [[1]]}], "test": TEST}, "ints 0-9, got 10"),
    "negative": ({"train": [{"input": [[-1]], "output": [[1]]}], "test": TEST}, "ints 0-9, got -1"),
    "float_cell": ({"train": [{"input": [[1.5]], "output": [[1]]}], "test": TEST}, "ints 0-9"),
    "bool_cell": ({"train": [{"input": [[True]], "output": [[1]]}], "test": TEST}, "ints 0-9"),
    "too_big": ({"train": [{"input": [[0] * 31] * 31, "output": [[1]]}], "test": TEST}, "31x31"),
    "empty_grid": ({"train": [{"input": [], "output": [[1]]}], "test": TEST}, "non-empty"),
    "empty_rows": ({"train": [{"input": [[]], "output": [[1]]}], "test": TEST}, "must not be empty"),
    "string_grid": ({"train": [{"input": "0101", "output": [[1]]}], "test": TEST}, "non-empty list of rows"),
    "bad_test_grid": ({"train": [PAIR], "test": [{"input": [[1, "x"]]}]}, "ints 0-9"),
}


def write(path, challenges) -> str:
    path.write_bytes(orjson.dumps(challenges) if not isinstance(challenges, bytes) else challenges)
    return str(path)


def test_every_malformation_is_skipped_with_its_reason_and_the_good_task_loads(tmp_path):
    challenges = {"good": GOOD} | {name: raw for name, (raw, _) in MALFORMED.items()}
    report = LoadReport()
    tasks = load_challenges(write(tmp_path / "c.json", challenges), skip_bad=True, report=report)
    assert [t.id for t in tasks] == ["good"]
    reasons = {s.task_id: s.reason for s in report.skipped}
    assert list(reasons) == list(MALFORMED)  # every bad task listed, in file order
    for name, (_, message) in MALFORMED.items():
        assert message in reasons[name] and f"task {name}" in reasons[name] and "c.json" in reasons[name]
    with pytest.raises(TaskFileError, match="task not_an_object"):
        load_challenges(tmp_path / "c.json")  # without skip_bad the first bad task stops the load


def test_skipped_tasks_keep_their_readable_test_inputs_for_fallback_attempts(tmp_path):
    report = LoadReport()
    load_challenges(write(tmp_path / "c.json", {n: MALFORMED[n][0] for n in ("missing_train", "no_test_input", "bad_test_grid", "not_an_object")}), skip_bad=True, report=report)
    inputs = {s.task_id: s.test_inputs for s in report.skipped}
    assert inputs == {"missing_train": [[[1, 1], [0, 0]]], "no_test_input": [[[0]]], "bad_test_grid": [[[0]]], "not_an_object": [[[0]]]}


def test_a_truncated_file_is_a_clear_error(tmp_path):
    data = orjson.dumps({"good": GOOD, "other": GOOD})
    path = write(tmp_path / "c.json", data[: len(data) // 2])
    with pytest.raises(TaskFileError, match=r"c\.json: not valid JSON"):
        load_challenges(path, skip_bad=True)
    done = subprocess.run([sys.executable, "-m", "solver", "run", "--challenges", path, "--time-budget", "1m", "--output", str(tmp_path / "s.json")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "not valid JSON" in done.stderr and "Traceback" not in done.stderr


def test_duplicate_ids_are_detected_and_the_last_is_kept(tmp_path):
    other = {**GOOD, "test": [{"input": [[5]]}]}
    text = b'{"a": ' + orjson.dumps(GOOD) + b', "b": ' + orjson.dumps(GOOD) + b', "a": ' + orjson.dumps(other) + b"}"
    report = LoadReport()
    tasks = load_challenges(write(tmp_path / "c.json", text), skip_bad=True, report=report)
    assert [t.id for t in tasks] == ["a", "b"] and tasks[0].test[0].input == [[5]]
    assert report.duplicate_ids == ["a"] and report.as_dict()["duplicate_ids"] == ["a"]


def test_run_keeps_skipped_tasks_in_the_submission_and_solves_the_good_ones(tmp_path):
    good = toy_task("12-squares").task
    challenges = {good.id: {"train": [e.model_dump() for e in good.train], "test": [{"input": c.input} for c in good.test]}}
    challenges |= {"missing_train": MALFORMED["missing_train"][0], "color_10": MALFORMED["color_10"][0]}
    report = LoadReport()
    tasks = load_challenges(write(tmp_path / "c.json", challenges), skip_bad=True, report=report)
    parts = stub_parts(StubSampler())
    config = HerConfig(sampling=(SamplingSetting(n=3, temperature=1.0),), max_epochs=1, learn=False, prune=False)
    try:
        unloadable = {s.task_id: inputs_as_attempts(s.test_inputs) for s in report.skipped}
        writer = solve_tasks(tasks, parts, output=tmp_path / "s.json", time_budget_s=60, her_config=config, progress=False, unloadable=unloadable)
        submission = orjson.loads((tmp_path / "s.json").read_bytes())
        assert set(submission) == set(challenges)  # nothing dropped
        assert submission["missing_train"] == [{"attempt_1": [[1, 1], [0, 0]], "attempt_2": [[1, 1], [0, 0]]}]
        assert writer.is_done(good.id) and not writer.is_done("color_10")

        out = tmp_path / "dry"
        solved = [good.model_copy(update={"test": [c.model_copy(update={"output": c.input}) for c in good.test]})]
        report_json = dry_run(solved, parts, out, time_budget_s=60, her_config=config, progress=False, load_report=report, draw=False)
    finally:
        parts.close()
    skipped = report_json["skipped_tasks"]["skipped"]
    assert [s["task_id"] for s in skipped] == ["missing_train", "color_10"]
    assert orjson.loads((out / "report.json").read_bytes())["skipped_tasks"] == report_json["skipped_tasks"]


def test_a_30x30_task_with_10_examples_runs_with_the_tiny_model(tmp_path):
    from solver.models import load_model
    from solver.models.default import build_random_model
    from solver.sampler import TransformersSampler
    from solver.sandbox import Sandbox, SandboxConfig

    rng = np.random.default_rng(0)
    grid = lambda: rng.integers(0, 10, (30, 30)).tolist()  # noqa: E731
    raw = {"big": {"train": [{"input": grid(), "output": grid()} for _ in range(10)], "test": [{"input": grid()}]}}
    (task,) = load_challenges(write(tmp_path / "c.json", raw))
    model, tokenizer = load_model(build_random_model(tmp_path / "tiny", size="tiny", seed=0), device="cpu")
    config = HerConfig(sampling=(SamplingSetting(n=2, temperature=1.0),), max_epochs=1, max_new_tokens=16, learn=False)
    with Sandbox(SandboxConfig(workers=1)) as sandbox:
        result = search_and_learn(task, sampler=TransformersSampler(model, tokenizer), sandbox=sandbox, tokenizer=tokenizer, config=config)
    # 10 pairs of 30x30 grids are ~20k tokens, over the model's 8192: the largest pairs are left out
    assert len(result.epochs) == 1 and result.samples == 2 and result.stop_reason == "epochs"
    assert any("left out of the prompt" in f for f in result.faults), result.faults
