"""``GeneratedTask``: a sampled task (input and output grids) with the program that solves it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.arc.task import ArcTask, Example, TestCase


@dataclass(frozen=True)
class GeneratedTask:
    """A generated task: every output is exactly what ``program`` draws on its input.

    Attributes:
        inputs: the input grids, 2-D int8 arrays, all of one shape.
        outputs: the output grids, int8, one per input, same shape.
        program: the full source ``def task(img): ... return img``, already pruned (``drawing``),
            or a BARC-style ``def transform(input_grid)`` program (``barc``).
        name: the generator that made it, e.g. ``"drawing_on_noise"``.
        prompt_format: the prompt format (``solver.prompting.prompt_format``) the task is shown
            in and its program written for. A ``barc`` task's last pair is its test case: the
            barc prompt shows that input without its output.
    """

    inputs: list[np.ndarray]
    outputs: list[np.ndarray]
    program: str
    name: str
    prompt_format: str = "drawing"

    def to_arc_task(self, task_id: str, n_test: int = 0) -> ArcTask:
        """The task as an ``ArcTask``.

        Args:
            task_id: the id of the new task.
            n_test: how many of the last pairs become test cases (with their outputs). 0 keeps
                every pair as a train pair and adds a copy of the last one as the test case,
                as the toy tasks do, so that a one-example task still makes a valid
                ``ArcTask`` that a dry run can score. Otherwise it must leave at least one
                train pair: ``1 <= n_test < len(inputs)``.
        """
        n_pairs = len(self.inputs)
        if n_test and not 1 <= n_test < n_pairs:
            raise ValueError(
                f"n_test must be 0 or in [1, {n_pairs - 1}] for a task of {n_pairs} pairs, "
                f"got {n_test}"
            )
        pairs = [(i.tolist(), o.tolist()) for i, o in zip(self.inputs, self.outputs, strict=True)]
        n_train = n_pairs - n_test
        train = [Example(input=i, output=o) for i, o in pairs[:n_train]]
        test = [TestCase(input=i, output=o) for i, o in (pairs[n_train:] or pairs[-1:])]
        return ArcTask(id=task_id, train=train, test=test)
