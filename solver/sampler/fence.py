"""Where a completion ends: the closing fence of the code block the prompt opened.

The prompt's assistant turn is pre-filled up to "```python\\n"; the model writes the program and
closes the block with "```". Every backend stops there (vLLM: ``stop=["```"]``; transformers: a
stopping criterion) and cuts the text with ``cut_at_fence``, and the learner ends its training
targets with the same fence, so what is learnt is what stops sampling.
"""

from __future__ import annotations

CLOSING_FENCE = "```"


def cut_at_fence(text: str) -> tuple[str, bool]:
    """Split generated text at the first closing fence.

    Returns:
        ``(text before the fence, True)`` when a fence is present, else ``(text, False)``.
    """
    index = text.find(CLOSING_FENCE)
    if index < 0:
        return text, False
    return text[:index], True


def with_closing_fence(program: str) -> str:
    """Return ``program`` ending with a newline and the closing fence, as the model should write it.

    A program as ``cut_at_fence`` returns it ("...return img\\n") gets "```" appended; text that
    already ends with the fence loses only trailing whitespace after it.
    """
    stripped = program.rstrip()
    if stripped.endswith(CLOSING_FENCE):
        return stripped
    if not program.endswith("\n"):
        program += "\n"
    return program + CLOSING_FENCE
