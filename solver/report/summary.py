"""The dry run's report.json and its readable summary.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from solver.submission.writer import write_json_atomic


@dataclass
class TaskReport:
    """One task's outcome in a dry run."""

    task_id: str
    score: float  # fraction of test inputs solved by either attempt
    train_solved: bool  # a program reproduced every train pair
    epochs: int
    samples: int
    seconds: float
    best_pixel_accuracy: float
    stop_reason: str
    epoch_metrics: list[dict[str, Any]] = field(default_factory=list)


def write_report(out_dir: Path, tasks: Sequence[TaskReport], settings: dict[str, Any]) -> dict[str, Any]:
    """Write ``report.json`` and ``summary.md`` into ``out_dir``; return the report."""
    total = sum(t.score for t in tasks)
    report = {
        "score": total,
        "tasks": len(tasks),
        "score_percent": 100.0 * total / len(tasks) if tasks else 0.0,
        "train_solved": sum(t.train_solved for t in tasks),
        "seconds": sum(t.seconds for t in tasks),
        "settings": settings,
        "per_task": [asdict(t) for t in tasks],
    }
    write_json_atomic(out_dir / "report.json", report)
    lines = [
        f"# Dry run: {total:g} / {len(tasks)} tasks ({report['score_percent']:.1f}%)",
        "",
        f"Train pairs fully solved on {report['train_solved']} tasks; {report['seconds']:.1f} s in all.",
        "",
        "| task | score | train solved | epochs | samples | seconds | best pixel acc. | stopped by |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in tasks:
        lines.append(
            f"| {t.task_id} | {t.score:g} | {'yes' if t.train_solved else 'no'} | {t.epochs} | {t.samples} "
            f"| {t.seconds:.1f} | {t.best_pixel_accuracy:.1%} | {t.stop_reason} |"
        )
    (out_dir / "summary.md").write_text("\n".join(lines) + "\n")
    return report
