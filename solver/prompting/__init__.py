"""Prompt formats: grids as text, the `drawing` and `barc` prompts, parsing programs out of completions.

A run picks one format by name (``prompt_format("drawing" | "barc")``); the ``PromptFormat`` says
how its prompts are built, what a training target looks like, and in which DSL and under which
function name its programs run in the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from solver.prompting.barc import barc_messages
from solver.sandbox.conventions import conventions_for
from solver.prompting.drawing import (
    ANSWER_PREFIX,
    completion_for,
    drawing_messages,
    render_prompt,
)
from solver.prompting.grids import grid_from_text, grid_to_text
from solver.prompting.parsing import extract_program

PromptFormatName = Literal["drawing", "barc"]
Messages = Callable[[Sequence[tuple[Any, Any]], Sequence[Any]], list[dict[str, str]]]


@dataclass(frozen=True)
class PromptFormat:
    """One prompt format and the program conventions that go with it.

    Attributes:
        messages: ``messages(pairs, test_inputs)``, the chat ending with the pre-filled assistant
            turn (the drawing prompt does not show the test inputs).
        completion_for: the training target that follows a rendered prompt, given a program.
        dsl: the ``SandboxConfig.dsl`` its programs run with; the function called per grid is
            that DSL's entry point (``function_name``, from ``solver.sandbox.conventions``).
        prunable: its programs are ``def task(img)`` bodies that ``solver.programs`` can prune
            statement by statement; BARC-style programs (helpers, imports) are kept as written.
    """

    name: PromptFormatName
    messages: Messages
    completion_for: Callable[[str], str]
    dsl: str
    prunable: bool

    @property
    def function_name(self) -> str:
        """The ``SandboxConfig.function_name`` its programs define."""
        return conventions_for(self.dsl).default_entry_point


def _drawing(pairs: Sequence[tuple[Any, Any]], test_inputs: Sequence[Any]) -> list[dict[str, str]]:
    return drawing_messages(pairs)


DRAWING = PromptFormat("drawing", _drawing, completion_for, "solver.dsl.drawing", prunable=True)
BARC = PromptFormat("barc", barc_messages, completion_for, "solver.dsl.barc", prunable=False)


def prompt_format(name: str) -> PromptFormat:
    """The format called ``name``: ``drawing`` (the default) or ``barc``."""
    if name == "drawing":
        return DRAWING
    if name == "barc":
        return BARC
    raise ValueError(f"unknown prompt format {name!r}; expected drawing or barc")


__all__ = [
    "ANSWER_PREFIX",
    "BARC",
    "DRAWING",
    "PromptFormat",
    "PromptFormatName",
    "barc_messages",
    "completion_for",
    "drawing_messages",
    "extract_program",
    "grid_from_text",
    "grid_to_text",
    "prompt_format",
    "render_prompt",
]
