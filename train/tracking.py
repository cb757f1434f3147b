"""Where metrics go: ``metrics.csv`` always, TensorBoard when installed, Weights & Biases on request.

``metrics.csv`` is in long format (``step,name,value,wall_s``) because validation metrics
appear only every few thousand steps: one row per value, appended and flushed as it comes, so a
resumed run continues the same file and a crash loses nothing. Only the main process logs.
"""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

WANDB_PROJECT = "arc-her-solver"


class MetricsLog:
    """Appends metrics to the run's sinks; ``close`` when done.

    Args:
        output_dir: the run folder; ``metrics.csv`` and ``tensorboard/`` go there.
        config: logged to wandb as the run config.
        use_wandb: also log to Weights & Biases (the package must be installed; checked by the config).
    """

    def __init__(self, output_dir: Path, config: dict[str, Any], use_wandb: bool) -> None:
        output_dir.mkdir(parents=True, exist_ok=True)
        path = output_dir / "metrics.csv"
        new = not path.exists()
        self._file = path.open("a", newline="")
        self._csv = csv.writer(self._file)
        if new:
            self._csv.writerow(["step", "name", "value", "wall_s"])
        self._started = time.time()
        self._tensorboard = None
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            logger.warning("tensorboard is not installed; logging to metrics.csv only")
        else:
            self._tensorboard = SummaryWriter(str(output_dir / "tensorboard"))
        self._wandb = None
        if use_wandb:
            import wandb

            self._wandb = wandb.init(project=WANDB_PROJECT, name=output_dir.name, dir=str(output_dir),
                                     config=config, resume="allow")

    def log(self, step: int, metrics: dict[str, float]) -> None:
        """Record ``metrics`` (name -> number) at optimizer step ``step``."""
        wall_s = round(time.time() - self._started, 3)
        for name, value in metrics.items():
            self._csv.writerow([step, name, f"{value:.6g}", wall_s])
            if self._tensorboard is not None:
                self._tensorboard.add_scalar(name, value, step)
        self._file.flush()
        if self._wandb is not None:
            self._wandb.log(metrics, step=step)

    def close(self) -> None:
        """Flush and close every sink."""
        self._file.close()
        if self._tensorboard is not None:
            self._tensorboard.close()
        if self._wandb is not None:
            self._wandb.finish()
