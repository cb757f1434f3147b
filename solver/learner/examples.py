"""Turning (prompt, completion) text pairs into token ids and loss labels for training.

The boundary between prompt and completion must be exact: the prompt is tokenised on its own
(as the sampler tokenises it) and the completion on its own, then the two are concatenated, so
the model learns to continue exactly the token sequence it will be given at sampling time.
The completion target is the program, the closing fence and the eos token: the fence is what
stops sampling and eos is what a chat turn ends with. Labels come from lengths, never from pad or
eos ids, so eos is always learnt (arc25 §8.4: with pad == eos it was masked out of the labels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from solver.sampler.fence import with_closing_fence

if TYPE_CHECKING:
    import torch

IGNORE_INDEX = -100  # label value that the loss skips (PyTorch's cross_entropy default)


@dataclass(frozen=True)
class EncodedExample:
    """Token ids of prompt + completion; the first ``prompt_length`` ids carry no loss."""

    input_ids: list[int]
    prompt_length: int

    @property
    def labels(self) -> list[int]:
        """Loss targets: ``IGNORE_INDEX`` on the prompt, the token ids on the completion."""
        return [IGNORE_INDEX] * self.prompt_length + self.input_ids[self.prompt_length :]


def encode_example(tokenizer, prompt: str, completion: str) -> EncodedExample:
    """Tokenise a training pair with an exact boundary.

    Args:
        tokenizer: the model's tokenizer; it must have an eos token.
        prompt: the rendered prompt, ending with the assistant pre-fill ("```python\\n").
        completion: the program, with or without the closing fence (``with_closing_fence``
            appends it when missing).

    Returns:
        prompt ids + ids of the program and closing fence + eos id.

    Raises:
        ValueError: if the tokenizer has no eos token, or the prompt or the completion is empty.
    """
    if tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer has no eos token; the completion target must end with one")
    if not prompt:
        raise ValueError("prompt must be a non-empty rendered prompt: the first completion token needs a context")
    if not completion.strip():
        raise ValueError("completion must be a non-empty program")
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(with_closing_fence(completion), add_special_tokens=False)["input_ids"]
    return EncodedExample(
        input_ids=prompt_ids + completion_ids + [tokenizer.eos_token_id],
        prompt_length=len(prompt_ids),
    )


def pad_right(
    examples: Sequence[EncodedExample], pad_id: int, multiple: int = 1
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(input_ids, attention_mask, labels)`` of ``examples`` right-padded to the longest, rounded
    up to a ``multiple``; padding is masked out and carries no label. Shared by the per-task
    learner and base-model training."""
    import torch

    longest = max(len(example.input_ids) for example in examples)
    width = -(-longest // multiple) * multiple
    input_ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    for row, example in enumerate(examples):
        length = len(example.input_ids)
        input_ids[row, :length] = torch.tensor(example.input_ids)
        attention_mask[row, :length] = 1
        labels[row, :length] = torch.tensor(example.labels)
    return input_ids, attention_mask, labels
