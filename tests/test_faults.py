"""GPU faults on CPU: a sampler or learner that runs out of memory the first k times.

The task must retry smaller (half the samples, then half the tokens; the shortest half of the
training examples), end with what it has when even the smallest fails, record what happened,
and the runner must go on with the next task.
"""

from __future__ import annotations

import math

import pytest

from solver.faults import is_out_of_memory, shorter_examples, smaller_sampling
from solver.her import HerConfig, SamplingSetting, search_and_learn
from solver.runner import solve_tasks
from solver.tasks import toy_task
from tests.hostile.stub_solver import OutOfMemoryError, StubSampler, StubTokenizer, stub_parts

CONFIG = HerConfig(sampling=(SamplingSetting(n=8, temperature=0.1), SamplingSetting(n=4, temperature=1.0)), max_epochs=2, max_new_tokens=64, prune=False)


@pytest.fixture(scope="module")
def sandbox():
    parts = stub_parts(StubSampler(), workers=1)
    yield parts.sandbox
    parts.close()


class OomLearner:
    """Raises OOM while training on more than ``fits`` examples; remembers what it was given."""

    adapter_ref = None

    def __init__(self, fits: int) -> None:
        self.fits, self.sizes = fits, []

    def reset(self, seed: int) -> None:
        pass

    def adapter_state(self) -> None:
        return None

    def train(self, examples, seed=None, deadline=None):
        self.sizes.append(len(examples))
        if len(examples) > self.fits:
            raise RuntimeError("CUDA out of memory. Tried to allocate 1.50 GiB")
        return type("Stats", (), {"steps": len(examples), "mean_loss": 1.0})()


def search(sampler, sandbox, learner=None, config=CONFIG):
    task = toy_task("12-squares").task.without_solutions()
    return search_and_learn(task, sampler=sampler, sandbox=sandbox, tokenizer=StubTokenizer(), learner=learner, config=config)


@pytest.mark.parametrize(
    ("error", "oom"),
    [
        (OutOfMemoryError("CUDA out of memory"), True),
        (RuntimeError("CUDA error: out of memory"), True),
        (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate ... out of memory"), True),
        (RuntimeError("shape mismatch"), False),
        (ValueError("out of memory"), False),
    ],
)
def test_out_of_memory_is_recognised(error, oom):
    assert is_out_of_memory(error) is oom


def test_back_off_halves_samples_then_tokens_then_gives_up():
    sampling = (SamplingSetting(n=3, temperature=0.1), SamplingSetting(n=1, temperature=1.0))
    steps = []
    state = (sampling, 64)
    while (state := smaller_sampling(*state)) is not None:
        steps.append(([s.n for s in state[0]], state[1]))
    assert steps == [([1, 1], 64), ([1, 1], 32), ([1, 1], 16)]
    examples = [("p" * k, "c") for k in (5, 1, 9, 3)]
    assert shorter_examples(examples) == [("p", "c"), ("ppp", "c")]
    assert shorter_examples(examples[:1]) is None


def test_sampling_oom_retries_with_fewer_samples(sandbox):
    sampler = StubSampler(fail_first=2)
    result = search(sampler, sandbox)
    assert [n for n, _ in sampler.calls[0]] == [8, 4]
    assert [n for n, _ in sampler.calls[2]] == [2, 1]  # halved twice
    assert len(result.epochs) == 2 and result.samples == 6  # both epochs ran at the smaller setting
    assert len(result.faults) == 2 and "out of memory while sampling" in result.faults[0]
    assert result.stop_reason == "epochs"


def test_sampling_that_always_fails_ends_the_task_with_its_record(sandbox):
    sampler = StubSampler(fail_first=10**6)
    result = search(sampler, sandbox)
    assert result.stop_reason == "out of memory" and result.epochs == [] and result.candidates == []
    assert "smallest setting; task ends" in result.faults[-1]
    assert len(sampler.calls) <= 5  # MAX_OOM_RETRIES + 1 tries, no loop


def test_other_sampler_errors_are_not_swallowed(sandbox):
    with pytest.raises(ValueError, match="broken"):
        search(_Broken(), sandbox)


class _Broken(StubSampler):
    def generate(self, *args, **kwargs):
        raise ValueError("broken")


def test_training_oom_retries_on_the_shortest_examples(sandbox):
    config = CONFIG.model_copy(update={"sampling": (SamplingSetting(n=30, temperature=1.0),), "max_epochs": 1})
    learner = OomLearner(fits=1)
    result = search(StubSampler(), sandbox, learner, config)
    assert learner.sizes[0] > 1 and learner.sizes[-1] == 1
    assert all(b == math.ceil(a / 2) or b == a // 2 for a, b in zip(learner.sizes, learner.sizes[1:]))
    assert any("while training" in f for f in result.faults)
    assert result.epochs[0].train_steps == 1


def test_training_that_always_fails_skips_training_and_goes_on(sandbox):
    config = CONFIG.model_copy(update={"sampling": (SamplingSetting(n=30, temperature=1.0),)})
    result = search(StubSampler(), sandbox, OomLearner(fits=0), config)
    assert len(result.epochs) == 2 and result.faults[-1].endswith("no training this epoch")
    assert all(e.train_steps == 0 for e in result.epochs)


def test_the_runner_records_the_fault_and_goes_on_with_the_next_task(tmp_path):
    tasks = [toy_task(name).task for name in ("12-squares", "16-squares")]
    sampler = StubSampler(fail_first=5)  # the first task's first epoch gives up, the second is fine
    config = CONFIG.model_copy(update={"max_epochs": 1})
    parts = stub_parts(sampler, workers=1)
    try:
        writer = solve_tasks(tasks, parts, output=tmp_path / "submission.json", time_budget_s=60, her_config=config, progress=False)
    finally:
        parts.close()
    first, second = (writer.records[t.id].info for t in tasks)
    assert first["stop_reason"] == "out of memory" and len(first["faults"]) == 5  # 4 retries, then it gives up
    assert writer.submission[tasks[0].id] == [{"attempt_1": c.input, "attempt_2": c.input} for c in tasks[0].test]
    assert second["faults"] == [] and second["epochs"] == 1
