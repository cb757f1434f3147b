"""The project tokenizer, committed in ``solver/models/tokenizer_files/``, and how it was built.

Every from-scratch model of the project uses this one tokenizer, so models stay interchangeable
and a tokenizer never has to be re-trained at run time. Rebuild it (deterministically) with
``python -m solver.models.project_tokenizer``; the corpus is generated drawing tasks rendered
exactly as the prompts and training targets are, so frequent merges are the DSL's own words.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

TOKENIZER_DIR = Path(__file__).parent / "tokenizer_files"
VOCAB_SIZE = 1024
CORPUS_TASKS = 4000


def corpus(n_tasks: int = CORPUS_TASKS, seed: int = 0) -> Iterator[str]:
    """Prompt and completion texts of generated drawing tasks, small and large grids, and the toy tasks."""
    import numpy as np

    from solver.prompting import completion_for, drawing_messages
    from solver.tasks import DrawingTaskConfig, task_stream, toy_task, toy_task_names

    configs = [DrawingTaskConfig(), DrawingTaskConfig(max_side=30, max_examples=2)]
    stream = task_stream(seed, configs)
    for _ in range(n_tasks):
        task = next(stream)
        for message in drawing_messages(list(zip(task.inputs, task.outputs))):
            yield message["content"]
        yield completion_for(task.program)
    for name in toy_task_names():
        toy = toy_task(name)
        yield completion_for(toy.reference_program)
        yield from (m["content"] for m in drawing_messages([(np.array(e.input), np.array(e.output)) for e in toy.task.train]))


def build_project_tokenizer(folder: Path = TOKENIZER_DIR) -> PreTrainedTokenizerFast:
    """Train the tokenizer on ``corpus()`` and save it to ``folder``."""
    from solver.models.tokenizer import train_tokenizer

    tokenizer = train_tokenizer(corpus(), vocab_size=VOCAB_SIZE)
    tokenizer.save_pretrained(str(folder))
    return tokenizer


def load_project_tokenizer() -> PreTrainedTokenizerFast:
    """The committed project tokenizer (offline, from the package folder)."""
    from transformers import AutoTokenizer

    if not (TOKENIZER_DIR / "tokenizer.json").exists():
        raise FileNotFoundError(f"{TOKENIZER_DIR} has no tokenizer; build it with python -m solver.models.project_tokenizer")
    return AutoTokenizer.from_pretrained(str(TOKENIZER_DIR))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild the project tokenizer from generated drawing tasks.")
    parser.add_argument("--output", type=Path, default=TOKENIZER_DIR)
    args = parser.parse_args(argv)
    tokenizer = build_project_tokenizer(args.output)
    print(f"saved a {len(tokenizer)}-token tokenizer to {args.output}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
