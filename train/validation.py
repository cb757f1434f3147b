"""Validation during training: loss on held-out tasks, and pass@n by sampling and running programs.

Job: two measurements on the main process, both on fixed sets so that curves compare across steps:
- ``validation_loss``: the token-mean loss on ``val_tasks`` generated tasks (stream purpose
  VALIDATION of ``val_seed``, never trained on);
- ``SamplingEval``: ``sample_eval_n`` samples per task for ``sample_eval_tasks`` generated
  tasks (purpose SAMPLE_EVAL) plus the toy evaluation tasks, sampled with
  ``solver.sampler.TransformersSampler`` and run in ``solver.sandbox``. A task is solved when a
  sampled program reproduces every one of its pairs. Tasks whose prompt plus
  ``sample_eval_max_new_tokens`` exceed ``max_seq_len`` are left out and counted.

Reported per group ("generated", "toy"): ``pass@n`` (fraction of tasks solved by any sample)
and ``sample_accuracy`` (fraction of samples that solve their task). With the transformers
sampler this costs about as much as ``n * tasks`` generate rows; keep it every few thousand steps.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from solver.prompting import extract_program
from solver.sampler import AdapterRef, SamplingParams, TransformersSampler
from solver.sandbox import Sandbox, SandboxConfig
from solver.tasks import toy_task, toy_task_names
from train.config import TrainConfig
from train.data import SAMPLE_EVAL, MicroBatch, draw_task, task_prompt

logger = logging.getLogger(__name__)

SAMPLER_BATCH_ROWS = 64  # generate rows per call; the transformers backend's default


@dataclass(frozen=True)
class EvalTask:
    """A task to sample programs for: its pairs, and which group it is reported under."""

    name: str
    group: str
    inputs: list[np.ndarray]
    outputs: list[np.ndarray]


def validation_loss(model: torch.nn.Module, batches: Sequence[MicroBatch], device: torch.device) -> float:
    """Token-mean loss (nats) of ``model`` over ``batches``; the model's mode is restored."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for batch in batches:
                n_targets = int((batch.labels[:, 1:] != -100).sum())
                inputs = batch.model_inputs(device)
                loss = model(**inputs, use_cache=False, num_items_in_batch=torch.tensor(1.0, device=device)).loss
                total += float(loss)
                count += n_targets
    finally:
        model.train(was_training)
    return total / max(count, 1)


def sample_eval_tasks(config: TrainConfig) -> list[EvalTask]:
    """The fixed pass@n set: generated held-out tasks, then every toy task.

    Generated tasks come from the mix's drawing sources only: pass@n runs programs in the drawing
    sandbox (BARC sources count in the held-out loss).
    """
    tasks = []
    drawing_mix = [source for source in config.data_mix if not source.barc]
    for index in range(config.sample_eval_tasks if drawing_mix else 0):
        task = draw_task(config.val_seed, SAMPLE_EVAL, index, drawing_mix)
        tasks.append(EvalTask(f"generated-{index}", "generated", list(task.inputs), list(task.outputs)))
    for name in toy_task_names():
        train = toy_task(name).task.train
        tasks.append(
            EvalTask(name, "toy", [np.array(e.input) for e in train], [np.array(e.output) for e in train])
        )
    return tasks


class SamplingEval:
    """pass@n on a fixed task set; owns a small sandbox, close it (or use ``with``)."""

    def __init__(self, config: TrainConfig, tokenizer, sandbox_workers: int = 2) -> None:
        self.config = config
        self.tokenizer = tokenizer
        self.params = SamplingParams(
            n=config.sample_eval_n,
            temperature=config.sample_eval_temperature,
            max_new_tokens=config.sample_eval_max_new_tokens,
            seed=config.val_seed,
        )
        budget = config.max_seq_len - config.sample_eval_max_new_tokens
        self.tasks, self.prompts, self.left_out = [], [], 0
        for task in sample_eval_tasks(config):
            prompt = task_prompt(tokenizer, task.inputs, task.outputs)
            if len(tokenizer(prompt, add_special_tokens=False)["input_ids"]) > budget:
                self.left_out += 1
                continue
            self.tasks.append(task)
            self.prompts.append(prompt)
        if self.left_out:
            logger.info("pass@n leaves out %d tasks whose prompt + %d new tokens exceed %d tokens",
                        self.left_out, config.sample_eval_max_new_tokens, config.max_seq_len)
        self.sandbox = Sandbox(SandboxConfig(workers=sandbox_workers))

    def close(self) -> None:
        """Stop the sandbox workers."""
        self.sandbox.close()

    def __enter__(self) -> SamplingEval:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, model: torch.nn.Module, adapter: AdapterRef | None) -> dict[str, float]:
        """Sample, run and score; returns ``{"<group>/pass@n": ..., "<group>/sample_accuracy": ...}``.

        Args:
            model: the unwrapped model (a PEFT model for adapter training); its mode is restored.
            adapter: the adapter to sample with, None for a plain model.
        """
        if not self.tasks:
            return {}
        was_training = model.training
        sampler = TransformersSampler(model, self.tokenizer, batch_size=SAMPLER_BATCH_ROWS)
        try:
            completions = sampler.generate(self.prompts, self.params, adapter=adapter)
        finally:
            model.train(was_training)
        jobs = [
            (extract_program(sample.text), task.inputs)  # an empty program is an ERROR result
            for task, samples in zip(self.tasks, completions, strict=True)
            for sample in samples
        ]
        results = self.sandbox.run_each(jobs)
        n = self.params.n
        scores: dict[str, list[tuple[bool, float]]] = {}
        for i, task in enumerate(self.tasks):
            solved = [_solves(result.outputs, task.outputs) for result in results[i * n : (i + 1) * n]]
            scores.setdefault(task.group, []).append((any(solved), sum(solved) / n))
        metrics = {}
        for group, rows in scores.items():
            metrics[f"{group}/pass@{n}"] = sum(hit for hit, _ in rows) / len(rows)
            metrics[f"{group}/sample_accuracy"] = sum(rate for _, rate in rows) / len(rows)
        return metrics


def _solves(outputs: list[np.ndarray] | None, targets: list[np.ndarray]) -> bool:
    if outputs is None:
        return False
    return all(np.array_equal(out, target) for out, target in zip(outputs, targets, strict=True))
