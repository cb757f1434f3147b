"""Hand-written ARC-style task generators in BARC's own style, using our BARC DSL (``solver.dsl.barc``).

Each generator (``BarcGenerator``) pairs ``generate_input(rng)``, which draws an input grid in
BARC's ``grid[x, y]`` convention, with the text of a reference program (``from common import *``
... ``def transform(input_grid)``). ``generate_barc_task`` runs that program in-process on drawn
inputs to make an ``ArcTask`` (grids in ARC's row order), so every task comes with a program that
solves it: training data for BARC-style induction and a check that the DSL behaves as programs
expect. Families live in small modules (objects, fill, lines, physics, symmetry, scaling,
counting); ``GENERATORS`` lists them all, no registry needed.
"""

from __future__ import annotations

from solver.arc.task import ArcTask
from solver.tasks.barc_generators import counting, fill, lines, objects, physics, scaling, symmetry
from solver.tasks.barc_generators.core import BarcGenerator, Redraw, build_task, compile_program, from_arc, to_arc

GENERATORS: tuple[BarcGenerator, ...] = (
    *objects.GENERATORS,
    *fill.GENERATORS,
    *lines.GENERATORS,
    *physics.GENERATORS,
    *symmetry.GENERATORS,
    *scaling.GENERATORS,
    *counting.GENERATORS,
)
_BY_NAME = {generator.name: generator for generator in GENERATORS}
assert len(_BY_NAME) == len(GENERATORS), "generator names must be unique"


def barc_generator_names() -> list[str]:
    """The names of all generators, in ``GENERATORS`` order."""
    return [generator.name for generator in GENERATORS]


def barc_generator(name: str) -> BarcGenerator:
    """The generator called ``name``; ValueError naming the known ones otherwise."""
    if name not in _BY_NAME:
        raise ValueError(f"unknown BARC generator {name!r}; choose one of {barc_generator_names()}")
    return _BY_NAME[name]


def generate_barc_task(name: str, seed: int, n_train: int = 3) -> tuple[ArcTask, str]:
    """A task from generator ``name``: ``n_train`` pairs plus one test case, and its reference program.

    The same ``(name, seed, n_train)`` always gives the same task.
    """
    generator = barc_generator(name)
    return build_task(generator, seed, n_train=n_train), generator.program


__all__ = [
    "GENERATORS",
    "BarcGenerator",
    "Redraw",
    "barc_generator",
    "barc_generator_names",
    "compile_program",
    "from_arc",
    "generate_barc_task",
    "to_arc",
]
