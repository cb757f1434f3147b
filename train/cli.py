"""Command line: ``python -m train [options]`` trains; ``python -m train merge ...`` folds an adapter in.

    python -m train --from-scratch small --output-dir runs/small --max-steps 20000 --per-device-batch-size 64 --batch-size 256
    python -m train --model models/Qwen2.5-Coder-0.5B-Instruct --output-dir runs/dora --batch-size 16
    accelerate launch --multi_gpu --num_processes 4 -m train --from-scratch small --output-dir runs/small4
    python -m train merge --base models/Qwen2.5-Coder-0.5B-Instruct --adapter runs/dora/adapter --output runs/dora/merged

Every ``TrainConfig`` field is a flag (``lora_rank`` -> ``--lora-rank``; booleans also take
``--no-``); ``--config FILE`` (YAML or JSON, same keys) sets options that flags then override.
Options are validated before anything heavy is imported, so a bad combination fails in a second.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from train.config import ConfigError, TrainConfig

_SCALARS = (int, float, str, Path)


def make_parser() -> argparse.ArgumentParser:
    """The training parser; only flags given on the command line appear in the parsed namespace."""
    parser = argparse.ArgumentParser(
        prog="python -m train",
        description="Train the base model on generated drawing tasks (see docs/TRAINING.md). "
        "`python -m train merge --help` folds an adapter into its base.",
        usage="python -m train --output-dir DIR (--model DIR | --from-scratch SIZE) [options]",
        argument_default=argparse.SUPPRESS,
    )
    parser.add_argument("--config", type=Path, help="YAML or JSON file of options (keys are the field names); flags override it")
    for name, field in TrainConfig.model_fields.items():
        flag = "--" + name.replace("_", "-")
        annotation = _without_none(field.annotation)
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        help_text = field.description or ""
        if default is not None and name != "data_mix":
            help_text += f" (default: {default})"
        if field.is_required():
            help_text += " (required)"
        if annotation is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, help=help_text)
        elif typing.get_origin(annotation) is Literal:
            parser.add_argument(flag, choices=typing.get_args(annotation), help=help_text)
        elif name == "data_mix":
            parser.add_argument(flag, type=json.loads, metavar="JSON",
                                help=help_text + ', e.g. \'[{"weight": 1, "task": {"max_side": 30}}]\'')
        elif annotation in _SCALARS:
            metavar = "DIR" if annotation is Path else "SIZE" if name == "from_scratch" else name.split("_")[-1].upper()
            parser.add_argument(flag, type=annotation, metavar=metavar, help=help_text)
        else:
            raise AssertionError(f"TrainConfig.{name} has a type the CLI cannot map: {field.annotation}")
    return parser


def make_merge_parser() -> argparse.ArgumentParser:
    """The ``merge`` subcommand's parser."""
    parser = argparse.ArgumentParser(
        prog="python -m train merge",
        description="Fold a trained adapter (LoRA or DoRA) into its base model; writes a plain HF folder in the base's dtype.",
    )
    parser.add_argument("--base", type=Path, required=True, help="the base model folder the adapter was trained on")
    parser.add_argument("--adapter", type=Path, required=True, help="the adapter folder (<output>/adapter)")
    parser.add_argument("--output", type=Path, required=True, help="the merged model folder to write (replaced)")
    return parser


def parse_config(argv: list[str]) -> TrainConfig:
    """The config from command-line flags over ``--config``; exits with status 2 and a message on bad options."""
    parser = make_parser()
    given = vars(parser.parse_args(argv))
    options: dict[str, Any] = {}
    if "config" in given:
        options = _read_options(parser, given.pop("config"))
    options.update(given)
    try:
        return TrainConfig(**options)
    except ValidationError as error:
        parser.error(describe(error))
    raise AssertionError("unreachable: parser.error exits")


def describe(error: ValidationError) -> str:
    """A validation error as one line per problem, naming the flag: ``--lora-rank: ... (got 0)``."""
    lines = []
    for problem in error.errors():
        message = problem["msg"].removeprefix("Value error, ")
        if problem["loc"]:
            flag = "--" + str(problem["loc"][0]).replace("_", "-")
            where = ".".join(str(part) for part in problem["loc"][1:])
            got = "" if problem["type"] == "missing" else f" (got {problem['input']!r})"
            message = f"{flag}{'.' + where if where else ''}: {message}{got}"
        lines.append(message)
    return "\n  ".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m train``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    rank = int(os.environ.get("RANK", "0"))
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING,
                        format=f"%(asctime)s [rank {rank}] %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    if argv and argv[0] == "merge":
        args = make_merge_parser().parse_args(argv[1:])
        from train.export import merge_adapter

        try:
            merge_adapter(args.base, args.adapter, args.output)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)  # noqa: T201
            return 2
        print(f"merged model: {args.output}")  # noqa: T201
        return 0

    config = parse_config(argv)
    # Loader workers fork after the tokenizer was used; its own thread pool would warn and could deadlock.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from train.loop import run_training

    try:
        result = run_training(config)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    if rank == 0:
        print(f"final model: {result.final_dir}")  # noqa: T201
    return 0


def _without_none(annotation: Any) -> Any:
    """``X | None`` -> ``X``; other annotations unchanged."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        rest = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _read_options(parser: argparse.ArgumentParser, path: Path) -> dict[str, Any]:
    """Options from a YAML (needs PyYAML) or JSON file; exits with a message when unreadable."""
    try:
        text = path.read_text()
    except OSError as error:
        parser.error(f"--config {path}: {error.strerror}")
    if path.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            parser.error("--config with a YAML file needs PyYAML (pip install pyyaml); or write the options as JSON")
        options = yaml.safe_load(text)
    else:
        options = json.loads(text)
    if not isinstance(options, dict):
        parser.error(f"--config {path} must hold a mapping of option names to values")
    return options
