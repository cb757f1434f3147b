"""Solving a list of tasks inside a time budget, writing submission.json after every task.

One code path whatever the number of workers: ``solve_tasks`` runs the budget scheduler
(``solver.schedule``) with either this process as the only worker (``SolverParts``) or worker
processes, one per GPU (``solver.workers.ProcessBackend``). Only this process writes the
submission. Each task gets its share of the worker-time left, so time a task does not use (solved
early) goes to the tasks after it. A task cut short by its deadline may get another round when
every task has had its turn: the same search from scratch with seed ``seed + round``, its
candidates added to the earlier rounds' (the adapter is not kept between rounds). A re-run with
the same output file skips the tasks already finished.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from solver.arc import ArcTask
from solver.her import HerConfig, SearchState, TaskSearchResult, search_and_learn
from solver.schedule import Assignment, BudgetScheduler, Clock, Finished, InProcessBackend, MonotonicClock, ScheduleConfig, drive
from solver.submission import SubmissionWriter, TaskRecord, choose_attempts

if TYPE_CHECKING:
    from solver.learner import LearnerConfig
    from solver.workers import ProcessBackend

log = logging.getLogger(__name__)


@dataclass
class SolverParts:
    """What the loop needs, built once per process and reused across tasks."""

    tokenizer: Any
    sampler: Any
    learner: Any | None
    sandbox: Any

    def close(self) -> None:
        """Stop the sandbox's workers and the sampler's engine (vLLM runs one in a child process)."""
        try:
            self.sandbox.close()
        finally:
            self.sampler.close()


def load_parts(
    model_dir: str | Path,
    *,
    device: str | None = None,
    learn: bool = True,
    sandbox_workers: int | None = None,
    prompt_format: str = "drawing",
    sampler: str = "auto",
    gpu_share: float = 1.0,
    learner_config: LearnerConfig | None = None,
) -> SolverParts:
    """Load the model folder once and build the sampler, the learner and the sandbox around it.

    ``prompt_format`` (``HerConfig.prompt_format``) picks the DSL and entry point the sandbox
    runs programs with: the model writes programs of its format. ``sampler`` picks the backend:
    ``vllm`` (the production one; needs vLLM and a GPU), ``transformers``, or ``auto`` = vLLM
    when it imports and a GPU is visible, else transformers. ``gpu_share``: the fraction of the
    GPU this process may fill (other workers share it); vLLM's memory fraction is scaled by it,
    and below 1 the engine's KV cache gets a fixed size, so workers of one GPU can start at once.
    ``learner_config``: a ``LearnerConfig`` for the per-task adapter (default: its defaults).
    """
    from solver.learner import Learner, LearnerConfig
    from solver.models import load_model
    from solver.models.factory import load_chat_tokenizer
    from solver.prompting import prompt_format as find_prompt_format
    from solver.sampler import TransformersSampler, VllmSampler, vllm_available
    from solver.sampler.vllm_backend import GPU_MEMORY_FRACTION, gpu_total_bytes, shared_kv_cache_bytes
    from solver.sandbox import Sandbox, SandboxConfig

    if not 0 < gpu_share <= 1:
        raise ValueError(f"gpu_share must be in (0, 1], got {gpu_share}")
    fmt = find_prompt_format(prompt_format)
    if sampler not in ("auto", "transformers", "vllm"):
        raise ValueError(f"sampler must be auto, transformers or vllm, got {sampler!r}")
    use_vllm = sampler == "vllm" or (sampler == "auto" and vllm_available())
    if learn or not use_vllm:
        model, tokenizer = load_model(model_dir, device=device)
    else:  # vLLM samples and nothing learns: a transformers copy of the weights would only hold GPU memory
        model, tokenizer = None, load_chat_tokenizer(model_dir)
    learner = Learner(model, tokenizer, learner_config or LearnerConfig()) if learn else None
    if use_vllm:
        fraction = GPU_MEMORY_FRACTION * gpu_share
        cache = shared_kv_cache_bytes(model_dir, fraction, gpu_total_bytes()) if gpu_share < 1 else None
        backend = VllmSampler(model_dir, tokenizer, max_lora_rank=max(32, learner.config.lora_rank if learner else 0),
                              gpu_memory_utilization=fraction, kv_cache_memory_bytes=cache)
    else:
        backend = TransformersSampler(learner.model if learner else model, tokenizer)
    workers = {} if sandbox_workers is None else {"workers": sandbox_workers}
    sandbox_config = SandboxConfig(dsl=fmt.dsl, function_name=fmt.function_name, **workers)
    try:
        sandbox = Sandbox(sandbox_config)
    except BaseException:
        backend.close()  # a vLLM engine's process would otherwise outlive this failed load
        raise
    return SolverParts(tokenizer=tokenizer, sampler=backend, learner=learner, sandbox=sandbox)


def task_summary(result: TaskSearchResult) -> dict[str, Any]:
    """The JSON-able facts of a task's search, kept in the progress log for reports and resume."""
    return {
        "train_solved": result.solved,
        "epochs": len(result.epochs),
        "samples": result.samples,
        "seconds": round(result.seconds, 3),
        "best_pixel_accuracy": max((e.best_pixel_accuracy for e in result.epochs), default=0.0),
        "stop_reason": result.stop_reason,
        "solution": result.solution,
        "epoch_metrics": [e.as_dict() for e in result.epochs],
        "faults": list(result.faults),
    }


def solve_turn(
    task: ArcTask,
    parts: SolverParts,
    her_config: HerConfig | None,
    assignment: Assignment,
    on_epoch: Callable[[Any], None] | None = None,
    state_dir: Path | None = None,
) -> TaskSearchResult:
    """One scheduled turn of ``task`` (its solutions hidden).

    With ``state_dir``, a turn the deadline cut short leaves its ``SearchState`` (epoch, adapter,
    outputs learned from) in ``state_dir/<task id>.pt`` and the task's next round goes on from
    it, on whichever worker runs it; a round with no state to go on from (its worker died)
    starts afresh with seed + round. The file is removed when a turn ends any other way
    (solved, out of epochs or memory): no round follows it.
    """
    config = her_config or HerConfig()
    state_file = Path(state_dir) / f"{task.id.replace(os.sep, '_')}.pt" if state_dir is not None else None
    resume = load_search_state(state_file) if assignment.round and state_file is not None and state_file.exists() else None
    if assignment.round and resume is None:
        config = config.model_copy(update={"seed": config.seed + assignment.round})
    if parts.sandbox.closed:  # a batch that failed (e.g. a worker that would not start) closes it
        from solver.sandbox import Sandbox

        log.warning("the sandbox was closed by a failed batch; starting a new one")
        parts.sandbox = Sandbox(parts.sandbox.config)
    result = search_and_learn(
        task.without_solutions(),
        sampler=parts.sampler,
        sandbox=parts.sandbox,
        tokenizer=parts.tokenizer,
        learner=parts.learner,
        config=config,
        deadline=assignment.deadline,
        on_epoch=on_epoch,
        resume=resume,
    )
    if state_file is not None:
        if result.state is not None:
            save_search_state(state_file, result.state)
        else:
            state_file.unlink(missing_ok=True)
    result.state = None  # on disk, not through the workers' pipes
    return result


def save_search_state(path: Path, state: SearchState) -> None:
    """Write a task's ``SearchState`` (torch's format; the adapter's tensors as they are)."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save({"next_epoch": state.next_epoch, "trained": sorted(k.hex() for k in state.trained), "adapter": state.adapter}, partial)
    os.replace(partial, path)


def load_search_state(path: Path) -> SearchState | None:
    """The state ``save_search_state`` wrote; None (and a warning) if it cannot be read."""
    import torch

    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        return SearchState(int(saved["next_epoch"]), frozenset(bytes.fromhex(k) for k in saved["trained"]), saved["adapter"])
    except Exception as error:  # noqa: BLE001 - a broken file costs the continuation, not the run
        log.warning("cannot read %s (%s); the round starts afresh", path, error)
        return None


def merge_results(previous: TaskSearchResult | None, new: TaskSearchResult) -> TaskSearchResult:
    """A task's rounds as one result: epochs and candidates (votes) added up, solved if any was."""
    if previous is None:
        return new
    return TaskSearchResult(
        task_id=new.task_id,
        solved=previous.solved or new.solved,
        stop_reason=new.stop_reason,
        epochs=previous.epochs + new.epochs,
        best_per_epoch=previous.best_per_epoch + new.best_per_epoch,
        candidates=previous.candidates + new.candidates,
        solution=new.solution or previous.solution,
        seconds=previous.seconds + new.seconds,
        faults=previous.faults + new.faults,
    )


def solve_tasks(
    tasks: Sequence[ArcTask],
    parts: SolverParts | None,
    *,
    output: str | Path,
    time_budget_s: float,
    her_config: HerConfig | None = None,
    on_task: Callable[[ArcTask, TaskSearchResult], None] | None = None,
    progress: bool = True,
    schedule: ScheduleConfig | None = None,
    workers: ProcessBackend | None = None,
    clock: Clock | None = None,
    unloadable: dict[str, list[dict[str, Any]]] | None = None,
) -> SubmissionWriter:
    """Search and learn on every task not yet finished in ``output``; return the writer.

    Args:
        parts: the solver of this process; None when ``workers`` run the tasks.
        time_budget_s: wall-clock seconds for all the tasks still to do, from this call.
        on_task: called after each turn is recorded, with the task's merged result (pictures).
        schedule: margin, grace, rounds; default ``ScheduleConfig.for_budget(time_budget_s)``.
        workers: worker processes (``solver.workers.ProcessBackend``, owned by the caller);
            None: this process is the only worker.
        clock: default ``time.monotonic``.
        unloadable: fallback attempts of tasks the loader skipped, kept in the submission so
            that every task id of the challenges file is in it (``solver.arc.LoadReport``).
    """
    if (parts is None) == (workers is None):
        raise ValueError("solve_tasks needs exactly one of parts (this process solves) and workers (worker processes)")
    schedule = schedule or ScheduleConfig.for_budget(time_budget_s)
    if schedule.budget_s != time_budget_s:  # rebuilt, not copied, so margin + grace < budget is checked
        schedule = ScheduleConfig(**{**schedule.model_dump(), "budget_s": time_budget_s})
    clock = clock or MonotonicClock()
    writer = SubmissionWriter(output, tasks, unloadable=unloadable)
    state_dir = writer.path.with_name(writer.path.name + ".state")  # rounds' SearchStates, removed at the end
    todo = [task for task in tasks if not writer.is_done(task.id)]
    if len(todo) < len(tasks):
        log.info("resuming: %d of %d tasks already done in %s", len(tasks) - len(todo), len(tasks), writer.path)
    by_id = {task.id: task for task in todo}
    scheduler = BudgetScheduler([task.id for task in todo], schedule, workers=1 if workers is None else len(workers.specs), start=clock.now())
    results: dict[str, TaskSearchResult] = {}
    bar = tqdm(total=len(todo), desc="tasks", unit="task", disable=not progress)

    if workers is None:
        assert parts is not None

        def solve(assignment: Assignment) -> TaskSearchResult:
            epoch_bar = tqdm(desc=f"{assignment.task_id} epochs", unit="epoch", leave=False, disable=not progress)

            def on_epoch(metrics: Any) -> None:
                epoch_bar.update(1)
                epoch_bar.set_postfix(best=f"{metrics.best_pixel_accuracy:.0%}", novel=metrics.novel_outputs)

            try:
                return solve_turn(by_id[assignment.task_id], parts, her_config, assignment, on_epoch, state_dir)
            finally:
                epoch_bar.close()

        workers = InProcessBackend(solve)
    else:
        workers.use_tasks(todo, state_dir)

    def on_result(assignment: Assignment, finished: Finished) -> tuple[bool, bool]:
        task = by_id[assignment.task_id]
        result = finished.result
        if assignment.round == 0:
            bar.update(1)
        if result is None:  # the worker died, was stopped, or the task raised: fallback stays
            log.warning("task %s round %d: no result (%s)", task.id, assignment.round, finished.error)
            return False, False
        merged = results[task.id] = merge_results(results.get(task.id), result)
        writer.add(TaskRecord(task.id, choose_attempts(task, merged.candidates), task_summary(merged)))
        log.info(
            "task %s round %d: train %s, %d epochs, %d samples, %.1f s, %.0f s left",
            task.id, assignment.round, "solved" if merged.solved else "unsolved", len(merged.epochs), merged.samples,
            result.seconds, max(0.0, scheduler.hard_stop - clock.now()),
        )  # fmt: skip
        if on_task is not None:
            on_task(task, merged)
        return merged.solved, result.stop_reason == "deadline"

    stats = drive(scheduler, workers, clock, on_result)
    bar.close()
    if scheduler.unstarted:
        log.warning("%d task(s) never had a turn (out of time): %s", len(scheduler.unstarted), scheduler.unstarted[:10])
    log.info("schedule: %d turns, %d overdue, %d worker deaths", stats.assigned, stats.overdue, stats.died)
    shutil.rmtree(state_dir, ignore_errors=True)
    return writer

