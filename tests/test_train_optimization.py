"""The learning-rate schedule: warmup from the first step, decay to the floor at max_steps."""

from __future__ import annotations

import math

import pytest

from train.config import TrainConfig
from train.optimization import lr_multiplier, warmup_steps


def schedule(tmp_path, **options) -> list[float]:
    config = TrainConfig(output_dir=tmp_path, from_scratch="tiny", max_steps=100, **options)
    multiplier = lr_multiplier(config)
    return [multiplier(step) for step in range(config.max_steps)]


def test_warmup_rises_linearly_and_never_starts_at_zero(tmp_path):
    values = schedule(tmp_path, warmup_ratio=0.1, lr_schedule="constant")
    assert values[0] == pytest.approx(0.1) and values[9] == 1.0 and values[10:] == [1.0] * 90


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_decay_ends_at_the_floor(tmp_path, kind):
    values = schedule(tmp_path, warmup_ratio=0.0, lr_schedule=kind, min_lr_ratio=0.1)
    assert values[0] == 1.0
    assert all(a >= b for a, b in zip(values, values[1:]))
    progress = 99 / 100
    expected = 1 - progress if kind == "linear" else 0.5 * (1 + math.cos(math.pi * progress))
    assert values[-1] == pytest.approx(0.1 + 0.9 * expected)


def test_warmup_steps_round_the_ratio(tmp_path):
    config = TrainConfig(output_dir=tmp_path, from_scratch="tiny", max_steps=30, warmup_ratio=0.05)
    assert warmup_steps(config) == 2
