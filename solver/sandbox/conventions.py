"""What a DSL's programs expect beyond its ``__all__``: import name, entry point, grid orientation.

Programs written for the drawing DSL define ``task(img)`` and see grids as ARC has them, (row,
col). Programs written in BARC's style (``solver.dsl.barc``, our implementation of the public API
of BARC's ``common.py``) begin with ``from common import *``, define ``transform`` (older ones
``main``) and index grids ``grid[x, y]`` with x across the width: the transpose of ARC's lists.
The sandbox worker honours these conventions so that such programs run unchanged:

- ``import_name``: the worker puts the DSL module into ``sys.modules`` under this name too, so
  ``from common import *`` finds it inside the program process (nothing is read from disk);
- ``default_entry_point``: the function name a run uses unless told otherwise (``exec`` CLI);
- ``fallback_entry_points``: tried in order when a program lacks ``SandboxConfig.function_name``;
- ``transposed``: each grid is handed to the program transposed, and the grid it returns is
  transposed back before it is checked and reported, so results are always in ARC's orientation.

Kept on the sandbox side, keyed by module name, so that the DSL modules stay plain libraries.
No pydantic here: every worker process imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DslConventions:
    """How programs of one DSL are loaded and called; the defaults are the drawing DSL's."""

    default_entry_point: str = "task"
    import_name: str | None = None
    fallback_entry_points: tuple[str, ...] = ()
    transposed: bool = False


DRAWING = "solver.dsl.drawing"
BARC = "solver.dsl.barc"
_CONVENTIONS = {
    DRAWING: DslConventions(),
    BARC: DslConventions(default_entry_point="transform", import_name="common", fallback_entry_points=("main",), transposed=True),
}


def conventions_for(dsl: str) -> DslConventions:
    """The conventions of the DSL module ``dsl``; a module not listed gets the drawing ones."""
    return _CONVENTIONS.get(dsl, DslConventions())


def dsl_module(name: str) -> str:
    """A DSL's module from a short name (``barc`` -> ``solver.dsl.barc``); dotted names pass as is."""
    return name if "." in name else f"solver.dsl.{name}"
