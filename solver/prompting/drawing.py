"""The `drawing` prompt: a task's example pairs in, a `def task(img)` drawing program out.

The user message lists the examples; the assistant turn is pre-filled with ``ANSWER_PREFIX`` so
that sampling starts right at the program and stops at the closing fence. Training targets use
the same split (``completion_for``), so what the model learns is exactly what it is asked for.
The test input is not shown: a drawing program is judged on the train pairs alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from solver.prompting.grids import grid_to_text

ANSWER_PREFIX = "```python\n"
SYSTEM_MESSAGE = "You write Python programs that transform ARC grids."
INSTRUCTIONS = (
    "Write a Python function `task(img)` that turns every input grid into its output grid, "
    "using the drawing functions create_img, draw_pixel, draw_line, draw_rectangle, "
    "draw_horizontal_line, draw_vertical_line and flood_fill. Points are (row, col)."
)

GridLike = np.ndarray | Sequence[Sequence[int]]


def drawing_messages(pairs: Sequence[tuple[GridLike, GridLike]]) -> list[dict[str, str]]:
    """Chat messages for the drawing prompt, ending with the pre-filled assistant turn."""
    parts = [INSTRUCTIONS]
    for i, (grid_in, grid_out) in enumerate(pairs, start=1):
        parts.append(f"## Example {i}\nInput:\n{grid_to_text(grid_in)}\nOutput:\n{grid_to_text(grid_out)}")
    return [
        {"role": "system", "content": SYSTEM_MESSAGE},
        {"role": "user", "content": "\n\n".join(parts)},
        {"role": "assistant", "content": ANSWER_PREFIX},
    ]


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """Apply the tokenizer's chat template, leaving the assistant turn open after its pre-fill."""
    return tokenizer.apply_chat_template(messages, tokenize=False, continue_final_message=True)


def completion_for(program: str) -> str:
    """The training target that follows a rendered prompt: the program and the closing fence."""
    return program.rstrip("\n") + "\n```"
