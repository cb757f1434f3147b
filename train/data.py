"""Training data: an infinite, seeded stream of generated drawing tasks, tokenised in loader workers.

Job: turn (seed, step, rank) into the token batches that rank trains on at that step, in
``DataLoader`` worker processes, so that the GPU never waits for the generator.

Sharding and resume. Every sample has a global index: step ``s`` trains on samples
``[s * batch_size, (s + 1) * batch_size)``, and rank ``r`` takes the contiguous slice
``r * per_rank`` onwards, ``per_rank = per_device_batch_size * grad_accum``. Sample ``i`` is drawn
from its own generator, ``SeedSequence(seed, spawn_key=(TRAIN, i, attempt))``, so:
- ranks and workers never draw the same sample (their indices differ);
- resuming at step ``s`` regenerates exactly the batches an uninterrupted run would have seen,
  with no stream state to save: the stream position *is* the step;
- the samples of a step do not depend on how they are split: 1 process x 4 accumulation steps
  and 4 processes x 1 see the same samples, and (with the loss normalised over the whole step,
  ``train.loop``) the same gradient;
- the number of loader workers changes nothing: worker ``w`` of ``W`` builds steps
  ``start + w, start + w + W, ...`` and the loader interleaves them back in order.

A sample longer than ``max_seq_len`` is replaced by redrawing with the next ``attempt`` and
counted as skipped. The validation sets use other stream purposes, so they never overlap training.

Padding. Within a rank's step, samples are sorted by length before being cut into micro-batches
(length bucketing: it changes no gradient, since the step's loss is one sum), then each
micro-batch is right-padded to its longest row, or, with ``padding_free``, concatenated into one
row with ``position_ids`` restarting at every sample, which transformers turns into a
block-diagonal causal mask (``attention_mask`` must then be None; checked on CPU with sdpa).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from solver.learner import EncodedExample, encode_example, pad_right
from solver.prompting import BARC, completion_for, drawing_messages, render_prompt
from solver.tasks import GeneratedTask, generate_barc_task, generate_drawing_task
from train.config import ConfigError, DataSource

# Stream purposes: the first element of every sample's spawn key.
TRAIN, VALIDATION, SAMPLE_EVAL = 0, 1, 2
MAX_ATTEMPTS = 100  # redraws of one sample index before max_seq_len is declared too small


@dataclass(frozen=True)
class StepLayout:
    """How one optimizer step's samples split over processes and micro-batches.

    Attributes:
        batch_size: samples per optimizer step, over all processes.
        per_device_batch_size: samples per forward pass.
        num_processes: data-parallel ranks.
    """

    batch_size: int
    per_device_batch_size: int
    num_processes: int

    def __post_init__(self) -> None:
        per_step = self.per_device_batch_size * self.num_processes
        if self.batch_size % per_step:
            raise ConfigError(
                f"--batch-size {self.batch_size} must be divisible by --per-device-batch-size "
                f"{self.per_device_batch_size} x {self.num_processes} processes = {per_step}: gradient accumulation "
                "is derived as their ratio; change --batch-size or --per-device-batch-size"
            )

    @property
    def grad_accum(self) -> int:
        """Micro-batches per optimizer step on each rank."""
        return self.batch_size // (self.per_device_batch_size * self.num_processes)

    @property
    def per_rank(self) -> int:
        """Samples one rank trains on per step."""
        return self.per_device_batch_size * self.grad_accum

    def sample_indices(self, step: int, rank: int) -> range:
        """Global indices of the samples that ``rank`` trains on at ``step`` (0-based)."""
        start = step * self.batch_size + rank * self.per_rank
        return range(start, start + self.per_rank)


@dataclass(frozen=True)
class MicroBatch:
    """One forward pass: (rows, width) long tensors; labels are ``IGNORE_INDEX`` off the targets.

    Padded: ``attention_mask`` is set and ``position_ids`` is None. Padding-free: one row,
    ``position_ids`` restart at 0 for every sample and ``attention_mask`` is None.
    """

    input_ids: torch.Tensor
    labels: torch.Tensor
    attention_mask: torch.Tensor | None
    position_ids: torch.Tensor | None

    def model_inputs(self, device: torch.device | str) -> dict[str, torch.Tensor]:
        """Keyword arguments for the model's forward, on ``device``."""
        inputs = {"input_ids": self.input_ids, "labels": self.labels}
        if self.attention_mask is not None:
            inputs["attention_mask"] = self.attention_mask
        if self.position_ids is not None:
            inputs["position_ids"] = self.position_ids
        return {name: tensor.to(device, non_blocking=True) for name, tensor in inputs.items()}

    def pin_memory(self) -> MicroBatch:
        """A copy in page-locked memory (``DataLoader(pin_memory=True)`` calls this)."""
        pinned = [None if t is None else t.pin_memory() for t in
                  (self.input_ids, self.labels, self.attention_mask, self.position_ids)]
        return MicroBatch(*pinned)


@dataclass(frozen=True)
class StepBatch:
    """Everything one rank trains on in one optimizer step.

    Attributes:
        step: the 0-based optimizer step.
        micro_batches: ``grad_accum`` forward passes.
        sample_indices: the global sample indices, in stream order.
        tokens: tokens fed to the model, padding excluded.
        target_tokens: tokens that carry a loss (programs, fences, eos).
        skipped: samples redrawn for being longer than max_seq_len.
        digest: 8 bytes of BLAKE2b over the samples' token ids: equal digests, equal data.
    """

    step: int
    micro_batches: list[MicroBatch]
    sample_indices: list[int]
    tokens: int
    target_tokens: int
    skipped: int
    digest: str

    def pin_memory(self) -> StepBatch:
        """A copy whose tensors are in page-locked memory."""
        return replace(self, micro_batches=[micro.pin_memory() for micro in self.micro_batches])


def task_rng(seed: int, purpose: int, index: int, attempt: int = 0) -> np.random.Generator:
    """The generator of one sample: independent of every other (seed, purpose, index, attempt)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(purpose, index, attempt)))


def draw_task(seed: int, purpose: int, index: int, mix: Sequence[DataSource], attempt: int = 0) -> GeneratedTask:
    """Sample ``index`` of a stream: pick a source by weight, then generate a task from it."""
    rng = task_rng(seed, purpose, index, attempt)
    weights = np.array([source.weight for source in mix], dtype=float)
    source = mix[int(rng.choice(len(mix), p=weights / weights.sum()))]
    if not source.barc:
        return generate_drawing_task(rng, source.task)
    name = source.barc[int(rng.integers(len(source.barc)))]
    task, program = generate_barc_task(name, seed=int(rng.integers(2**31)), n_train=source.barc_train_pairs)
    pairs = [*task.train, *task.test]  # the test case last: the barc prompt shows its input only
    return GeneratedTask(
        inputs=[np.array(pair.input) for pair in pairs],
        outputs=[np.array(pair.output) for pair in pairs],
        program=program,
        name=f"barc-{name}",
        prompt_format="barc",
    )


def task_prompt(tokenizer, inputs: Sequence, outputs: Sequence, fmt: str = "drawing") -> str:
    """The rendered prompt of a task's pairs in format ``fmt``, ending with the answer's pre-fill.

    ``drawing`` shows every pair; ``barc`` shows all but the last pair, then the last input as the
    test input, as BARC's induction data does.
    """
    pairs = list(zip(inputs, outputs, strict=True))
    if fmt == "barc":
        return render_prompt(tokenizer, BARC.messages(pairs[:-1], [pairs[-1][0]]))
    return render_prompt(tokenizer, drawing_messages(pairs))


def encode_task(tokenizer, task: GeneratedTask) -> EncodedExample:
    """Prompt + program + closing fence + eos, with the loss on everything after the prompt."""
    prompt = task_prompt(tokenizer, task.inputs, task.outputs, task.prompt_format)
    return encode_example(tokenizer, prompt, completion_for(task.program))


def fitting_example(
    tokenizer, seed: int, purpose: int, index: int, mix: Sequence[DataSource], max_seq_len: int
) -> tuple[EncodedExample, int]:
    """The first draw of sample ``index`` that fits ``max_seq_len`` tokens, and how many were skipped.

    Raises:
        ValueError: if ``MAX_ATTEMPTS`` draws in a row were too long.
    """
    for attempt in range(MAX_ATTEMPTS):
        example = encode_task(tokenizer, draw_task(seed, purpose, index, mix, attempt))
        if len(example.input_ids) <= max_seq_len:
            return example, attempt
    raise ValueError(
        f"{MAX_ATTEMPTS} tasks in a row were longer than --max-seq-len {max_seq_len} tokens; "
        "raise --max-seq-len or use smaller grids in --data-mix"
    )


PAD_MULTIPLE = 64


def collate(examples: Sequence[EncodedExample], pad_id: int, padding_free: bool) -> MicroBatch:
    """One micro-batch from encoded examples: right-padded to the longest, or packed into one row.

    Padded rows are as long as the longest sample rounded up to ``PAD_MULTIPLE`` tokens: on a GPU
    every new shape costs kernel planning (cuDNN attention builds a plan per sequence length), and
    with a handful of widths the plans are reused instead of rebuilt step after step.
    """
    if padding_free:
        input_ids = torch.tensor([[t for e in examples for t in e.input_ids]])
        labels = torch.tensor([[t for e in examples for t in e.labels]])
        positions = torch.tensor([[p for e in examples for p in range(len(e.input_ids))]])
        return MicroBatch(input_ids, labels, None, positions)
    input_ids, attention_mask, labels = pad_right(examples, pad_id, multiple=PAD_MULTIPLE)
    return MicroBatch(input_ids, labels, attention_mask, None)


def examples_digest(examples: Sequence[EncodedExample]) -> str:
    """A short hash of the token ids of ``examples``, in order."""
    digest = hashlib.blake2b(digest_size=8)
    for example in examples:
        digest.update(np.asarray(example.input_ids, dtype=np.int64).tobytes())
        digest.update(b"|")
    return digest.hexdigest()


class TrainStream(IterableDataset):
    """The step batches of one rank from ``start_step`` on, forever; see the module docstring.

    Picklable (the tokenizer travels to the workers). Use with ``DataLoader(batch_size=None)``.
    """

    def __init__(
        self,
        tokenizer,
        *,
        seed: int,
        mix: Sequence[DataSource],
        layout: StepLayout,
        rank: int,
        max_seq_len: int,
        padding_free: bool,
        start_step: int = 0,
    ) -> None:
        if not 0 <= rank < layout.num_processes:
            raise ValueError(f"rank must be in [0, {layout.num_processes - 1}], got {rank}")
        if tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer has no pad token; load it with solver.models.load_model")
        self.tokenizer = tokenizer
        self.seed = seed
        self.mix = tuple(mix)
        self.layout = layout
        self.rank = rank
        self.max_seq_len = max_seq_len
        self.padding_free = padding_free
        self.start_step = start_step

    def __iter__(self) -> Iterator[StepBatch]:
        worker = get_worker_info()
        worker_id, n_workers = (worker.id, worker.num_workers) if worker is not None else (0, 1)
        for step in itertools.count(self.start_step + worker_id, n_workers):
            yield self.step_batch(step)

    def step_batch(self, step: int) -> StepBatch:
        """The batch this rank trains on at ``step``; a pure function of (config, rank, step)."""
        indices = list(self.layout.sample_indices(step, self.rank))
        examples, skipped = [], 0
        for index in indices:
            example, redrawn = fitting_example(self.tokenizer, self.seed, TRAIN, index, self.mix, self.max_seq_len)
            examples.append(example)
            skipped += redrawn
        digest = examples_digest(examples)
        ordered = sorted(examples, key=lambda e: len(e.input_ids))
        size = self.layout.per_device_batch_size
        micro_batches = [
            collate(ordered[start : start + size], self.tokenizer.pad_token_id, self.padding_free)
            for start in range(0, len(ordered), size)
        ]
        return StepBatch(
            step=step,
            micro_batches=micro_batches,
            sample_indices=indices,
            tokens=sum(len(e.input_ids) for e in examples),
            target_tokens=sum(len(e.input_ids) - e.prompt_length for e in examples),
            skipped=skipped,
            digest=digest,
        )


def validation_batches(
    tokenizer,
    *,
    val_seed: int,
    mix: Sequence[DataSource],
    n_tasks: int,
    max_seq_len: int,
    batch_size: int,
    padding_free: bool,
) -> list[MicroBatch]:
    """The fixed held-out set for the validation loss: ``n_tasks`` tasks, sorted by length."""
    examples = [fitting_example(tokenizer, val_seed, VALIDATION, i, mix, max_seq_len)[0] for i in range(n_tasks)]
    examples.sort(key=lambda e: len(e.input_ids))
    return [
        collate(examples[start : start + batch_size], tokenizer.pad_token_id, padding_free)
        for start in range(0, len(examples), batch_size)
    ]
