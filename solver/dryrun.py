"""The dry run: solve tasks whose answers we know, then score, report and draw what happened.

Writes into its output folder: run.json (the settings), submission.json (and its progress log,
so a killed dry run resumes), report.json, summary.md, and pictures/<task>.png with the best
prediction of each epoch beside the target (first train pair). A folder that holds a run with
other settings (another model, other flags, another commit of the code) is cleared first: a rerun
after a change must not report the old run's results as its own.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from solver.arc import ArcTask, LoadReport, load_challenges, load_dataset
from solver.her import HerConfig, TaskSearchResult
from solver.report import TaskReport, render_epochs, write_report
from solver.runner import SolverParts, solve_tasks
from solver.schedule import ScheduleConfig
from solver.submission import score_submission
from solver.submission.writer import write_json_atomic

log = logging.getLogger(__name__)

RUN_FILE = "run.json"
# what makes two dry runs the same run: the flags, the model and the code (its commit); library
# versions may change between them
_SAME_RUN_KEYS = ("flags", "her", "model", "model_files", "git_sha")

if TYPE_CHECKING:
    from solver.workers import ProcessBackend

TOY = "toy"


def resolve_tasks(
    datasets: Sequence[str] = (),
    *,
    challenges: str | Path | None = None,
    solutions: str | Path | None = None,
    limit: int | None = None,
    report: LoadReport | None = None,
) -> list[ArcTask]:
    """Tasks from dataset specs and/or a challenges file, in order, at most ``limit`` of them.

    A dataset spec is a name (``toy``, ``arc-agi-2/evaluation``, ...) optionally followed by
    ``:ID,ID,...`` to pick tasks, e.g. ``toy:9-vertical-lines,12-squares``. ``report`` receives the
    tasks of the challenges file skipped as malformed, and its duplicate ids.
    """
    from solver.tasks import toy_task, toy_task_names

    tasks: list[ArcTask] = []
    for spec in datasets:
        name, _, ids = spec.partition(":")
        wanted = [i for i in ids.split(",") if i]
        if name == TOY:
            tasks += [toy_task(task_id).task for task_id in (wanted or toy_task_names())]
            continue
        loaded = load_dataset(name, skip_bad=True)
        if wanted:
            by_id = {task.id: task for task in loaded}
            unknown = [i for i in wanted if i not in by_id]
            if unknown:
                raise ValueError(f"dataset {name} has no task(s) {unknown}")
            loaded = [by_id[i] for i in wanted]
        tasks += loaded
    if challenges is not None:
        tasks += load_challenges(challenges, solutions, skip_bad=True, report=report)
    if not tasks:
        raise ValueError("no tasks: give --dataset and/or --challenges")
    missing = [task.id for task in tasks if not task.has_solutions]
    if missing:
        raise ValueError(f"a dry run needs solutions; none for {missing[:5]} (pass --solutions)")
    return tasks[:limit] if limit else tasks


def _draw(out_dir: Path, task: ArcTask, result: TaskSearchResult) -> None:
    labels = []
    for epoch, best in enumerate(result.best_per_epoch):
        if best is None:
            labels.append((f"epoch {epoch}: -", None))
        else:
            labels.append((f"epoch {epoch}: {best.pixel_accuracy:.0%}", best.train_outputs[0]))
    status = "solved" if result.solved else "unsolved"
    render_epochs(task.train[0].output, labels, out_dir / "pictures" / f"{task.id}.png", title=f"{task.id} ({status})")


def dry_run(
    tasks: Sequence[ArcTask],
    parts: SolverParts | None,
    out_dir: str | Path,
    *,
    time_budget_s: float,
    her_config: HerConfig | None = None,
    settings: dict[str, Any] | None = None,
    progress: bool = True,
    schedule: ScheduleConfig | None = None,
    workers: ProcessBackend | None = None,
    load_report: LoadReport | None = None,
    draw: bool = True,
) -> dict[str, Any]:
    """Solve ``tasks`` (their solutions hidden from the solver), score and report; return the report.

    ``parts`` is this process's solver, or None with ``workers`` (see ``solver.runner.solve_tasks``).
    ``load_report``: tasks skipped while loading, listed in report.json (``skipped_tasks``), where
    the faults of each task (out of memory, errors) are listed too. ``draw``: write pictures.
    """
    out_dir = Path(out_dir)
    start_or_resume(out_dir, settings or {})
    writer = solve_tasks(
        tasks,
        parts,
        output=out_dir / "submission.json",
        time_budget_s=time_budget_s,
        her_config=her_config,
        on_task=(lambda task, result: _draw(out_dir, task, result)) if draw else None,
        progress=progress,
        schedule=schedule,
        workers=workers,
    )
    scores = {s.task_id: s.score for s in score_submission(writer.submission, tasks)}
    reports = []
    for task in tasks:
        info = writer.records[task.id].info if writer.is_done(task.id) else {}
        reports.append(
            TaskReport(
                task_id=task.id,
                score=scores[task.id],
                train_solved=bool(info.get("train_solved", False)),
                epochs=int(info.get("epochs", 0)),
                samples=int(info.get("samples", 0)),
                seconds=float(info.get("seconds", 0.0)),
                best_pixel_accuracy=float(info.get("best_pixel_accuracy", 0.0)),
                stop_reason=str(info.get("stop_reason", "not run")),
                epoch_metrics=list(info.get("epoch_metrics", [])),
            )
        )
    report = write_report(out_dir, reports, settings or {})
    report["faults"] = {task_id: r.info["faults"] for task_id, r in writer.records.items() if r.info.get("faults")}
    report["skipped_tasks"] = (load_report or LoadReport()).as_dict()
    write_json_atomic(out_dir / "report.json", report)
    return report


def start_or_resume(out_dir: Path, settings: dict[str, Any]) -> bool:
    """Resume the run in ``out_dir`` if it had the same settings, else clear the folder; True if resuming."""
    run_file = out_dir / RUN_FILE
    settings = orjson.loads(orjson.dumps(settings))  # as it reads back: tuples become lists
    earlier = orjson.loads(run_file.read_bytes()) if run_file.exists() else None
    same = earlier is not None and all(earlier.get(key) == settings.get(key) for key in _SAME_RUN_KEYS)
    if not same and out_dir.exists():
        for name in ("submission.json", "submission.json.progress.jsonl", "report.json", "summary.md"):
            (out_dir / name).unlink(missing_ok=True)
        shutil.rmtree(out_dir / "pictures", ignore_errors=True)
        if earlier is not None:
            log.info("%s held a run with other settings; starting afresh", out_dir)
    elif same:
        log.info("resuming the run in %s (delete the folder to start it afresh)", out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_file, settings)
    return same
