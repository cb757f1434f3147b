"""Parsing the program out of a model's completion."""

from __future__ import annotations

_FENCE = "```"
_OPENING = "```python\n"


def extract_program(completion: str) -> str:
    """The code in a completion that continues after the ``"```python\\n"`` pre-fill.

    Tolerant by design: if the completion itself opens a python block, the code after the last
    opening is taken; a missing closing fence (the sample hit its token limit) keeps everything.
    Returns the code with trailing blank lines removed; may be empty.
    """
    start = completion.rfind(_OPENING)
    code = completion[start + len(_OPENING) :] if start >= 0 else completion
    end = code.find(_FENCE)
    if end >= 0:
        code = code[:end]
    return code.rstrip() + "\n" if code.strip() else ""
