"""The `barc` prompt: the induction format BARC's models were fine-tuned on (xu3kev/BARC).

Reproduced from BARC's ``finetune/alignment-handbook/gen_dataset_both.py`` (the induction half),
which built the training data of e.g. barc0/Llama-3.1-ARC-Potpourri-Induction-8B. A model
follows the format it was trained on far better than a paraphrase, so the wording below is data
and must stay exactly as it is, spaces, newlines and all:

- grids are colour names, one line per first index, cells separated by one space, each grid
  followed by one extra newline (BARC's ``EXTRA_NEWLINE``). BARC printed every grid as its
  programs see it, ``grid[x, y]`` with a line per x (``TRANSPOSE = False``; its ARC seed tasks
  were loaded as ``pair.x.T``). So an ARC grid is shown transposed here, exactly as the sandbox
  hands it to the program: prompt and program see the same array, as in BARC's training data;
- each pair is ``Example {i}\\nInput:\\n{grid}\\nOutput:\\n{grid}\\n\\n``; then the test input(s),
  joined by a newline as BARC joins them; then the instruction to write ``transform``;
- every answer in BARC's data starts with the same sentence and a python block; the assistant
  turn is pre-filled with it up to the opening fence, as the drawing prompt is, so sampling
  starts at the program and stops at the closing fence. The program itself is BARC-style
  (``from common import *``, ``def transform(input_grid)``, grids indexed ``[x, y]``) and runs
  with ``dsl="solver.dsl.barc"``, whose sandbox conventions transpose the grids for it.

``completion_for`` and ``extract_program`` are the drawing format's: the target is the program
and the closing fence after the same kind of pre-fill.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

GridLike = np.ndarray | Sequence[Sequence[int]]

# BARC's COLOR_MAPPING after its COLOR_REPLACEMENTS (Grey -> Gray, Teal -> Purple, Maroon -> Brown)
COLOR_NAMES = ("Black", "Blue", "Red", "Green", "Yellow", "Gray", "Pink", "Orange", "Purple", "Brown")
SYSTEM_MESSAGE = (
    "You are a world-class puzzle solver with exceptional pattern recognition skills and expertise in Python "
    "programming. Your task is to analyze puzzles and provide Python solutions."
)
INTRODUCTION = (
    "Given input-output grid pairs as reference examples, carefully observe the patterns to predict the output grid "
    "for new test input. Each pair follows the same transformation rule. Grids are 2D arrays represented as strings, "
    "with cells (colors) separated by spaces and rows by newlines."
    "\nHere are the input and output grids for the reference examples:\n"
)
TEST_HEADER = "Here is the input grid for the test example:\nInput:\n"
INSTRUCTION = (
    "\nWrite a Python function `transform` that can convert any given input grid to its corresponding output grid "
    "based on the pattern observed in the reference examples."
)
ANSWER_PREFIX = (
    "Let's solve this puzzle using Python code with the common library functions. We'll first reason about the "
    "problem and then write the code to solve it. The `transform` function will take the input grid and return the "
    "output grid. Here is the Python code with the comments describing how to solve the problem:\n```python\n"
)


def grid_to_barc_text(grid: GridLike) -> str:
    """An ARC grid (rows) as BARC writes it: the program's view ``grid[x, y]``, a line per x.

    Colour names separated by spaces, and one extra newline at the end.
    """
    columns = np.asarray(grid).T.tolist()
    return "\n".join(" ".join(COLOR_NAMES[int(v)] for v in line) for line in columns) + "\n"


def barc_user_message(pairs: Sequence[tuple[GridLike, GridLike]], test_inputs: Sequence[GridLike]) -> str:
    """The user turn: the introduction, every example pair, the test input(s), the instruction."""
    text = INTRODUCTION
    for i, (grid_in, grid_out) in enumerate(pairs, start=1):
        text += f"Example {i}\n"
        text += f"Input:\n{grid_to_barc_text(grid_in)}\nOutput:\n{grid_to_barc_text(grid_out)}\n\n"
    text += TEST_HEADER + "\n".join(grid_to_barc_text(grid) for grid in test_inputs)
    return text + INSTRUCTION


def barc_messages(pairs: Sequence[tuple[GridLike, GridLike]], test_inputs: Sequence[GridLike]) -> list[dict[str, str]]:
    """Chat messages for the barc prompt, ending with the pre-filled assistant turn."""
    return [
        {"role": "system", "content": SYSTEM_MESSAGE},
        {"role": "user", "content": barc_user_message(pairs, test_inputs)},
        {"role": "assistant", "content": ANSWER_PREFIX},
    ]
