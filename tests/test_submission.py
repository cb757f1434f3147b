import orjson
import pytest

from solver.arc import ArcTask
from solver.submission import (
    Candidate,
    SubmissionWriter,
    TaskRecord,
    choose_attempts,
    fallback_attempts,
    score_submission,
    validate_submission,
)


def make_task(task_id="t", n_test=1):
    return ArcTask(
        id=task_id,
        train=[{"input": [[0]], "output": [[1]]}, {"input": [[2]], "output": [[3]]}],
        test=[{"input": [[i]], "output": [[i + 1]]} for i in range(n_test)],
    )


def test_ranking_prefers_train_correct_then_votes_then_shorter():
    task = make_task()
    cands = [
        Candidate(([[5]],), train_correct=1, program_length=10),
        Candidate(([[5]],), train_correct=1, program_length=10),
        Candidate(([[6]],), train_correct=2, program_length=99),  # most train pairs wins
        Candidate(([[7]],), train_correct=1, program_length=5),
    ]
    assert choose_attempts(task, cands) == [{"attempt_1": [[6]], "attempt_2": [[5]]}]
    # equal train score and votes: the shorter program's output first
    cands = [Candidate(([[5]],), 1, 20), Candidate(([[7]],), 1, 5)]
    assert choose_attempts(task, cands)[0] == {"attempt_1": [[7]], "attempt_2": [[5]]}


def test_votes_only_count_at_the_best_train_score():
    task = make_task()
    cands = [Candidate(([[5]],), 2, 10)] + [Candidate(([[5]],), 0, 10)] * 3 + [Candidate(([[6]],), 2, 10)] * 2
    assert choose_attempts(task, cands)[0]["attempt_1"] == [[6]]


def test_fallbacks_fill_missing_attempts_with_the_test_input():
    task = make_task(n_test=2)
    assert choose_attempts(task, []) == fallback_attempts(task)
    one = choose_attempts(task, [Candidate(([[9]], [[8]]), 0, 1)])
    assert one == [{"attempt_1": [[9]], "attempt_2": [[0]]}, {"attempt_1": [[8]], "attempt_2": [[1]]}]


def test_scoring_counts_either_attempt_per_test_input():
    task = make_task(n_test=2)
    submission = {"t": [{"attempt_1": [[0]], "attempt_2": [[1]]}, {"attempt_1": [[0]], "attempt_2": [[0]]}]}
    (score,) = score_submission(submission, [task])
    assert (score.solved_inputs, score.test_inputs, score.score) == (1, 2, 0.5)
    assert score_submission({}, [task])[0].solved_inputs == 0


def test_validate_finds_every_problem():
    tasks = [make_task("a"), make_task("b", n_test=2), make_task("c")]
    submission = {
        "a": [{"attempt_1": [[1]]}],
        "b": [{"attempt_1": [[1]], "attempt_2": []}],
        "x": [],
    }
    problems = validate_submission(submission, tasks)
    assert any("a[0]: missing attempt_2" in p for p in problems)
    assert any(p.startswith("b: expected a list of 2") for p in problems)
    assert "c: missing" in problems and any(p.startswith("x:") for p in problems)
    good = {t.id: fallback_attempts(t) for t in tasks}
    assert validate_submission(good, tasks) == []


def test_writer_is_valid_from_the_start_and_resumes(tmp_path):
    tasks = [make_task("a"), make_task("b")]
    path = tmp_path / "out" / "submission.json"
    writer = SubmissionWriter(path, tasks)
    assert validate_submission(orjson.loads(path.read_bytes()), tasks) == []
    writer.add(TaskRecord("a", [{"attempt_1": [[1]], "attempt_2": [[2]]}], {"epochs": 3}))
    assert orjson.loads(path.read_bytes())["a"][0]["attempt_1"] == [[1]]
    # a kill mid-append leaves a torn last line: it is ignored on resume
    with open(writer.progress_path, "ab") as handle:
        handle.write(b'{"task_id": "b", "attem')
    resumed = SubmissionWriter(path, tasks)
    assert resumed.is_done("a") and not resumed.is_done("b")
    assert resumed.records["a"].info == {"epochs": 3}
    assert orjson.loads(path.read_bytes())["a"][0]["attempt_1"] == [[1]]


def test_writer_rejects_wrong_attempt_count(tmp_path):
    writer = SubmissionWriter(tmp_path / "s.json", [make_task("a", n_test=2)])
    with pytest.raises(ValueError, match="1 attempts for 2 test inputs"):
        writer.add(TaskRecord("a", [{"attempt_1": [[1]], "attempt_2": [[1]]}]))


def test_a_candidate_counts_its_votes_and_one_no_sample_wrote_counts_none():
    task = make_task()
    sampled_three_times = Candidate(([[5]],), 1, 30, votes=3)
    spliced = [Candidate(([[6]],), 1, 5, votes=0)] * 4  # shorter, but no sample wrote it
    twice = Candidate(([[7]],), 1, 40, votes=2)
    assert choose_attempts(task, [*spliced, twice, sampled_three_times])[0] == {"attempt_1": [[5]], "attempt_2": [[7]]}
