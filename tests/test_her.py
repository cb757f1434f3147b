"""The search-and-learn loop with scripted samplers: stopping, pruning, relabeling, metrics.

The sampler and learner here are scripted stand-ins so each property is checked exactly; the
loop with real tiny models is covered by tests/test_dry_run.py.
"""

from dataclasses import dataclass

from conftest import TextTokenizer

from solver.sampler import Sampler
import numpy as np
import pytest

from solver.arc import ArcTask
from solver.her import HerConfig, SamplingSetting, search_and_learn
from solver.programs import body_lines
from solver.sampler import Completion
from solver.sandbox import Sandbox, SandboxConfig

GOOD = "def task(img):\n    draw_vertical_line(img, x=0, color=1)\n    return img\n"
NEAR = "def task(img):\n    draw_pixel(img, point=(0, 0), color=1)\n    return img\n"
PADDED = "def task(img):\n    draw_pixel(img, point=(1, 1), color=3)\n    draw_pixel(img, point=(1, 1), color=2)\n    return img\n"
BROKEN = "def task(img):\n    return img[0]\n"
NOTHING = "def task(img):\n    return img\n"


class SteppingClock:
    """Stands in for the loop's ``time`` module: time moves only when a sampler call says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


class ScriptedSampler(Sampler):
    """Returns the scripted programs of each epoch, in order, as completions.

    With a ``clock``, ``call_seconds`` maps a call's index to the seconds it takes on that clock:
    a long epoch, to meet a deadline.
    """

    def __init__(self, epochs, clock=None, call_seconds=None):
        self.epochs = list(epochs)
        self.calls = []
        self.clock, self.call_seconds = clock, call_seconds or {}

    def generate(self, prompts, params, *, adapter=None):
        if self.clock is not None:
            self.clock.now += self.call_seconds.get(len(self.calls), 0.0)
        self.calls.append((prompts, params, adapter))
        programs = self.epochs.pop(0) if self.epochs else [NOTHING]
        out = [[] for _ in prompts]
        for i, program in enumerate(programs):  # spread over the prompt groups
            out[i % len(prompts)].append(Completion(text=program + "```", num_tokens=10, finished=True))
        return out


@dataclass
class Stats:
    steps: int
    mean_loss: float


class RecordingLearner:
    adapter_ref = "task-adapter"

    def __init__(self):
        self.trained, self.resets = [], 0

    def reset(self, seed=None):
        self.resets += 1

    def train(self, examples, seed=None, deadline=None):
        self.trained.append(list(examples))
        return Stats(len(examples), 1.0)

    def adapter_state(self):
        return {"passes": len(self.trained)}

    def load_adapter_state(self, weights):
        self.loaded = weights


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(SandboxConfig(workers=2)) as box:
        yield box


def task():
    black = np.zeros((3, 3), dtype=int)
    out = black.copy()
    out[:, 0] = 1
    return ArcTask(id="t", train=[{"input": black.tolist(), "output": out.tolist()}] * 2, test=[{"input": black.tolist()}])


CONFIG = HerConfig(sampling=(SamplingSetting(n=2, temperature=0.1), SamplingSetting(n=4, temperature=0.9)), max_epochs=5)


def test_a_program_that_solves_every_train_pair_stops_the_task(sandbox):
    sampler = ScriptedSampler([[NEAR, BROKEN], [NEAR, GOOD, GOOD], [GOOD]])
    learner = RecordingLearner()
    result = search_and_learn(task(), sampler=sampler, sandbox=sandbox, tokenizer=TextTokenizer(), learner=learner, config=CONFIG)
    assert result.solved and result.stop_reason == "solved" and len(result.epochs) == 2
    assert result.solution == GOOD
    assert len(sampler.calls) == 2 and learner.resets == 1
    assert sampler.calls[0][2] == "task-adapter"  # samples with the learner's adapter
    # params: one per sampling setting, seeds differ between settings and epochs
    seeds = [p.seed for call in sampler.calls for p in call[1]]
    assert len(set(seeds)) == 4 and [p.n for p in sampler.calls[0][1]] == [2, 4]
    assert result.candidates and max(c.train_correct for c in result.candidates) == 2


def test_relabel_prunes_dedupes_sorts_best_last_and_trains_only_novel(sandbox):
    sampler = ScriptedSampler([[PADDED, NEAR, NEAR, BROKEN, NOTHING], [NEAR, PADDED], [NEAR]])
    learner = RecordingLearner()
    config = CONFIG.model_copy(update={"max_epochs": 3})
    result = search_and_learn(task(), sampler=sampler, sandbox=sandbox, tokenizer=TextTokenizer(), learner=learner, config=config)
    assert not result.solved and result.stop_reason == "epochs" and len(result.epochs) == 3
    first = learner.trained[0]
    assert len(first) == 2  # NEAR (twice) deduped; BROKEN fails; NOTHING draws nothing
    # best last: NEAR is right on 7/9 cells of each pair, PADDED on 5/9 + pruned to one line
    assert body_lines(first[-1][1].removesuffix("```")) == ["draw_pixel(img, point=(0, 0), color=1)"]
    assert body_lines(first[0][1].removesuffix("```")) == ["draw_pixel(img, point=(1, 1), color=2)"]
    assert len(learner.trained) == 1  # epochs 2 and 3 found nothing new: no training
    m0, m1 = result.epochs[0], result.epochs[1]
    assert (m0.samples, m0.programs_run, m0.valid, m0.unique_outputs, m0.novel_outputs) == (5, 4, 4, 3, 2)
    assert (m1.novel_outputs, m1.train_steps) == (0, 0)
    assert m0.best_pixel_accuracy == pytest.approx(7 / 9) and m0.best_train_correct == 0
    assert result.best_per_epoch[0].program == NEAR


def test_pure_search_never_trains_and_samples_the_base(sandbox):
    sampler = ScriptedSampler([[NEAR], [NEAR]])
    learner = RecordingLearner()
    config = CONFIG.model_copy(update={"max_epochs": 2, "learn": False})
    result = search_and_learn(task(), sampler=sampler, sandbox=sandbox, tokenizer=TextTokenizer(), learner=learner, config=config)
    assert learner.trained == [] and learner.resets == 0
    assert all(call[2] is None for call in sampler.calls) and len(result.epochs) == 2


def test_pure_search_prunes_only_what_it_splices_and_its_solution(sandbox):
    near = "def task(img):\n    draw_pixel(img, point=(0, 0), color=5)\n    draw_pixel(img, point=(0, 0), color=1)\n    return img\n"
    bottom = "def task(img):\n    draw_pixel(img, point=(2, 0), color=4)\n    draw_pixel(img, point=(2, 0), color=1)\n    return img\n"
    good = "def task(img):\n    draw_vertical_line(img, x=0, color=2)\n    draw_vertical_line(img, x=0, color=1)\n    return img\n"
    sampler = ScriptedSampler([[near, bottom, PADDED], [good]])
    pruned = []

    class Recording:  # the sandbox, noting the programs it prunes
        config = sandbox.config
        run = sandbox.run

        def run_groups(self, groups, grids):
            pruned.extend(p for group in groups for p in group)
            return sandbox.run_groups(groups, grids)

    config = CONFIG.model_copy(update={"max_epochs": 2, "learn": False, "splice": 2})
    result = search_and_learn(task(), sampler=sampler, sandbox=Recording(), tokenizer=TextTokenizer(), config=config)
    assert result.solved and result.solution == GOOD  # pruned of its overdrawn line
    assert any("color=5" in p for p in pruned) and any("color=4" in p for p in pruned)  # the two it spliced
    assert not any("point=(1, 1)" in p for p in pruned)  # PADDED, the least accurate, was not pruned


def test_deadline_stops_before_the_next_epoch(sandbox):
    sampler = ScriptedSampler([[NEAR]] * 5)
    result = search_and_learn(task(), sampler=sampler, sandbox=sandbox, tokenizer=TextTokenizer(), config=CONFIG, deadline=0.0)
    assert result.stop_reason == "deadline" and result.epochs == [] and sampler.calls == []


def test_a_program_that_does_not_survive_reassembly_is_kept_as_written(sandbox):
    other_name = "def task(grid):\n    draw_pixel(grid, point=(1, 1), color=3)\n    draw_pixel(grid, point=(1, 1), color=2)\n    return grid\n"
    sampler = ScriptedSampler([[other_name]])
    learner = RecordingLearner()
    config = CONFIG.model_copy(update={"max_epochs": 1})
    search_and_learn(task(), sampler=sampler, sandbox=sandbox, tokenizer=TextTokenizer(), learner=learner, config=config)
    (trained,) = learner.trained
    assert trained[0][1].removesuffix("```") == other_name  # rebuilt as `def task(img)` it would break


def test_a_later_round_goes_on_where_the_last_stopped(sandbox, tmp_path, monkeypatch):
    import solver.her.loop
    from solver.runner import SolverParts, solve_turn
    from solver.schedule import Assignment

    clock = SteppingClock()
    monkeypatch.setattr(solver.her.loop, "time", clock)
    # the deadline stops the first round before epoch 2: epoch 1 took 3 s, and 2 s are left
    first_learner = RecordingLearner()
    sampler = ScriptedSampler([[NEAR], [PADDED]], clock=clock, call_seconds={1: 3.0})
    first = search_and_learn(task(), sampler=sampler, sandbox=sandbox, tokenizer=TextTokenizer(), learner=first_learner,
                             config=CONFIG, deadline=clock.now + 5.0)
    assert not first.solved and first.stop_reason == "deadline" and first.state.next_epoch == 2
    assert first.state.adapter == {"passes": 2} and len(first.state.trained) == 2  # NEAR's and PADDED's outputs

    # the next round: epochs 2.., the adapter loaded after the reset, NEAR's output not learned again
    learner = RecordingLearner()
    sampler = ScriptedSampler([[NEAR], [NEAR, GOOD]])
    second = search_and_learn(task(), sampler=sampler, sandbox=sandbox, tokenizer=TextTokenizer(), learner=learner, config=CONFIG, resume=first.state)
    assert [e.epoch for e in second.epochs] == [2, 3] and second.solved and second.state is None
    assert learner.resets == 1 and learner.loaded == {"passes": 2} and learner.trained == []
    assert sampler.calls[0][1][0].seed == CONFIG.seed * 1_000_003 + 2 * 101  # new samples, not round 0's again

    # through the runner: the state goes to disk between rounds and is gone once solved
    sampler = ScriptedSampler([[NEAR], [PADDED]], clock=clock, call_seconds={1: 3.0})
    parts = SolverParts(tokenizer=TextTokenizer(), sampler=sampler, learner=RecordingLearner(), sandbox=sandbox)
    solve_turn(task(), parts, CONFIG, Assignment("t", 0, clock.now + 5.0, 1e12), state_dir=tmp_path)
    assert (tmp_path / "t.pt").exists()
    parts.sampler, parts.learner = ScriptedSampler([[GOOD]]), RecordingLearner()
    result = solve_turn(task(), parts, CONFIG, Assignment("t", 1, 1e12, 1e12), state_dir=tmp_path)
    assert [e.epoch for e in result.epochs] == [2] and result.solved and parts.learner.loaded == {"passes": 2}
    assert not (tmp_path / "t.pt").exists() and result.state is None


def test_a_search_that_ran_all_its_epochs_leaves_no_state(sandbox, tmp_path):
    """Only a deadline earns another round (the scheduler's can_continue); nothing is kept for one that won't come."""
    from solver.runner import SolverParts, solve_turn
    from solver.schedule import Assignment

    config = CONFIG.model_copy(update={"max_epochs": 2})
    parts = SolverParts(tokenizer=TextTokenizer(), sampler=ScriptedSampler([[NEAR], [PADDED]]), learner=RecordingLearner(), sandbox=sandbox)
    result = solve_turn(task(), parts, config, Assignment("t", 0, 1e12, 1e12), state_dir=tmp_path)
    assert not result.solved and result.stop_reason == "epochs" and not (tmp_path / "t.pt").exists()


def test_an_output_whose_training_did_not_happen_stays_novel(sandbox):
    """The deadline (or an OOM) can skip an epoch's training; its outputs are learned later, not lost."""

    class SkipsFirstPass(RecordingLearner):
        def train(self, examples, seed=None, deadline=None):
            self.trained.append(list(examples))
            return Stats(0 if len(self.trained) == 1 else len(examples), 1.0)

    learner = SkipsFirstPass()
    config = CONFIG.model_copy(update={"max_epochs": 2})
    search_and_learn(task(), sampler=ScriptedSampler([[NEAR], [NEAR]]), sandbox=sandbox, tokenizer=TextTokenizer(), learner=learner, config=config)
    assert len(learner.trained) == 2 and learner.trained[0] == learner.trained[1]  # NEAR's relabeled task, again


TOP = "def task(img):\n    draw_pixel(img, point=(0, 0), color=1)\n    return img\n"
MIDDLE = "def task(img):\n    draw_pixel(img, point=(1, 0), color=1)\n    return img\n"
TOP_TWO = "def task(img):\n    draw_pixel(img, point=(0, 0), color=1)\n    draw_pixel(img, point=(1, 0), color=1)\n    return img\n"
BOTTOM = "def task(img):\n    draw_pixel(img, point=(2, 0), color=1)\n    return img\n"


@pytest.mark.parametrize("splice", [0, 2])
def test_splicing_two_partial_programs_can_solve_what_neither_does(sandbox, splice):
    sampler = ScriptedSampler([[TOP_TWO, BOTTOM]])
    config = CONFIG.model_copy(update={"max_epochs": 1, "splice": splice})
    result = search_and_learn(task(), sampler=sampler, sandbox=sandbox, tokenizer=TextTokenizer(), learner=RecordingLearner(), config=config)
    assert result.solved == bool(splice)
    if splice:  # the solution is both bodies, in one of the two orders
        assert sorted(body_lines(result.solution)) == sorted(body_lines(TOP_TWO) + body_lines(BOTTOM))
        assert result.epochs[0].spliced == 1  # both orders draw the same: one new output
        # it is a candidate on its train score, but no sample wrote it: it carries no vote
        assert sorted((c.train_correct, c.votes) for c in result.candidates) == [(0, 1), (0, 1), (2, 0)]


def test_a_splice_keeps_lines_both_programs_share_where_the_first_has_them(sandbox):
    # both draw column 0 in the wrong colour, then their own part of it in the right one; spliced
    # whole (either order), the second's wrong-colour line would paint over the first's pixels
    shared = "    draw_vertical_line(img, x=0, color=2)\n"
    upper = "def task(img):\n" + shared + "    draw_pixel(img, point=(0, 0), color=1)\n    draw_pixel(img, point=(1, 0), color=1)\n    return img\n"
    lower = "def task(img):\n" + shared + "    draw_pixel(img, point=(2, 0), color=1)\n    return img\n"
    config = CONFIG.model_copy(update={"max_epochs": 1, "splice": 2, "learn": False})
    result = search_and_learn(task(), sampler=ScriptedSampler([[upper, lower]]), sandbox=sandbox, tokenizer=TextTokenizer(), config=config)
    assert result.solved
    # pruned: the shared line changes nothing once all three pixels are drawn
    assert sorted(body_lines(result.solution)) == sorted(line for line in body_lines(upper) + body_lines(lower) if "x=0" not in line)


def test_splice_partners_are_chosen_for_the_cells_the_best_gets_wrong(sandbox):
    # TOP_TWO is the most accurate (8 of 9 cells), TOP next (7, its right cells all in TOP_TWO's),
    # then this one (7, shorter programs first among equals), the only one with cell (2, 0) right
    third = "def task(img):\n    draw_vertical_line(img, x=0, color=2)\n    draw_pixel(img, point=(2, 0), color=1)\n    return img\n"
    config = CONFIG.model_copy(update={"max_epochs": 1, "splice": 2})
    result = search_and_learn(task(), sampler=ScriptedSampler([[TOP_TWO, TOP, third]]), sandbox=sandbox, tokenizer=TextTokenizer(),
                              learner=RecordingLearner(), config=config)
    # the two most accurate splice into nothing new; TOP_TWO and the third do
    assert result.solved
    assert sorted(body_lines(result.solution)) == sorted(body_lines(TOP_TWO) + ["draw_pixel(img, point=(2, 0), color=1)"])


def test_spliced_programs_are_relabeled_and_learned_like_sampled_ones(sandbox):
    sampler = ScriptedSampler([[TOP, MIDDLE, NOTHING]])
    learner = RecordingLearner()
    config = CONFIG.model_copy(update={"max_epochs": 1, "splice": 3})
    result = search_and_learn(task(), sampler=sampler, sandbox=sandbox, tokenizer=TextTokenizer(), learner=learner, config=config)
    (trained,) = learner.trained
    # TOP, MIDDLE and their splice (2 of the 3 cells: the most accurate, so trained last); splices
    # with NOTHING (the identity) add nothing new
    assert len(trained) == 3 and result.epochs[0].spliced == 1
    assert result.epochs[0].unique_outputs == 3  # the samples' own: TOP, MIDDLE, NOTHING
    assert sorted(body_lines(trained[-1][1].removesuffix("```"))) == sorted(body_lines(TOP) + body_lines(MIDDLE))


def test_programs_longer_than_the_sampler_may_write_are_not_learned(sandbox):
    # TOP and MIDDLE (76 characters with the fence) fit in 80 tokens; their splice (119) does not:
    # learned, it would teach the model programs it can only write cut off
    sampler = ScriptedSampler([[TOP, MIDDLE, NOTHING]])
    learner = RecordingLearner()
    config = CONFIG.model_copy(update={"max_epochs": 1, "splice": 3, "max_new_tokens": 80})
    result = search_and_learn(task(), sampler=sampler, sandbox=sandbox, tokenizer=TextTokenizer(), learner=learner, config=config)
    (trained,) = learner.trained
    assert sorted(program for _, program in trained) == sorted(p.rstrip("\n") + "\n```" for p in (TOP, MIDDLE))
    assert result.epochs[0].spliced == 1 and result.epochs[0].too_long == 1
    # the long program is still a candidate answer: only learning leaves it out
    assert len(result.candidates) == 4


@pytest.mark.parametrize("finished", [False, True])
def test_a_drawing_program_cut_at_the_token_limit_runs_up_to_its_last_whole_line(sandbox, finished):
    cut = TOP_TWO.replace("    return img\n", "    draw_pix")

    class CutSampler(Sampler):
        def generate(self, prompts, params, *, adapter=None):
            return [[Completion(text=cut, num_tokens=10, finished=finished)] for _ in prompts]

    config = CONFIG.model_copy(update={"max_epochs": 1})
    result = search_and_learn(task(), sampler=CutSampler(), sandbox=sandbox, tokenizer=TextTokenizer(), learner=RecordingLearner(), config=config)
    # cut off (unfinished): closed after its second draw, it runs; the same text reported as
    # finished is a broken program
    assert result.epochs[0].valid == (0 if finished else 2)
    assert result.epochs[0].best_pixel_accuracy == (0.0 if finished else pytest.approx(8 / 9))


def test_a_drawing_program_with_a_broken_line_runs_without_it(sandbox):
    """After a learning step the model may mangle a line; the others still draw (and are learned)."""
    broken = TOP_TWO.replace("    return img\n", "    draw_pixel(img, point=(2, 0)\n    return img\n")
    config = CONFIG.model_copy(update={"max_epochs": 1})
    learner = RecordingLearner()
    result = search_and_learn(task(), sampler=ScriptedSampler([[broken]]), sandbox=sandbox, tokenizer=TextTokenizer(), learner=learner, config=config)
    assert result.epochs[0].valid == 1 and result.epochs[0].best_pixel_accuracy == pytest.approx(8 / 9)
    (trained,) = learner.trained
    assert [program for _, program in trained] == [TOP_TWO + "```"]  # learned as rewritten, not as sampled


def test_a_pruned_program_is_kept_only_if_it_reproduces_alone(sandbox):
    from solver.her.loop import _prune_all

    grids = [np.zeros((3, 3), np.int8)]
    fingerprint = sandbox.run([PADDED], grids)[0].fingerprint
    (pruned,) = _prune_all([(PADDED, fingerprint)], grids, sandbox)
    assert body_lines(pruned) == ["draw_pixel(img, point=(1, 1), color=2)"]

    both_needed = "def task(img):\n    draw_pixel(img, point=(0, 0), color=1)\n    draw_pixel(img, point=(2, 2), color=3)\n    return img\n"
    fingerprint = sandbox.run([both_needed], grids)[0].fingerprint

    class SharedState:  # a group whose every program looks like the whole one, as a leak could make it
        run = sandbox.run

        def run_groups(self, groups, grids):
            return [sandbox.run([both_needed], grids) * len(group) for group in groups]

    assert _prune_all([(both_needed, fingerprint)], grids, SharedState()) == [both_needed]


def test_programs_are_pruned_together_one_sandbox_call_per_round(sandbox):
    """An epoch's kept programs are pruned in lockstep: one ``run_groups`` call per round for
    all of them, each program's result the same as pruning it alone; a program that is not in
    canonical form and does not survive rebuilding, or has one line, is kept as it was."""
    from solver.her.loop import _prune_all

    grids = [np.zeros((3, 3), np.int8)]
    lonely = "def task(img):\n    draw_pixel(img, point=(0, 0), color=1)\n    return img\n"
    helper = "def helper(img):\n    return img\ndef task(img):\n    draw_pixel(img, point=(0, 0), color=1)\n    draw_pixel(img, point=(0, 0), color=1)\n    return helper(img)\n"
    # every line removable alone, not all together: a second round, which the others do not need
    padded_twice = PADDED.replace("    return img", "    draw_pixel(img, point=(1, 1), color=2)\n    return img")
    programs = [PADDED, lonely, helper, padded_twice]
    items = [(p, sandbox.run([p], grids)[0].fingerprint) for p in programs]
    calls = {"run": 0, "run_groups": 0}

    class Counting:
        config = sandbox.config

        def run(self, sources, grids):
            calls["run"] += 1
            return sandbox.run(sources, grids)

        def run_groups(self, groups, grids):
            calls["run_groups"] += 1
            return sandbox.run_groups(groups, grids)

    together = _prune_all(items, grids, Counting())
    assert body_lines(together[0]) == body_lines(together[3]) == ["draw_pixel(img, point=(1, 1), color=2)"]
    assert together[1] == lonely and together[2] == helper
    # one run to check helper's rebuilt form, two rounds for all, one run to check the pruned alone
    assert calls == {"run": 2, "run_groups": 2}
    assert together == [_prune_all([item], grids, sandbox)[0] for item in items]


def test_splicing_one_program_is_refused():
    with pytest.raises(ValueError, match="splice needs at least 2"):
        HerConfig(splice=1)


def test_only_plain_task_programs_are_spliced(sandbox):
    other_name = "def task(grid):\n    draw_pixel(grid, point=(2, 0), color=1)\n    return grid\n"
    sampler = ScriptedSampler([[TOP_TWO, other_name]])
    config = CONFIG.model_copy(update={"max_epochs": 1, "splice": 2})
    ran = []

    class Recording:  # the sandbox, noting every program it is given
        config = sandbox.config

        def run(self, programs, grids):
            ran.extend(programs)
            return sandbox.run(programs, grids)

        def run_groups(self, groups, grids):
            ran.extend(p for group in groups for p in group)
            return sandbox.run_groups(groups, grids)

    result = search_and_learn(task(), sampler=sampler, sandbox=Recording(), tokenizer=TextTokenizer(), learner=RecordingLearner(), config=config)
    assert not result.solved and result.epochs[0].spliced == 0
    assert not any("(0, 0)" in p and "grid" in p for p in ran)  # never cut apart and glued to TOP_TWO
