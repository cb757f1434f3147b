"""The training loop: one process per device under ``accelerate``, the same code from 1 to N GPUs.

Job: ``run_training(config)`` checks what can be checked before any model loads (process count
against the batch size, resume against the output folder), builds the model, optimizer and data
stream, trains ``max_steps`` optimizer steps with periodic logs, validation and checkpoints,
then exports ``<output>/final``.

Scaling: the effective batch is ``batch_size`` whatever the process count; gradient accumulation
is derived (``StepLayout``). The loss of a step is the sum of its target-token losses divided by
the step's target-token count over all processes and micro-batches (one all-reduce before the
forward passes), so 1 process x 4 accumulation steps, 4 x 1 and 2 x 2 take the same step up to
float rounding (tests/test_train_loop.py, tests/test_train_distributed.py). Gradients are
all-reduced once per step (``no_sync`` on the other micro-batches). ``accelerate`` is used for
the process group, device placement, DDP and ``torch.compile``; the data loader, the scheduler
and autocast are ours (its data loader would re-shard our already-sharded stream, its scheduler
wrapper steps once per process, and its autocast wrapper also copies the logits to float32).

Validation runs on the main process while the others wait at a barrier.
"""

from __future__ import annotations

import logging
import os
import platform
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from train.checkpoint import RankProgress, latest_checkpoint, list_checkpoints, load_checkpoint, save_checkpoint
from train.config import ConfigError, TrainConfig
from train.data import StepBatch, StepLayout, TrainStream, validation_batches
from train.export import merge_adapter, save_model_folder, write_model_card
from train.models import build_model, resolve_precision
from train.optimization import make_optimizer, make_scheduler
from train.provenance import check_resumable, git_commit, launch_command, write_run_info

if TYPE_CHECKING:
    from accelerate import Accelerator

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, dict[str, float]], None]
PREFETCH_STEPS = 4  # step batches each loader worker prepares ahead


@dataclass
class TrainResult:
    """What ``run_training`` leaves behind.

    Attributes:
        output_dir: the run folder.
        final_dir: ``<output>/final`` (written by the main process).
        step: optimizer steps completed.
        metrics: the last logged training metrics and the last validation metrics.
        model: the trained model, unwrapped (a PEFT model for adapter training, before merging;
            a full-training model is left in the dtype ``final`` was saved in).
        progress: this process's ``RankProgress`` (samples, tokens, data digest).
    """

    output_dir: Path
    final_dir: Path
    step: int
    metrics: dict[str, float]
    model: Any
    progress: RankProgress


@dataclass
class _Window:
    """Sums over the steps since the last log line."""

    steps: int = 0
    loss: float = 0.0
    tokens: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    def add(self, stats: dict[str, float]) -> None:
        self.steps += 1
        self.loss += stats["train/loss"]
        self.tokens += stats["train/tokens"]

    def rates(self, batch_size: int) -> dict[str, float]:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        return {
            "train/loss_mean": self.loss / self.steps,
            "train/samples_per_s": self.steps * batch_size / elapsed,
            "train/tokens_per_s": self.tokens / elapsed,
        }


def autocast(device: torch.device, dtype: torch.dtype | None):
    """``torch.autocast`` to ``dtype`` on ``device``'s type, or nothing for None."""
    return nullcontext() if dtype is None else torch.autocast(device.type, dtype=dtype)


def default_num_workers(num_processes: int) -> int:
    """Loader workers per rank: the usable cores shared by the ranks, one left for the rank itself."""
    return max(1, len(os.sched_getaffinity(0)) // num_processes - 1)


def train_step(
    accelerator,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    batch: StepBatch,
    trainable: list[torch.nn.Parameter],
    max_grad_norm: float,
    autocast_dtype: torch.dtype | None = None,
) -> dict[str, float]:
    """One optimizer step over this rank's micro-batches; returns metrics reduced over all ranks.

    The loss of each micro-batch is its summed token loss over ``targets / num_processes``
    (``targets``: the step's loss tokens over all ranks), so that DDP's mean over ranks gives the
    token-mean over the whole step: every token counts the same, however the step is split.

    Args:
        autocast_dtype: run the forward passes under ``torch.autocast`` in this dtype (bf16-mixed);
            None runs them in the weights' dtype.
    """
    device = accelerator.device
    counts = torch.tensor([batch.target_tokens, batch.tokens, batch.skipped], dtype=torch.float64)
    counts = accelerator.reduce(counts.to(device), reduction="sum")
    normaliser = (counts[0] / accelerator.num_processes).to(torch.float32)
    lr = scheduler.get_last_lr()[0]
    model.train()
    loss_sum = torch.zeros((), device=device)
    last = len(batch.micro_batches) - 1
    for index, micro in enumerate(batch.micro_batches):
        with nullcontext() if index == last else accelerator.no_sync(model):
            with autocast(device, autocast_dtype):
                loss = model(**micro.model_inputs(device), use_cache=False, num_items_in_batch=normaliser).loss
            accelerator.backward(loss)
        loss_sum += loss.detach().float()
    grad_norm = accelerator.clip_grad_norm_(trainable, max_grad_norm if max_grad_norm > 0 else float("inf"))
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    loss_global = accelerator.reduce(loss_sum, reduction="mean")
    return {
        "train/loss": float(loss_global),
        "train/grad_norm": float(grad_norm),
        "train/lr": lr,
        "train/tokens": float(counts[1]),
        "train/target_tokens": float(counts[0]),
        "train/skipped": float(counts[2]),
    }


def make_accelerator(cuda: bool, compile: bool) -> Accelerator:
    """The run's ``Accelerator``: no mixed precision of its own, ``torch.compile`` with ``--compile``.

    Autocast is applied in train_step, not by accelerate, whose wrapper also copies every output
    (the logits) to float32. accelerate keeps its settings in a process-wide singleton that a
    second Accelerator does not change: without the reset, a run after another in the same
    process (tests, notebooks, the throughput benchmark) kept the first run's settings and
    --compile compiled nothing.

    Compilation is regional: each decoder layer is compiled on its own, and the layers are alike, so one graph
    serves them all; the modules outside them (embedding, final norm, rotary embedding, head) are
    compiled separately. A whole-model graph never finished compiling on an H200 (inductor could
    not trace Liger's RMSNorm kernel; BENCHMARKS.md); regionally, the first steps take 30-120 s.
    Sizes are dynamic: every batch has its own length.
    """
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState
    from accelerate.utils import TorchDynamoPlugin

    AcceleratorState._reset_state()
    plugin = TorchDynamoPlugin(backend="inductor" if compile else "no", dynamic=True, use_regional_compilation=compile)
    return Accelerator(cpu=not cuda, mixed_precision="no", dynamo_plugin=plugin)


def run_training(config: TrainConfig, *, progress: bool | ProgressCallback = True) -> TrainResult:
    """Train as configured; resume from ``output_dir``'s newest checkpoint when there is one.

    Launch one process per device (``accelerate launch`` or ``torchrun``); every process calls
    this with the same config.

    Args:
        config: the validated config.
        progress: True shows a tqdm bar on the main process, False shows none; a callable is
            called on every process after every step with ``(step, metrics)`` (and no bar).

    Returns:
        The run's ``TrainResult``.

    Raises:
        ConfigError: before any model loads, if the batch size does not divide over the
            processes, or the output folder cannot be resumed as configured.
    """
    from accelerate import PartialState

    cuda = torch.cuda.is_available()
    state = PartialState(cpu=not cuda)
    layout = StepLayout(config.batch_size, config.per_device_batch_size, state.num_processes)
    resume_from = _resume_point(config)
    precision = resolve_precision(config, cuda)
    accelerator = make_accelerator(cuda, config.compile)
    autocast_dtype = torch.bfloat16 if precision == "bf16-mixed" else None
    main = accelerator.is_main_process
    output_dir = config.output_dir
    runtime = {
        "device": torch.cuda.get_device_name() if cuda else platform.processor() or "cpu",
        "num_processes": accelerator.num_processes,
        "grad_accum": layout.grad_accum,
        "precision": precision,
    }
    if main:
        write_run_info(output_dir, config, runtime)
        logger.info("options: %s", config.non_default())
        logger.info("%d process(es) x %d per device x %d accumulation = %d samples per step; precision %s",
                    accelerator.num_processes, config.per_device_batch_size, layout.grad_accum, config.batch_size,
                    precision)
    accelerator.wait_for_everyone()

    model, tokenizer = build_model(config, precision, cuda)
    model.to(accelerator.device)
    optimizer = make_optimizer(model, config)
    scheduler = make_scheduler(optimizer, config)
    step, rank_progress = 0, RankProgress()
    totals = {"elapsed_s": 0.0, "tokens": 0.0, "skipped": 0.0}
    last_validation: dict[str, float] = {}
    if resume_from is not None:
        meta, rank_progress = load_checkpoint(resume_from, model, optimizer, scheduler, accelerator.process_index)
        step = meta["step"]
        totals = {name: meta[name] for name in totals}
        last_validation = meta.get("last_validation", {})
        if main:
            logger.info("resumed from %s at step %d", resume_from, step)
    model = accelerator.prepare(model)
    unwrapped = accelerator.unwrap_model(model, keep_torch_compile=False)
    trainable = [p for p in model.parameters() if p.requires_grad]

    stream = TrainStream(
        tokenizer, seed=config.seed, mix=config.data_mix, layout=layout, rank=accelerator.process_index,
        max_seq_len=config.max_seq_len, padding_free=config.padding_free, start_step=step,
    )
    workers = config.num_workers if config.num_workers is not None else default_num_workers(accelerator.num_processes)
    loader = torch.utils.data.DataLoader(
        stream, batch_size=None, num_workers=workers, prefetch_factor=PREFETCH_STEPS if workers else None,
        pin_memory=cuda,  # pinned batches copy to the GPU without waiting for it (StepBatch.pin_memory)
    )
    validator = _Validator(config, tokenizer, accelerator, unwrapped, autocast_dtype) if main else None
    log = None
    if main:
        from train.tracking import MetricsLog

        log = MetricsLog(output_dir, config.model_dump(mode="json"), config.wandb)
    bar = _progress_bar(config, step, enabled=main and progress is True)
    started = time.perf_counter()
    window, metrics = _Window(), {}
    try:
        batches = iter(loader)
        while step < config.max_steps:
            batch = next(batches)
            assert batch.step == step, f"the data stream is at step {batch.step}, training at {step}"
            stats = train_step(accelerator, model, optimizer, scheduler, batch, trainable, config.max_grad_norm,
                               autocast_dtype)
            rank_progress.advance(batch)
            step += 1
            totals["tokens"] += stats["train/tokens"]
            totals["skipped"] += stats["train/skipped"]
            window.add(stats)
            if step % config.logging_steps == 0 or step == config.max_steps:
                metrics = {**stats, **window.rates(config.batch_size)}
                window = _Window()
                if log is not None:
                    log.log(step, metrics)
                _show(bar, step, metrics)
            bar.update(1)
            paused = time.perf_counter()
            # Checkpoint before validating: a run killed during a long final validation (a wall-clock
            # limit) then still leaves its trained weights behind.
            if config.save_steps and step % config.save_steps == 0 or step == config.max_steps:
                totals["elapsed_s"] += time.perf_counter() - started
                started = time.perf_counter()
                save_checkpoint(accelerator, output_dir, step, model, optimizer, scheduler, rank_progress,
                                {**totals, "last_validation": last_validation}, config.save_total_limit)
            last_validation = _validate(validator, accelerator, step, config, log) or last_validation
            window.started += time.perf_counter() - paused  # rates count training time only
            if callable(progress):
                progress(step, stats)
        totals["elapsed_s"] += time.perf_counter() - started
        final_dir = output_dir / "final"
        if main:
            _export(config, accelerator, model, tokenizer, final_dir, step, totals, runtime, last_validation)
        accelerator.wait_for_everyone()
    finally:
        bar.close()
        if validator is not None:
            validator.close()
        if log is not None:
            log.close()
    return TrainResult(output_dir, final_dir, step, {**metrics, **last_validation}, unwrapped, rank_progress)


def _resume_point(config: TrainConfig) -> Path | None:
    """The checkpoint to resume from, after checking that the output folder allows it."""
    checkpoint = latest_checkpoint(config.output_dir)
    if checkpoint is None:
        return None
    if not config.resume:
        raise ConfigError(
            f"{config.output_dir} already holds checkpoints ({len(list_checkpoints(config.output_dir))}); "
            "drop --no-resume to continue that run, or pass a new --output-dir"
        )
    check_resumable(config.output_dir, config)
    return checkpoint


class _Validator:
    """The main process's validation: loss on a fixed set, pass@n on another; built lazily."""

    def __init__(self, config: TrainConfig, tokenizer, accelerator, model, autocast_dtype: torch.dtype | None) -> None:
        self.config, self.tokenizer, self.accelerator, self.model = config, tokenizer, accelerator, model
        self.autocast_dtype = autocast_dtype
        self._batches = None
        self._sampling = None

    def run(self, loss: bool, sampling: bool, step: int) -> dict[str, float]:
        from train.validation import SamplingEval, validation_loss

        config, metrics = self.config, {}
        with autocast(self.accelerator.device, self.autocast_dtype):
            if loss:
                if self._batches is None:
                    self._batches = validation_batches(
                        self.tokenizer, val_seed=config.val_seed, mix=config.data_mix, n_tasks=config.val_tasks,
                        max_seq_len=config.max_seq_len, batch_size=config.per_device_batch_size,
                        padding_free=config.padding_free,
                    )
                metrics["val/loss"] = validation_loss(self.model, self._batches, self.accelerator.device)
            if sampling:
                if self._sampling is None:
                    self._sampling = SamplingEval(config, self.tokenizer)
                adapter = None
                if config.adapter:
                    from solver.sampler import AdapterRef

                    adapter = AdapterRef(name=self.model.active_adapter, lora_id=step)
                scores = self._sampling.run(self.model, adapter)
                metrics.update({f"val/{name}": value for name, value in scores.items()})
        return metrics

    def close(self) -> None:
        if self._sampling is not None:
            self._sampling.close()


def _validate(validator: _Validator | None, accelerator, step: int, config: TrainConfig, log) -> dict[str, float]:
    """Run the validations due at ``step`` (the last step runs every enabled one)."""
    last = step == config.max_steps
    loss = bool(config.eval_steps) and (step % config.eval_steps == 0 or last)
    sampling = bool(config.sample_eval_steps) and (step % config.sample_eval_steps == 0 or last)
    if not (loss or sampling):
        return {}
    metrics = {}
    if validator is not None:
        started = time.perf_counter()
        metrics = validator.run(loss, sampling, step)
        logger.info("step %d validation (%.1f s): %s", step, time.perf_counter() - started,
                    ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
        if log is not None:
            log.log(step, metrics)
    accelerator.wait_for_everyone()
    return metrics


def _export(config, accelerator, model, tokenizer, final_dir, step, totals, runtime, validation) -> None:
    """Write ``final`` (merging the adapter for adapter training) and its model card."""
    plain = accelerator.unwrap_model(model, keep_torch_compile=False)
    if config.adapter:
        adapter_dir = config.output_dir / "adapter"
        plain.save_pretrained(str(adapter_dir))
        tokenizer.save_pretrained(str(adapter_dir))
        merge_adapter(config.model, adapter_dir, final_dir)
    else:
        dtype = torch.float32 if runtime["precision"] == "fp32" else torch.bfloat16
        save_model_folder(plain, tokenizer, final_dir, dtype)
    facts = {
        **runtime,
        "command": launch_command(),
        "steps": step,
        "samples": step * config.batch_size,
        "tokens": int(totals["tokens"]),
        "skipped": int(totals["skipped"]),
        "elapsed_s": totals["elapsed_s"],
        "git_commit": git_commit(),
    }
    write_model_card(final_dir, config.model_dump(mode="json"), facts, validation)
    logger.info("final model in %s", final_dir)


def _progress_bar(config: TrainConfig, step: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=config.max_steps, initial=step, disable=not enabled, desc="train", dynamic_ncols=True)


def _show(bar, step: int, metrics: dict[str, float]) -> None:
    """Put the rates on the bar, or in the log when there is no bar."""
    text = {
        "loss": f"{metrics['train/loss_mean']:.4f}",
        "samples/s": f"{metrics['train/samples_per_s']:.1f}",
        "tok/s": f"{metrics['train/tokens_per_s']:.0f}",
        "lr": f"{metrics['train/lr']:.2e}",
    }
    if bar.disable:
        logger.info("step %d: %s", step, ", ".join(f"{k} {v}" for k, v in text.items()))
    else:
        bar.set_postfix(text, refresh=False)
