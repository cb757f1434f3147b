"""Data-parallel training with 2 CPU processes (gloo, launched by torchrun), as on N GPUs.

The test launches this file as a script under ``torch.distributed.run``; each rank trains, then
saves its trainable weights and its data digest. Checked: the ranks saw different data, ended with
identical weights, and match one process that accumulates two micro-batches per step (the same
effective batch). ``accelerate launch --cpu`` starts only one process without a multi-CPU
config file, so torchrun does the launching; the training code is the same under both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_train_loop import TINY_OPTIONS, assert_same_weights, tokenizer_dir, weights  # noqa: F401  (fixture)

from train.config import TrainConfig
from train.loop import run_training

STEPS = 3


def _rank_main(config_json: str, results: str) -> None:
    """One rank: train, then write ``rank-<r>.pt`` with weights, data digest and graphs compiled."""
    from torch._dynamo.utils import counters

    torch.set_num_threads(1)
    config = TrainConfig.model_validate_json(config_json)
    result = run_training(config, progress=False)
    rank = int(os.environ["RANK"])
    torch.save(
        {"weights": weights(result.model), "digest": result.progress.data_digest, "samples": result.progress.samples,
         "graphs": counters["stats"]["unique_graphs"]},
        Path(results) / f"rank-{rank}.pt",
    )


def _train_on_two_ranks(config: TrainConfig, results: Path) -> list[dict]:
    """Run ``config`` on 2 processes under torchrun; each rank's weights, digest and sample count."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
               __file__, config.model_dump_json(), str(results)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=Path(__file__).parent.parent)
    assert run.returncode == 0, run.stderr[-4000:]
    return [torch.load(results / f"rank-{r}.pt", weights_only=False) for r in (0, 1)]


def test_two_processes_share_the_batch_and_stay_in_sync(tmp_path, tokenizer_dir):  # noqa: F811
    options = {**TINY_OPTIONS, "tokenizer": tokenizer_dir, "max_steps": STEPS, "save_steps": 2}
    two = TrainConfig(**options, output_dir=tmp_path / "two")  # 2 processes x 2 per device x 1 accumulation
    ranks = _train_on_two_ranks(two, tmp_path)
    assert ranks[0]["graphs"] == ranks[1]["graphs"] == 0  # eager unless --compile
    assert ranks[0]["digest"] != ranks[1]["digest"]  # each rank trained on its own half of every step
    assert ranks[0]["samples"] == ranks[1]["samples"] == STEPS * 2
    assert_same_weights(ranks[0]["weights"], ranks[1]["weights"], atol=0.0)
    info = json.loads((tmp_path / "two" / "run_info.json").read_text())
    assert (info["num_processes"], info["grad_accum"]) == (2, 1)
    assert sorted(p.name for p in (tmp_path / "two" / "checkpoints" / "step-000002").glob("rank-*.pt")) == [
        "rank-0.pt", "rank-1.pt"]

    torch.set_num_threads(1)
    one = run_training(TrainConfig(**options, output_dir=tmp_path / "one"), progress=False)  # 1 x 2 x 2 accumulation
    # Equal up to Adam's amplification of float rounding (see test_train_loop.test_runs_split_differently_end_alike).
    assert_same_weights(weights(one.model), ranks[0]["weights"], atol=2e-4)


def test_compiled_layers_stay_in_sync_across_ranks(tmp_path, tokenizer_dir):  # noqa: F811
    """``--compile`` under DDP: accelerate compiles the layers after wrapping the model; the ranks still agree."""
    options = {**TINY_OPTIONS, "tokenizer": tokenizer_dir, "max_steps": 2, "compile": True}
    ranks = _train_on_two_ranks(TrainConfig(**options, output_dir=tmp_path / "two"), tmp_path)
    assert ranks[0]["graphs"] > 0 and ranks[1]["graphs"] > 0
    assert ranks[0]["digest"] != ranks[1]["digest"]
    assert_same_weights(ranks[0]["weights"], ranks[1]["weights"], atol=0.0)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        pytest.exit("usage: torchrun --nproc-per-node 2 tests/test_train_distributed.py CONFIG_JSON RESULTS_DIR")
    _rank_main(sys.argv[1], sys.argv[2])
