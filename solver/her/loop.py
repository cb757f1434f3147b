"""The search-and-learn loop for one task: sample, run, prune, relabel, learn, repeat.

Each epoch:
1. sample programs for the task's prompt with every (n, temperature) setting;
2. run each distinct program on the train and test inputs in the sandbox;
3. keep one program per distinct output (the shortest), pruned of lines that change no output;
   with ``HerConfig.splice``, also programs spliced from two splice partners (``_splice_partners``,
   ``_splices``);
4. stop if a program reproduces every train pair, or at the deadline or epoch limit;
5. relabel: each kept program becomes a new task whose outputs are its own, so the program is a
   correct answer to it (hindsight); train the adapter on the ones not trained on before,
   sorted by pixel accuracy against the real outputs so the closest come last.

Every working program's test outputs become a ``Candidate`` for the attempts. The loop owns no
model: it drives a ``Sampler``, an optional ``Learner`` and a ``Sandbox`` handed to it.

The prompt format (``HerConfig.prompt_format``, ``solver.prompting.PromptFormat``) decides how
prompts and training targets look and which DSL the sandbox must run; only ``def task(img)``
programs are pruned. With ``HerConfig.augment`` each epoch's batch is sampled on a fresh
augmentation of the task (``solver.augmentation``): its programs run on the augmented inputs and
their outputs are mapped back to the task's frame before anything is scored. A relabeled task is
rendered in the frame its program was sampled in (the program answers it there) and never gets
a second augmentation.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from solver.arc import ArcTask, as_array
from solver.augmentation import Augmentation, random_augmentation
from solver.faults import MAX_OOM_RETRIES, free_accelerator_memory, is_out_of_memory, shorter_examples, smaller_sampling
from solver.her.config import HerConfig
from solver.metrics import correct_pairs, mean_pixel_accuracy
from solver.programs import assemble, body_lines, close_truncated, drop_broken_lines, prune_many
from solver.prompting import PromptFormat, extract_program, prompt_format, render_prompt
from solver.submission import Candidate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """A working program and what it does on the task."""

    program: str
    train_outputs: tuple[np.ndarray, ...]
    test_outputs: tuple[np.ndarray, ...]
    train_correct: int
    pixel_accuracy: float
    votes: int  # how many samples of its epoch produced the same outputs
    augmentation: Augmentation = Augmentation()  # the frame it was sampled and run in (outputs above are mapped back)
    fingerprint: str = ""  # of its outputs in that frame, as the sandbox gave it: what pruning must keep


@dataclass
class EpochMetrics:
    epoch: int
    samples: int = 0
    tokens: int = 0  # generated, over all samples: sampling time follows it
    unfinished: int = 0  # samples cut at max_new_tokens (or the deadline): truncated programs
    programs_run: int = 0
    valid: int = 0
    unique_outputs: int = 0
    novel_outputs: int = 0
    spliced: int = 0  # new outputs from spliced programs (HerConfig.splice): not in unique_outputs, in novel_outputs
    too_long: int = 0  # novel programs not trained on: longer than max_new_tokens, so never written whole
    best_pixel_accuracy: float = 0.0
    mean_pixel_accuracy: float = 0.0
    best_train_correct: int = 0
    train_steps: int = 0
    train_loss: float | None = None
    sampling_s: float = 0.0
    execution_s: float = 0.0
    training_s: float = 0.0
    seconds: float = 0.0  # the whole epoch, wall clock

    @property
    def overhead_s(self) -> float:
        """The epoch's time outside sampling, execution and training (prompting, adapter hand-over, bookkeeping)."""
        return max(0.0, self.seconds - self.sampling_s - self.execution_s - self.training_s)

    @property
    def unique_ratio(self) -> float:
        return self.unique_outputs / self.samples if self.samples else 0.0

    @property
    def novel_ratio(self) -> float:
        return self.novel_outputs / self.samples if self.samples else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "overhead_s": self.overhead_s, "unique_ratio": self.unique_ratio, "novel_ratio": self.novel_ratio}


@dataclass
class SearchState:
    """Where a task's search stopped, for a later round of the same task to go on from.

    Attributes:
        next_epoch: the epoch to run next; ``HerConfig.max_epochs`` counts over all rounds, and
            sampling seeds follow the epoch, so a continued round draws new samples.
        trained: the train outputs already learned from (with ``only_novel``, not learned again).
        adapter: the learner's adapter weights (``Learner.adapter_state``); None without learning.
    """

    next_epoch: int
    trained: frozenset[bytes]
    adapter: dict[str, Any] | None = None


@dataclass
class TaskSearchResult:
    task_id: str
    solved: bool = False
    stop_reason: str = "epochs"
    epochs: list[EpochMetrics] = field(default_factory=list)
    best_per_epoch: list[Found | None] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    solution: str | None = None
    seconds: float = 0.0
    faults: list[str] = field(default_factory=list)  # what went wrong and what was done about it
    state: SearchState | None = None  # where the deadline stopped it: the next round goes on from here

    @property
    def samples(self) -> int:
        return sum(e.samples for e in self.epochs)


def _prune_all(programs: list[tuple[str, str]], grids: list[np.ndarray], sandbox: Any) -> list[str]:
    """Each ``(program, fingerprint)``'s program without the lines that change no output on
    ``grids`` (checked in the sandbox), in ``programs`` order.

    All are pruned together (``prune_many``): each round's line deletions of every program run
    in one ``Sandbox.run_groups`` call, split into one group per sandbox worker, so an epoch's
    ~150 kept programs cost a few calls and a few program processes per round instead of 3-4
    round trips and processes each. Variants in a group share a process, other programs'
    variants included (one that changed the DSL would change the ones after it), so each pruned
    program is run once more alone and kept only if it still reproduces; such a leak can still
    keep a removable line in, never let a wrong removal through.
    """
    fingerprints = [fingerprint for _, fingerprint in programs]
    lines = [body_lines(program) for program, _ in programs]
    # body_lines/assemble rebuild a `def task(img)` program; one written otherwise (another
    # argument name, top-level helpers) does not survive that, and is kept as it was
    rebuilt = [assemble(body) for body in lines]
    changed = [i for i, (program, _) in enumerate(programs) if len(lines[i]) > 1 and rebuilt[i] != program]
    runs = sandbox.run([rebuilt[i] for i in changed], grids) if changed else []
    broken = {i for i, run in zip(changed, runs) if run.fingerprint != fingerprints[i]}
    todo = [i for i in range(len(programs)) if len(lines[i]) > 1 and i not in broken]
    workers = max(1, getattr(getattr(sandbox, "config", None), "workers", 1))

    def reproduces(requests: dict[int, list[list[str]]]) -> dict[int, list[bool]]:
        """``requests`` is keyed by position in ``todo``."""
        variants = [(k, assemble(candidate)) for k, candidates in requests.items() for candidate in candidates]
        size = -(-len(variants) // workers)  # ceil: one group per worker
        groups = [variants[start : start + size] for start in range(0, len(variants), size)]
        results = sandbox.run_groups([[source for _, source in group] for group in groups], grids)
        answers: dict[int, list[bool]] = {k: [] for k in requests}
        for group, group_results in zip(groups, results):
            for (k, _), run in zip(group, group_results):
                answers[k].append(run.fingerprint == fingerprints[todo[k]])
        return answers

    pruned = prune_many([lines[i] for i in todo], reproduces)
    shorter = {i: assemble(kept) for i, kept in zip(todo, pruned) if len(kept) < len(lines[i])}
    checks = sandbox.run(list(shorter.values()), grids) if shorter else []
    alone = {i for i, run in zip(shorter, checks) if run.fingerprint == fingerprints[i]}
    prunable = set(todo)
    return [shorter[i] if i in alone else rebuilt[i] if i in prunable else program for i, (program, _) in enumerate(programs)]


def search_and_learn(
    task: ArcTask,
    *,
    sampler: Any,
    sandbox: Any,
    tokenizer: Any,
    learner: Any | None = None,
    config: HerConfig | None = None,
    deadline: float | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    resume: SearchState | None = None,
) -> TaskSearchResult:
    """Search for a program that solves ``task``'s train pairs, learning from every attempt.

    Args:
        sampler: a ``solver.sampler.Sampler``; sampled with the learner's adapter when learning.
        sandbox: a ``solver.sandbox.Sandbox`` (owned by the caller, reused across tasks).
        learner: a ``solver.learner.Learner``, reset here at the start of the task; None, or
            ``config.learn=False``, searches without learning.
        deadline: ``time.monotonic()`` value after which no new epoch phase starts; an epoch
            does not start either when the last one, as long again, would end past it.
        on_epoch: called with each epoch's metrics as it ends (progress bars, logs).
        resume: the ``state`` of this task's previous round: go on from its epoch, its adapter
            and what it already learned from, instead of starting afresh.
    """
    from solver.sampler import SamplingParams  # deferred: torch

    config = config or HerConfig()
    fmt = prompt_format(config.prompt_format)
    sandbox_dsl = getattr(getattr(sandbox, "config", None), "dsl", fmt.dsl)
    if sandbox_dsl != fmt.dsl:
        raise ValueError(f"prompt format {fmt.name!r} needs a sandbox with dsl={fmt.dsl!r}, got {sandbox_dsl!r}")
    learning = config.learn and learner is not None
    if learning:
        learner.reset(seed=config.seed)
        if resume is not None and resume.adapter is not None:
            learner.load_adapter_state(resume.adapter)
    started = time.monotonic()
    result = TaskSearchResult(task.id)
    train_inputs = [as_array(e.input) for e in task.train]
    train_targets = [as_array(e.output) for e in task.train]
    test_inputs = [as_array(c.input) for c in task.test]
    grids = train_inputs + test_inputs
    n_train = len(train_inputs)
    shown = _pairs_that_fit(tokenizer, fmt, train_inputs, train_targets, test_inputs, config.max_new_tokens, result.faults)
    if not shown:
        result.stop_reason = "prompt too long"
        result.seconds = time.monotonic() - started
        return result

    def render(augmentation: Augmentation, outputs: Any) -> str:
        """The prompt of the task with train ``outputs`` (task frame), seen through ``augmentation``."""
        pairs = [(augmentation.apply(train_inputs[i]), augmentation.apply(outputs[i])) for i in shown]
        return render_prompt(tokenizer, fmt.messages(pairs, [augmentation.apply(g) for g in test_inputs]))

    plain_prompt = render(Augmentation(), train_targets)
    trained: set[bytes] = set(resume.trained) if resume is not None else set()
    first_epoch = resume.next_epoch if resume is not None else 0
    sampling, max_new_tokens = tuple(config.sampling), config.max_new_tokens  # shrink on OOM
    last_epoch_s = 0.0

    def out_of_time(ahead_s: float = 0.0) -> bool:
        return deadline is not None and time.monotonic() + ahead_s >= deadline

    def sample(epoch: int, prompt: str, adapter: Any) -> list[Any] | None:
        """Every group's completions; on OOM retry smaller; None when even the smallest fails."""
        nonlocal sampling, max_new_tokens
        for attempt in range(MAX_OOM_RETRIES + 1):
            params = [
                SamplingParams(
                    n=s.n,
                    temperature=s.temperature,
                    top_p=config.top_p,
                    max_new_tokens=max_new_tokens,
                    seed=config.seed * 1_000_003 + epoch * 101 + i,
                    deadline=deadline,
                )
                for i, s in enumerate(sampling)
            ]
            try:
                groups = sampler.generate([prompt] * len(params), params, adapter=adapter)
                return [c for group in groups for c in group]
            except Exception as error:  # noqa: BLE001 - only OOM is handled; the rest re-raises
                if not is_out_of_memory(error):
                    raise
                free_accelerator_memory()
                smaller = smaller_sampling(sampling, max_new_tokens)
                if smaller is None or attempt == MAX_OOM_RETRIES:
                    break
                sampling, max_new_tokens = smaller
                note = f"epoch {epoch}: out of memory while sampling; retrying with n={[s.n for s in sampling]}, max_new_tokens={max_new_tokens}"
                log.warning("task %s %s", task.id, note)
                result.faults.append(note)
        result.faults.append(f"epoch {epoch}: out of memory while sampling at the smallest setting; task ends")
        return None

    for epoch in range(first_epoch, config.max_epochs):
        if out_of_time(last_epoch_s):
            result.stop_reason = "deadline"
            break
        epoch_started = time.monotonic()
        metrics = EpochMetrics(epoch)
        # 1. sample, on a fresh view of the task when augmenting
        augmentation = random_augmentation(np.random.default_rng([config.seed, epoch])) if config.augment else Augmentation()
        prompt = render(augmentation, train_targets) if config.augment else plain_prompt
        adapter = sampler.adapter_for(learner) if learning else None  # vLLM: written to disk once per version
        tick = time.monotonic()
        completions = sample(epoch, prompt, adapter)
        if completions is None:
            free_accelerator_memory()
            result.stop_reason = "out of memory"
            break
        programs = [p for p in (_program_of(c, fmt) for c in completions) if p]
        metrics.samples = len(completions)
        metrics.tokens = sum(c.num_tokens for c in completions)
        metrics.unfinished = sum(not c.finished for c in completions)
        metrics.sampling_s = time.monotonic() - tick

        # 2. run every distinct program; 3. one pruned program per distinct output
        tick = time.monotonic()
        distinct = sorted(set(programs), key=lambda p: (len(p), p))  # set order varies by process
        frame_grids = [augmentation.apply(g) for g in grids]
        runs = sandbox.run(distinct, frame_grids) if distinct else []
        metrics.programs_run = len(distinct)
        count = Counter(programs)
        by_output: dict[str, tuple[str, Any, int]] = {}
        for program, run in zip(distinct, runs):
            if not run.all_ok:
                continue
            metrics.valid += count[program]
            kept = by_output.get(run.fingerprint)
            votes = count[program] + (kept[2] if kept else 0)
            # ``distinct`` is sorted by length, so the first program kept per output is the shortest
            by_output[run.fingerprint] = (kept[0] if kept else program, run, votes)
        found: list[Found] = []
        # Learning trains on every kept program, so each is pruned as it is kept; a search that
        # does not learn prunes only what it splices and its solution (below): pruning is most of
        # an epoch's execution, and search would otherwise spend its time on programs it drops.
        pruning = config.prune and fmt.prunable

        def pruned(items: list[Found]) -> list[Found]:
            programs = _prune_all([(f.program, f.fingerprint) for f in items], frame_grids, sandbox)
            return [f if program == f.program else replace(f, program=program) for f, program in zip(items, programs)]

        def keep(kept: list[tuple[str, Any, int]]) -> None:
            """Prune the ``(program, run, votes)`` when learning (all at once), score their outputs
            in the task's frame, make them candidates."""
            programs = [program for program, _, _ in kept]
            if pruning and learning:
                programs = _prune_all([(program, run.fingerprint) for program, run, _ in kept], frame_grids, sandbox)
            for program, (_, run, votes) in zip(programs, kept):
                outputs = [augmentation.invert(o) for o in run.outputs]
                train_out = tuple(outputs[:n_train])
                item = Found(
                    program=program,
                    train_outputs=train_out,
                    test_outputs=tuple(outputs[n_train:]),
                    train_correct=correct_pairs(train_out, train_targets),
                    pixel_accuracy=mean_pixel_accuracy(train_out, train_targets),
                    votes=votes,
                    augmentation=augmentation,
                    fingerprint=run.fingerprint,
                )
                found.append(item)
                result.candidates.append(Candidate(tuple(o.tolist() for o in item.test_outputs), item.train_correct, len(program), votes))

        keep(list(by_output.values()))
        metrics.unique_outputs = len({_train_key(f) for f in found})  # of the samples
        # 3b. splice: partners (the most accurate, then those right where it is wrong), two at a
        # time, as programs of their own
        solved_by_sample = any(f.train_correct == n_train for f in found)
        if config.splice and fmt.prunable and not solved_by_sample and not out_of_time():
            partners = _splice_partners(found, train_targets, config.splice)
            if pruning and not learning:
                shorter = {id(f): g for f, g in zip(partners, pruned(partners))}
                found[:] = [shorter.get(id(f), f) for f in found]
                partners = [shorter[id(f)] for f in partners]
            spliced = list(dict.fromkeys(_splices(partners)))
            new: list[tuple[str, Any, int]] = []
            for program, run in zip(spliced, sandbox.run(spliced, frame_grids) if spliced else []):
                if run.all_ok and run.fingerprint not in by_output:
                    by_output[run.fingerprint] = (program, run, 0)
                    new.append((program, run, 0))
            metrics.spliced = len(new)
            keep(new)
        metrics.execution_s = time.monotonic() - tick
        if found:
            best = max(found, key=lambda f: (f.train_correct, f.pixel_accuracy, -len(f.program)))
            metrics.best_pixel_accuracy = best.pixel_accuracy
            metrics.best_train_correct = best.train_correct
            metrics.mean_pixel_accuracy = float(np.mean([f.pixel_accuracy for f in found]))
            result.best_per_epoch.append(best)
        else:
            result.best_per_epoch.append(None)

        # 4. stop when solved
        if found and metrics.best_train_correct == n_train:
            solution = pruned([best])[0].program if pruning and not learning else best.program
            result.solved, result.stop_reason, result.solution = True, "solved", solution
            _finish_epoch(result, metrics, on_epoch, epoch_started)
            break

        # 5. relabel and learn
        novel = [f for f in found if _train_key(f) not in trained and not _draws_nothing(f, train_inputs)]
        novel = list({_train_key(f): f for f in sorted(novel, key=lambda f: -len(f.program))}.values())
        metrics.novel_outputs = len(novel)
        # A program longer than the sampler may write (spliced ones can be) would teach the model
        # programs it can only write cut off: on a CPU at 400 tokens, 12-squares then sampled
        # nothing but truncated programs for several epochs.
        if learning:  # left out, they stay novel: counted again when found again
            writable = [f for f in novel if _completion_tokens(tokenizer, fmt, f.program) <= max_new_tokens]
            metrics.too_long, novel = len(novel) - len(writable), writable
        # searching: novel means not seen before; learning: not learned yet, so outputs whose
        # training a deadline or OOM skipped stay novel for the next epoch or round
        learned = [] if learning else novel
        if learning and novel and not out_of_time():
            tick = time.monotonic()
            novel.sort(key=lambda f: f.pixel_accuracy)  # best last
            examples = [(render(f.augmentation, f.train_outputs), fmt.completion_for(f.program)) for f in novel]
            stats = _train(learner, examples, config.seed + epoch, result.faults, f"epoch {epoch}", deadline)
            if stats is not None:
                metrics.train_steps, metrics.train_loss = stats.steps, stats.mean_loss
                learned = novel if stats.steps else []
            metrics.training_s = time.monotonic() - tick
        if config.only_novel:
            trained.update(_train_key(f) for f in learned)
        _finish_epoch(result, metrics, on_epoch, epoch_started)
        last_epoch_s = metrics.seconds
    if result.stop_reason == "deadline":
        # only a search the deadline cut short gets another round (the scheduler's can_continue);
        # an epoch the deadline kept from starting is not in result.epochs: the next round runs it
        result.state = SearchState(first_epoch + len(result.epochs), frozenset(trained), learner.adapter_state() if learning else None)
    result.seconds = time.monotonic() - started
    return result


def _pairs_that_fit(
    tokenizer: Any,
    fmt: PromptFormat,
    inputs: list[np.ndarray],
    outputs: list[np.ndarray],
    test_inputs: list[np.ndarray],
    max_new_tokens: int,
    faults: list[str],
) -> list[int]:
    """Indices of the train pairs the prompt shows: all, unless prompt + answer would exceed the
    tokenizer's ``model_max_length``; then the largest pairs are left out (the sandbox still checks
    every pair). Empty when even one pair does not fit. Measured on the task as given: an
    augmented view has the same cells, so about the same length.
    """
    limit = getattr(tokenizer, "model_max_length", None)  # HF tokenizers: the model's context
    shown = list(range(len(inputs)))
    if not isinstance(limit, int) or limit <= 0 or limit > 10**8:  # HF's "no limit" is ~1e30
        return shown
    while shown:
        prompt = render_prompt(tokenizer, fmt.messages([(inputs[i], outputs[i]) for i in shown], test_inputs))
        tokens = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        if tokens + max_new_tokens <= limit:
            break
        largest = max(shown, key=lambda i: inputs[i].size + outputs[i].size)
        faults.append(f"prompt of {tokens} tokens + {max_new_tokens} new > the model's {limit}: train pair {largest} left out of the prompt")
        shown.remove(largest)
    if not shown:
        faults.append("not even one train pair fits the model's context; task not searched")
    return shown


def _train(learner: Any, examples: list[tuple[str, str]], seed: int, faults: list[str], where: str, deadline: float | None) -> Any:
    """``learner.train``; on OOM retry without the longest half of the examples; None if all fail."""
    for _ in range(MAX_OOM_RETRIES + 1):
        try:
            return learner.train(examples, seed=seed, deadline=deadline)
        except Exception as error:  # noqa: BLE001 - only OOM is handled; the rest re-raises
            if not is_out_of_memory(error):
                raise
            free_accelerator_memory()
            shorter = shorter_examples(examples)
            if shorter is None:
                break
            faults.append(f"{where}: out of memory while training on {len(examples)} examples; retrying with the {len(shorter)} shortest")
            log.warning(faults[-1])
            examples = shorter
    faults.append(f"{where}: out of memory while training; no training this epoch")
    return None


def _finish_epoch(result: TaskSearchResult, metrics: EpochMetrics, on_epoch: Callable | None, started: float) -> None:
    metrics.seconds = time.monotonic() - started
    result.epochs.append(metrics)
    log.debug("task %s epoch %d: %s", result.task_id, metrics.epoch, metrics.as_dict())
    if on_epoch is not None:
        on_epoch(metrics)


def _splices(partners: list[Found]) -> list[str]:
    """Programs made of one partner's body followed by the lines of another that the first does
    not have (every ordered pair).

    Why: a model trained on programs of 1-5 draws rarely writes more, and hindsight relabeling
    only teaches it the lengths it already writes; splicing two programs that each draw part of
    the target gives one that may draw more of it, and, relabeled, a longer program to learn.
    Drawing programs are straight-line calls on ``img``, so lines of two bodies concatenate into
    a valid program (a later draw may cover an earlier one: pruning then removes it). The lines
    both share are left where the first has them: drawn again after the first's own lines they
    would cover them. On 25-squares, for one, four full-height stripes and then one row of five
    squares draw 80% of the cells (where five GPU runs of 2026-12-02 stalled); two such programs
    with different rows of squares, spliced whole, paint the second's stripes over the first's
    squares.
    """
    bodies = [body_lines(f.program) for f in partners]
    splices = []
    for i, first in enumerate(bodies):
        for j, second in enumerate(bodies):
            if i == j:
                continue
            new_lines = [line for line in second if line not in first]
            if new_lines:
                splices.append(assemble(first + new_lines))
    return splices


def _splice_partners(found: list[Found], targets: list[np.ndarray], top: int) -> list[Found]:
    """Up to ``top`` programs to splice: the most accurate, then, one at a time, the program that
    gets right the most cells that every one chosen so far gets wrong (the most accurate among
    equals, so once nothing adds a cell this is the most accurate rest).

    Why: the most accurate programs of an epoch tend to be variants of one another. A 25-squares
    run (CPU, 2026-12-02) stayed at exactly 80% for nine epochs with a best program of stripes
    and one row of squares: most likely (the run kept only its best program) none of the most
    accurate programs had the other row, so no splice of them could add it. With partners
    chosen this way that run was solved; another seed did worse than before (94%, where the
    most accurate partners solved it): 1 of 2 either way (BENCHMARKS.md).
    Only programs that come apart into lines (``_ranked``) and have at least one take part.
    A cell counts as right also when a program got it right by leaving the input alone.
    """
    candidates = [f for f in _ranked(found) if body_lines(f.program)]
    right = [_right_cells(f, targets) for f in candidates]
    chosen: list[Found] = []
    covered = None
    while candidates and len(chosen) < top:
        # by position, not by value (Found holds arrays); max keeps the first of equals: the ranking's order
        k = 0 if covered is None else max(range(len(candidates)), key=lambda i: int((right[i] & ~covered).sum()))
        chosen.append(candidates.pop(k))
        cells = right.pop(k)
        covered = cells if covered is None else covered | cells
    return chosen


def _right_cells(found: Found, targets: list[np.ndarray]) -> np.ndarray:
    """One flag per target cell over all train pairs: does the program's output get it right
    (all wrong for an output of another shape)."""
    return np.concatenate([
        (output == target).ravel() if output.shape == target.shape else np.zeros(target.size, dtype=bool)
        for output, target in zip(found.train_outputs, targets)
    ])


def _ranked(found: list[Found]) -> list[Found]:
    """The programs splicing can take apart, most accurate first (shortest among equals).

    A program written otherwise (helpers first, another argument name) does not come apart
    cleanly and is left out.
    """
    whole = [f for f in found if f.program.lstrip().startswith("def task(img):")]
    return sorted(whole, key=lambda f: (-f.train_correct, -f.pixel_accuracy, len(f.program)))


def _program_of(completion: Any, fmt: PromptFormat) -> str:
    """The program a completion wrote; a drawing program cut at the token limit is closed after
    its last whole line (``close_truncated``), and one with lines that do not parse runs with
    the others (``drop_broken_lines``)."""
    program = extract_program(completion.text)
    if not program or not fmt.prunable:
        return program
    return drop_broken_lines(program if completion.finished else close_truncated(program))


def _completion_tokens(tokenizer: Any, fmt: PromptFormat, program: str) -> int:
    """Tokens the sampler would generate to write ``program``, its closing fence included."""
    return len(tokenizer(fmt.completion_for(program), add_special_tokens=False)["input_ids"])


def _train_key(found: Found) -> bytes:
    """Identity of a relabeled task: its train outputs, shapes included."""
    return b"|".join(str(o.shape).encode() + o.tobytes() for o in found.train_outputs)


def _draws_nothing(found: Found, inputs: list[np.ndarray]) -> bool:
    """True when every output equals its input: a task that teaches the model to do nothing."""
    return all(o.shape == i.shape and (o == i).all() for o, i in zip(found.train_outputs, inputs))
