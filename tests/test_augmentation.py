"""Augmentations: exact inverses, black kept, and programs sampled on an augmented task scored
in the task's own frame (by hand and inside the search-and-learn loop)."""

from solver.sampler import Sampler
import numpy as np
import pytest

from solver.arc import ArcTask
from solver.augmentation import GEOMETRIES, Augmentation, random_augmentation
from solver.her import HerConfig, SamplingSetting, search_and_learn
from solver.her import loop as her_loop
from solver.sampler import Completion
from solver.sandbox import Sandbox, SandboxConfig
from conftest import TextTokenizer


def random_grids(rng, count=20):
    return [rng.integers(0, 10, size=(int(rng.integers(1, 9)), int(rng.integers(1, 9)))).astype(np.int8) for _ in range(count)]


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_every_transform_composed_with_its_inverse_is_identity(geometry):
    rng = np.random.default_rng(7)
    for grid in random_grids(rng):
        colors = tuple(int(c) for c in rng.permutation(10))
        augmentation = Augmentation(geometry, colors)
        there = augmentation.apply(grid)
        assert there.dtype == grid.dtype
        assert np.array_equal(augmentation.invert(there), grid)
        assert np.array_equal(augmentation.apply(augmentation.invert(grid)), grid)


def test_geometries_are_the_eight_distinct_symmetries():
    grid = np.arange(6, dtype=np.int8).reshape(2, 3)
    images = {Augmentation(g).apply(grid).tobytes() + bytes(Augmentation(g).apply(grid).shape) for g in GEOMETRIES}
    assert len(images) == 8
    assert Augmentation("rot90").apply(grid).tolist() == np.rot90(grid).tolist()
    assert Augmentation("transpose").apply(grid).tolist() == grid.T.tolist()
    assert Augmentation().is_identity and not Augmentation("flip_lr").is_identity


def test_color_permutation_keeps_black_by_default_and_is_seeded():
    draws = [random_augmentation(np.random.default_rng(seed)) for seed in range(50)]
    assert all(a.colors[0] == 0 and sorted(a.colors) == list(range(10)) for a in draws)
    assert len({a.colors for a in draws}) > 40 and len({a.geometry for a in draws}) == 8
    assert random_augmentation(np.random.default_rng(3)) == random_augmentation(np.random.default_rng(3))
    free = [random_augmentation(np.random.default_rng(seed), keep_black=False) for seed in range(50)]
    assert any(a.colors[0] != 0 for a in free)
    with pytest.raises(ValueError):
        Augmentation("rot45")
    with pytest.raises(ValueError):
        Augmentation("identity", (0,) * 10)


# The task: paint the left column blue (1) on a black 3x4 grid.
def vertical_line_task():
    black = np.zeros((3, 4), dtype=int)
    out = black.copy()
    out[:, 0] = 1
    test_in = np.zeros((3, 4), dtype=int)
    test_in[1, 2] = 5
    test_out = test_in.copy()
    test_out[:, 0] = 1
    pairs = [{"input": black.tolist(), "output": out.tolist()}] * 2
    return ArcTask(id="aug", train=pairs, test=[{"input": test_in.tolist(), "output": test_out.tolist()}])


AUGMENTATION = Augmentation("rot90", (0, 4, 2, 3, 1, 5, 6, 7, 8, 9))  # counter-clockwise; blue <-> yellow
# rot90 turns the left column into the bottom row; blue is yellow (4) there
SOLVES_AUGMENTED = "def task(img):\n    img[-1, :] = 4\n    return img\n"
NEAR_AUGMENTED = "def task(img):\n    img[-1, 0] = 4\n    return img\n"


def test_a_program_that_solves_the_augmented_task_gives_the_original_outputs():
    task = vertical_line_task()
    namespace: dict = {}
    exec(SOLVES_AUGMENTED, namespace)  # noqa: S102 - our own program
    for case in [*task.train, *task.test]:
        shown = AUGMENTATION.apply(np.array(case.input, dtype=np.int8))
        answer = namespace["task"](shown.copy())
        assert not np.array_equal(answer, np.array(case.output))  # it is a different task there
        assert AUGMENTATION.invert(answer).tolist() == case.output


class ScriptedSampler(Sampler):
    def __init__(self, epochs):
        self.epochs, self.prompts = list(epochs), []

    def generate(self, prompts, params, *, adapter=None):
        self.prompts.append(prompts[0])
        programs = self.epochs.pop(0)
        return [[Completion(text=p + "```", num_tokens=5, finished=True) for p in programs]] + [[] for _ in prompts[1:]]


class RecordingLearner:
    adapter_ref = "adapter"

    def __init__(self):
        self.trained = []

    def reset(self, seed=None):
        pass

    def train(self, examples, seed=None, deadline=None):
        self.trained.append(list(examples))
        return None


def test_the_loop_runs_augmented_programs_and_scores_them_in_the_task_frame(monkeypatch):
    monkeypatch.setattr(her_loop, "random_augmentation", lambda rng: AUGMENTATION)
    task = vertical_line_task()
    sampler, learner = ScriptedSampler([[NEAR_AUGMENTED], [SOLVES_AUGMENTED]]), RecordingLearner()
    config = HerConfig(sampling=(SamplingSetting(n=1, temperature=0.5),), max_epochs=3, augment=True, prune=False)
    with Sandbox(SandboxConfig(workers=1)) as sandbox:
        result = search_and_learn(task, sampler=sampler, sandbox=sandbox, tokenizer=TextTokenizer(), learner=learner, config=config)
    assert result.solved and result.solution == SOLVES_AUGMENTED
    assert "grid shape: 4x3" in sampler.prompts[0] and "grid shape: 3x4" not in sampler.prompts[0]  # the augmented view
    best = result.best_per_epoch[-1]
    assert [o.tolist() for o in best.train_outputs] == [case.output for case in task.train]
    assert [list(o) for o in result.candidates[-1].test_outputs[0]] == task.test[0].output
    # the near miss was trained on in the frame it was sampled in, not augmented again
    ((prompt, target),) = learner.trained[0]
    assert target.startswith(NEAR_AUGMENTED.rstrip())
    assert "grid shape: 4x3\n0 000\n1 000\n2 000\n3 400" in prompt
