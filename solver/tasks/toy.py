"""The toy evaluation tasks of arc25's HER notebooks (reference_arc25.md §2), rebuilt.

Each task has one train pair, a black input and a drawing as output, and one test case that
repeats that pair (with its output, so a dry run can score it). Each comes with a reference
drawing-DSL program that produces the output; the tests exec it and compare. The outputs are
built here directly, not by running the reference programs, so the two check each other.

Tasks and the rules chosen where the brief is silent:

- ``9-vertical-lines``: 9x9, column x has colour x + 1 (x = 0..8).
- ``12-squares`` (6 rows x 8 cols) and ``20-squares`` (10 rows x 8 cols): 2x2 squares at
  stride 2, tiling the grid; square k (row-major) has colour ``k % 9 + 1``, i.e. 1..9 cycling
  and skipping 0.
- ``{n*n}-squares`` for n = 4..10 (16, 25, 36, 49, 64, 81, 100): a 2n x 2n grid of n x n such
  squares; square k has colour ``k % 10`` for n < 9 and ``k % 8`` for n >= 9. Colour-0
  squares are therefore invisible on the black input, and 81/100-squares never use colours 8
  and 9: both as the brief describes arc25's notebooks.
- ``chick``: a 10x10 pixel-art chick of our own design facing right: yellow (4) head and body
  with a raised tail, a black (0) eye, a red (2) comb, an orange (7) beak and azure (8) legs.

Reference programs draw only what is visible: the colour-0 squares are left out, so each
reference program is already pruned (every line changes the output).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.arc.task import ArcTask, Example, TestCase
from solver.programs import assemble

_CHICK_ART = (
    ".....22...",
    "....4444..",
    "....4404..",
    "....444477",
    ".4..4444..",
    ".4444444..",
    ".4444444..",
    "..44444...",
    "...8.8....",
    "..88.88...",
)
_CHICK_LINES = (
    "draw_rectangle(img, point1=(1, 4), point2=(4, 7), color=4)",
    "draw_rectangle(img, point1=(5, 1), point2=(6, 7), color=4)",
    "draw_line(img, point1=(7, 2), point2=(7, 6), color=4)",
    "draw_pixel(img, point=(4, 1), color=4)",
    "draw_pixel(img, point=(2, 6), color=0)",
    "draw_line(img, point1=(0, 5), point2=(0, 6), color=2)",
    "draw_line(img, point1=(3, 8), point2=(3, 9), color=7)",
    "draw_line(img, point1=(8, 3), point2=(9, 3), color=8)",
    "draw_pixel(img, point=(9, 2), color=8)",
    "draw_line(img, point1=(8, 5), point2=(9, 5), color=8)",
    "draw_pixel(img, point=(9, 6), color=8)",
)
_SQUARE_SIDES = {12: (6, 8), 20: (10, 8)} | {n * n: (2 * n, 2 * n) for n in range(4, 11)}


@dataclass(frozen=True)
class ToyTask:
    """A toy evaluation task and a drawing program that solves it.

    Attributes:
        task: the ``ArcTask``; its id is the toy task's name.
        reference_program: ``def task(img): ... return img`` in the drawing DSL.
    """

    task: ArcTask
    reference_program: str


def toy_task_names() -> list[str]:
    """All toy task names, in a fixed order."""
    return ["9-vertical-lines", *(f"{n}-squares" for n in sorted(_SQUARE_SIDES)), "chick"]


def toy_task(name: str) -> ToyTask:
    """The toy task called ``name`` (one of ``toy_task_names()``)."""
    if name == "9-vertical-lines":
        output, lines = _vertical_lines()
    elif name == "chick":
        output = np.array([[0 if ch == "." else int(ch) for ch in row] for row in _CHICK_ART])
        lines = list(_CHICK_LINES)
    elif name.endswith("-squares") and name.removesuffix("-squares").isdigit():
        n_squares = int(name.removesuffix("-squares"))
        if n_squares not in _SQUARE_SIDES:
            raise ValueError(f"unknown toy task {name!r}; choose from {toy_task_names()}")
        output, lines = _squares(n_squares)
    else:
        raise ValueError(f"unknown toy task {name!r}; choose from {toy_task_names()}")
    black = np.zeros_like(output).tolist()
    task = ArcTask(
        id=name,
        train=[Example(input=black, output=output.tolist())],
        test=[TestCase(input=black, output=output.tolist())],
    )
    return ToyTask(task=task, reference_program=assemble(lines))


def _vertical_lines() -> tuple[np.ndarray, list[str]]:
    output = np.tile(np.arange(1, 10), (9, 1))
    lines = [f"draw_vertical_line(img, x={x}, color={x + 1})" for x in range(9)]
    return output, lines


def _squares(n_squares: int) -> tuple[np.ndarray, list[str]]:
    rows, cols = _SQUARE_SIDES[n_squares]
    square_cols = cols // 2
    if n_squares in (12, 20):
        colors = [k % 9 + 1 for k in range(n_squares)]
    else:
        modulus = 10 if square_cols < 9 else 8
        colors = [k % modulus for k in range(n_squares)]
    output = np.zeros((rows, cols), dtype=int)
    lines = []
    for k, color in enumerate(colors):
        top, left = 2 * (k // square_cols), 2 * (k % square_cols)
        output[top : top + 2, left : left + 2] = color
        if color:  # a colour-0 square on the black input draws nothing
            lines.append(
                f"draw_rectangle(img, point1=({top}, {left}), "
                f"point2=({top + 1}, {left + 1}), color={color})"
            )
    return output, lines
