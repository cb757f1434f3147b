"""``python -m solver exec``: run one program file on a JSON file of grids, print JSON results.

    python -m solver exec --program prog.py --grids grids.json --timeout-s 2
    python -m solver exec --dsl barc --program transform.py --grids grids.json

The grids file holds a list of grids or ``{"grids": [...]}``. Prints, one entry per grid:
``{"results": [{"status": "ok", "output": [[...]]}, {"status": "error", "error": "..."}]}``.
Exit status: 0 when every grid is OK, 1 when some grid is not, 2 for bad arguments or files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from solver.sandbox.config import SandboxConfig
from solver.sandbox.conventions import conventions_for, dsl_module
from solver.sandbox.pool import Sandbox
from solver.sandbox.results import GridResult, Status


def make_parser() -> argparse.ArgumentParser:
    """The ``exec`` subcommand's arguments; ``solver/__main__.py`` reuses it."""
    parser = argparse.ArgumentParser(
        prog="python -m solver exec",
        description="Run a program on grids in the sandbox and print the results as JSON.",
    )
    parser.add_argument("--program", type=Path, required=True, help="Python source file")
    parser.add_argument(
        "--grids", type=Path, required=True, help='JSON: a list of grids or {"grids": [...]}'
    )
    defaults = SandboxConfig.model_fields
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=defaults["timeout_s"].default,
        help="wall-clock seconds for the program over all grids (default: %(default)s)",
    )
    parser.add_argument(
        "--dsl",
        default="drawing",
        help="DSL the program is written for: drawing, barc, or a module name (default: %(default)s)",
    )
    parser.add_argument(
        "--function-name",
        default=None,
        help="function the program defines and that is called per grid (default: the DSL's, "
        "task for drawing, transform for barc)",
    )
    return parser


def main_exec(argv: list[str] | None = None) -> int:
    """Run the ``exec`` subcommand; returns the exit status (see the module docstring)."""
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        source = args.program.read_text()
        grids = _load_grids(args.grids)
        dsl = dsl_module(args.dsl)
        function_name = args.function_name or conventions_for(dsl).default_entry_point
        config = SandboxConfig(
            workers=1, timeout_s=args.timeout_s, dsl=dsl, function_name=function_name
        )
    except (OSError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        print(f"error: {error}", file=sys.stderr)  # noqa: T201 - a CLI prints
        return 2
    with Sandbox(config) as sandbox:
        try:
            (result,) = sandbox.run([source], grids)
        except ValueError as error:  # a grid that is not a grid
            print(f"error: {args.grids}: {error}", file=sys.stderr)  # noqa: T201
            return 2
    payload = {"results": [_as_json(r) for r in result.results]}
    sys.stdout.buffer.write(orjson.dumps(payload) + b"\n")
    sys.stdout.flush()
    return 0 if result.all_ok else 1


def _load_grids(path: Path) -> list:
    data = orjson.loads(path.read_bytes())
    if isinstance(data, dict):
        if "grids" not in data:
            raise ValueError(f'{path}: expected a list of grids or {{"grids": [...]}}')
        data = data["grids"]
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of grids, got {type(data).__name__}")
    return data


def _as_json(result: GridResult) -> dict:
    if result.status is Status.OK:
        return {"status": result.status.value, "output": result.output.tolist()}
    return {"status": result.status.value, "error": result.error}
