"""The pieces every BARC-style generator shares: the generator record, running a program in-process, building an ``ArcTask``.

A generator is a pair in BARC's own style: ``generate_input(rng)`` draws an input grid in BARC's
``grid[x, y]`` convention, and a reference program text (``from common import *`` ...
``def transform(input_grid)``) maps it to its output. Tasks are made by running that text, so the
program shipped with a task is by construction the one that produced its outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import solver.dsl.barc as barc
from solver.arc.task import MAX_SIDE, ArcTask, Example, TestCase

HEADER = "from common import *\nimport numpy as np\nfrom typing import *\n\n"
STAR_IMPORT = "from common import *"
MAX_REDRAWS = 100


@dataclass(frozen=True)
class BarcGenerator:
    """One family of tasks: draw an input, and the program that solves every input it draws.

    Attributes:
        name: a short unique id, e.g. ``"gravity_down"``.
        generate_input: ``rng -> grid[x, y]`` (int array, sides 1-30); may raise ``Redraw``.
        program: the full BARC-style reference program text defining ``transform``.
        description: one line saying what the task asks.
    """

    name: str
    generate_input: Callable[[np.random.Generator], np.ndarray]
    program: str
    description: str


class Redraw(Exception):
    """Raised by a ``generate_input`` that drew a degenerate input; the caller draws again."""


def compile_program(program: str) -> Callable[[np.ndarray], Any]:
    """The ``transform`` function of a BARC-style program text, executed in-process.

    The DSL's names go into the program's namespace directly (as the sandbox does), so the
    ``from common import *`` line is dropped rather than registering a global ``common`` module.
    Only for our own trusted reference programs: untrusted text goes through the sandbox.
    """
    source = program.replace(STAR_IMPORT, "")
    namespace: dict[str, Any] = {name: getattr(barc, name) for name in barc.__all__}
    namespace.update(np=np, __name__="__barc_reference__")
    exec(compile(source, "<barc reference program>", "exec"), namespace)  # noqa: S102 - our own text
    return namespace["transform"]


def to_arc(grid: np.ndarray) -> list[list[int]]:
    """A BARC ``grid[x, y]`` as ARC's row lists (the transpose)."""
    return np.asarray(grid).T.astype(int).tolist()


def from_arc(grid: list[list[int]]) -> np.ndarray:
    """ARC's row lists as a BARC ``grid[x, y]`` int array."""
    return np.array(grid, dtype=int).T


def _valid_grid(grid: Any) -> bool:
    """True for a 2-D int-valued array with values 0-9 and sides 1-30."""
    array = np.asarray(grid)
    return (
        array.ndim == 2
        and 1 <= array.shape[0] <= MAX_SIDE
        and 1 <= array.shape[1] <= MAX_SIDE
        and bool(np.all((array >= 0) & (array <= 9)))
    )


def draw_pair(generator: BarcGenerator, rng: np.random.Generator, transform: Callable[[np.ndarray], Any]) -> tuple[np.ndarray, np.ndarray]:
    """One (input, output) pair whose output differs from its input; degenerate draws are redrawn.

    Why redraw: a pair whose output equals its input (or fails to run) teaches nothing about the
    transformation, and the tests demand that each generator be honest.
    """
    for _ in range(MAX_REDRAWS):
        try:
            grid = np.asarray(generator.generate_input(rng), dtype=int)
        except Redraw:
            continue
        output = transform(grid.copy())
        if output is None or not _valid_grid(grid) or not _valid_grid(output):
            continue
        output = np.asarray(output, dtype=int)
        if output.shape == grid.shape and np.array_equal(output, grid):
            continue
        return grid, output
    raise RuntimeError(f"generator {generator.name!r} drew {MAX_REDRAWS} degenerate inputs in a row")


def build_task(generator: BarcGenerator, seed: int, n_train: int = 3) -> ArcTask:
    """An ``ArcTask`` of ``n_train`` pairs and one test case (with its output), from ``seed``.

    Inputs are drawn from ``np.random.default_rng(seed)``; the DSL's own random helpers read
    Python's ``random`` and ``np.random``, so those are seeded from the same seed too (and
    restored afterwards, so callers' own random streams are left alone).
    Grids are stored in ARC's row order.
    """
    if n_train < 1:
        raise ValueError(f"n_train must be at least 1, got {n_train}")
    rng = np.random.default_rng(seed)
    python_state, numpy_state = barc.random.getstate(), np.random.get_state()
    barc.random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        transform = compile_program(generator.program)
        pairs = [draw_pair(generator, rng, transform) for _ in range(n_train + 1)]
    finally:  # leave the caller's global random streams as they were
        barc.random.setstate(python_state)
        np.random.set_state(numpy_state)
    train = [Example(input=to_arc(i), output=to_arc(o)) for i, o in pairs[:n_train]]
    test_input, test_output = pairs[n_train]
    test = [TestCase(input=to_arc(test_input), output=to_arc(test_output))]
    return ArcTask(id=f"barc-{generator.name}-{seed}", train=train, test=test)


# -- small drawing helpers for generate_input functions (rng-driven, no global random state) ----


def random_colors(rng: np.random.Generator, count: int, exclude: tuple[int, ...] = (0,)) -> list[int]:
    """``count`` distinct colours, none of them in ``exclude``."""
    pool = [c for c in range(10) if c not in exclude]
    return [int(c) for c in rng.choice(pool, size=count, replace=False)]


def random_shape(rng: np.random.Generator, width: int, height: int, color: int, density: float = 0.6) -> np.ndarray:
    """A 4-connected sprite of ``width x height`` (its box filled edge to edge) in one colour.

    Grown from a random pixel so it is always one object, then kept only if it spans the box.
    """
    for _ in range(MAX_REDRAWS):
        sprite = np.zeros((width, height), dtype=int)
        x, y = int(rng.integers(width)), int(rng.integers(height))
        sprite[x, y] = color
        wanted = max(1, round(density * width * height))
        while np.count_nonzero(sprite) < wanted:
            px, py = np.argwhere(sprite != 0)[rng.integers(np.count_nonzero(sprite))]
            dx, dy = [(1, 0), (-1, 0), (0, 1), (0, -1)][rng.integers(4)]
            nx, ny = px + dx, py + dy
            if 0 <= nx < width and 0 <= ny < height:
                sprite[nx, ny] = color
        if barc.crop(sprite).shape == (width, height):
            return sprite
    return np.full((width, height), color, dtype=int)


def place_sprites(
    rng: np.random.Generator,
    grid: np.ndarray,
    sprites: list[np.ndarray],
    padding: int = 1,
    border: int = 0,
) -> list[tuple[int, int]]:
    """Blit each sprite in place at a random spot where it is at least ``padding`` from others.

    Returns the corners used; raises ``Redraw`` when a sprite finds no room.
    """
    width, height = grid.shape
    corners = []
    for sprite in sprites:
        sw, sh = sprite.shape
        for _ in range(MAX_REDRAWS):
            x = int(rng.integers(border, width - sw - border + 1)) if width - sw - 2 * border >= 0 else -1
            y = int(rng.integers(border, height - sh - border + 1)) if height - sh - 2 * border >= 0 else -1
            if x < 0 or y < 0:
                raise Redraw
            x0, y0 = max(0, x - padding), max(0, y - padding)
            if np.all(grid[x0 : x + sw + padding, y0 : y + sh + padding] == 0):
                barc.blit_sprite(grid, sprite, x, y)
                corners.append((x, y))
                break
        else:
            raise Redraw
    return corners
