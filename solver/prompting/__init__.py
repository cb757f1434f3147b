"""Prompt formats: grids as text, the `drawing` prompt, and parsing programs out of completions."""

from solver.prompting.drawing import (
    ANSWER_PREFIX,
    completion_for,
    drawing_messages,
    render_prompt,
)
from solver.prompting.grids import grid_from_text, grid_to_text
from solver.prompting.parsing import extract_program

__all__ = [
    "ANSWER_PREFIX",
    "completion_for",
    "drawing_messages",
    "extract_program",
    "grid_from_text",
    "grid_to_text",
    "render_prompt",
]
