"""AdamW and the learning-rate schedule: warmup, then linear, cosine or constant down to a floor.

torch's AdamW, fused on CUDA: arc25's paged 8-bit AdamW checkpoints failed to resume (§8.6).
Weight decay applies to matrices only (norm scales and biases are left alone). The schedule is a
pure function of the step, so a resumed run continues it exactly (its state is the step).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from train.config import TrainConfig


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW over the trainable parameters, in ``named_parameters`` order (checkpoints rely on it)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in trainable if p.dim() >= 2], "weight_decay": config.weight_decay},
        {"params": [p for p in trainable if p.dim() < 2], "weight_decay": 0.0},
    ]
    groups = [group for group in groups if group["params"]]
    fused = all(p.device.type == "cuda" for p in trainable)
    return torch.optim.AdamW(groups, lr=config.learning_rate, betas=(0.9, 0.999), eps=1e-8, fused=fused)


def warmup_steps(config: TrainConfig) -> int:
    """Steps of linear warmup: ``warmup_ratio * max_steps``, rounded."""
    return round(config.warmup_ratio * config.max_steps)


def lr_multiplier(config: TrainConfig) -> Callable[[int], float]:
    """The factor on the peak lr for the optimizer step that follows ``step`` completed steps.

    Warmup rises linearly to 1 over ``warmup_steps`` steps (the first step already gets
    ``1 / warmup``, never 0); then linear or cosine decay reaches ``min_lr_ratio`` at
    ``max_steps``; constant stays at 1.
    """
    warmup, total, floor = warmup_steps(config), config.max_steps, config.min_lr_ratio
    schedule = config.lr_schedule

    def multiplier(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        if schedule == "linear":
            return floor + (1.0 - floor) * (1.0 - progress)
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return multiplier


def make_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` stepped once per optimizer step (never per process or micro-batch)."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_multiplier(config))
