"""Checkpoints: save every ``save_steps``, keep the newest K, resume from the newest complete one.

Layout of ``<output>/checkpoints/step-000120/``:
- ``trainable.pt``: the trainable tensors by parameter name (the adapter, or every weight);
- ``optimizer.pt``, ``scheduler.pt``: their ``state_dict``s;
- ``rank-<r>.pt``: per process, the torch/CUDA/numpy/python RNG states and ``RankProgress``;
- ``meta.json``: the step and run totals, written last.

The data stream needs no state of its own: its position is the step (``train.data``).

A checkpoint is written into ``step-N.partial`` and renamed once complete, so a run killed
mid-save leaves no half checkpoint for the next start to pick. Every process writes its own
rank file; the main process writes the rest. All processes must share the output folder
(one host, or a shared file system).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from train.data import StepBatch

logger = logging.getLogger(__name__)

_STEP_DIR = re.compile(r"^step-(\d+)$")


@dataclass
class RankProgress:
    """What one process has trained on so far: a running digest of its data, for checks and logs.

    Attributes:
        samples: samples trained on.
        tokens: tokens trained on, padding excluded.
        skipped: samples redrawn for exceeding max_seq_len.
        data_digest: BLAKE2b chained over every step's ``StepBatch.digest``.
    """

    samples: int = 0
    tokens: int = 0
    skipped: int = 0
    data_digest: str = field(default="")

    def advance(self, batch: StepBatch) -> None:
        """Account for one step's batch."""
        self.samples += len(batch.sample_indices)
        self.tokens += batch.tokens
        self.skipped += batch.skipped
        self.data_digest = hashlib.blake2b((self.data_digest + batch.digest).encode(), digest_size=8).hexdigest()


def checkpoints_dir(output_dir: Path) -> Path:
    """Where a run's checkpoints live."""
    return Path(output_dir) / "checkpoints"


def list_checkpoints(output_dir: Path) -> list[Path]:
    """Complete checkpoints (with ``meta.json``), oldest first."""
    root = checkpoints_dir(output_dir)
    if not root.is_dir():
        return []
    found = [
        (int(match.group(1)), path)
        for path in root.iterdir()
        if (match := _STEP_DIR.match(path.name)) and (path / "meta.json").is_file()
    ]
    return [path for _, path in sorted(found)]


def latest_checkpoint(output_dir: Path) -> Path | None:
    """The newest complete checkpoint, or None."""
    found = list_checkpoints(output_dir)
    return found[-1] if found else None


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The trainable tensors of an unwrapped model, by name, on the CPU."""
    return {name: p.detach().cpu().clone() for name, p in model.named_parameters() if p.requires_grad}


def save_checkpoint(
    accelerator,
    output_dir: Path,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    progress: RankProgress,
    meta: dict[str, Any],
    keep: int,
) -> Path:
    """Write the checkpoint of ``step`` from every process, then keep only the newest ``keep``.

    Args:
        accelerator: the run's ``Accelerator`` (ranks, barriers, unwrapping).
        model: the (possibly wrapped) model; its unwrapped trainable tensors are saved.
        progress: this process's ``RankProgress``.
        meta: run totals to store beside the step (JSON-serialisable).

    Returns:
        The checkpoint folder.
    """
    final = checkpoints_dir(output_dir) / f"step-{step:06d}"
    partial = final.with_name(final.name + ".partial")
    if accelerator.is_main_process:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
    accelerator.wait_for_everyone()
    torch.save({"rng": _rng_states(), "progress": asdict(progress)}, partial / f"rank-{accelerator.process_index}.pt")
    if accelerator.is_main_process:
        unwrapped = accelerator.unwrap_model(model, keep_torch_compile=False)
        torch.save(trainable_state(unwrapped), partial / "trainable.pt")
        torch.save(optimizer.state_dict(), partial / "optimizer.pt")
        torch.save(scheduler.state_dict(), partial / "scheduler.pt")
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        record = {"step": step, "num_processes": accelerator.num_processes, **meta}
        (partial / "meta.json").write_text(json.dumps(record, indent=2) + "\n")
        if final.exists():  # the same step saved again (a finished run re-started): replace it
            shutil.rmtree(final)
        partial.rename(final)
        for old in list_checkpoints(output_dir)[:-keep]:
            shutil.rmtree(old)
        logger.info("saved checkpoint %s", final)
    accelerator.wait_for_everyone()
    return final


def load_checkpoint(
    path: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    rank: int,
) -> tuple[dict[str, Any], RankProgress]:
    """Restore a checkpoint into an unwrapped model, its optimizer and scheduler, and this rank's RNG.

    Call before the model is wrapped for distributed training, with the optimizer built over the
    same trainable parameters in the same order.

    Returns:
        ``(meta, progress)``: the stored ``meta.json`` and this rank's ``RankProgress`` (fresh,
        with a warning, when the checkpoint was written by fewer processes).

    Raises:
        ValueError: if the stored tensors do not match the model's trainable parameters.
    """
    meta = json.loads((path / "meta.json").read_text())
    state = torch.load(path / "trainable.pt", map_location="cpu", weights_only=True)
    params = {name: p for name, p in model.named_parameters() if p.requires_grad}
    if set(state) != set(params):
        missing, unexpected = sorted(set(params) - set(state)), sorted(set(state) - set(params))
        raise ValueError(
            f"checkpoint {path} does not match the model: missing {missing[:3]}, unexpected {unexpected[:3]}; "
            "was it written with another --model / --from-scratch or adapter setting? Use a new --output-dir"
        )
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(state[name])
    device = next(iter(params.values())).device
    optimizer.load_state_dict(torch.load(path / "optimizer.pt", map_location=device, weights_only=True))
    scheduler.load_state_dict(torch.load(path / "scheduler.pt", map_location="cpu", weights_only=False))
    rank_file = path / f"rank-{rank}.pt"
    if not rank_file.is_file():
        logger.warning("%s has no state for rank %d (written by %s processes); starting its RNG fresh",
                       path, rank, meta.get("num_processes"))
        return meta, RankProgress()
    saved = torch.load(rank_file, map_location="cpu", weights_only=False)
    _set_rng_states(saved["rng"])
    return meta, RankProgress(**saved["progress"])


def _rng_states() -> dict[str, Any]:
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(states: dict[str, Any]) -> None:
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
