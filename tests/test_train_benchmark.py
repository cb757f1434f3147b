"""The training throughput benchmark runs on CPU with the tiny shape (its figures only mean something on a GPU)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).parent.parent / "benchmarks" / "train_throughput.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("train_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_naive_family_prints_json_lines_and_a_table(bench, capsys, torch_one_thread):
    assert bench.main(["--size", "tiny", "--steps", "1", "--batch-size", "2", "--seq-len", "64", "--modes", "naive"]) == 0
    out = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in out if line.startswith("{")]
    assert [r["config"] for r in records] == ["naive-full", "naive-dora"]
    assert all(r["samples_per_s"] > 0 and 0 < r["mfu"] for r in records)
    assert any(line.startswith("| naive-dora |") for line in out)


@pytest.mark.parametrize("name", ["full-bf16-mixed", "full-padding-free", "dora-bf16"])
def test_our_step_is_measured(bench, name, torch_one_thread, tmp_path):
    setup = next(s for family in bench.FAMILIES.values() for s in family if s.name == name)
    profile = tmp_path / "profiles" if name == "dora-bf16" else None
    args = argparse.Namespace(size="tiny", steps=1, batch_size=2, seq_len=64, profile=profile)
    samples = bench.make_samples(bench.WARMUP_STEPS + 1, 2, 64, bench.TINY["vocab_size"])
    record = bench.measure(setup, args, samples, torch.device("cpu"), peak=1e12)
    assert record["tokens_per_s"] > 0 and record["attention"] == "sdpa"
    if profile is not None:  # the kernel table of two more steps, and their timing
        assert "aten::mm" in (profile / "dora-bf16@2.txt").read_text()  # one file per configuration and batch size
        assert record["profile"]["wall_s_per_step"] > 0 and record["profile"]["busy_s_per_step"] > 0


def test_flops_count_the_qwen_matmuls(bench):
    # Qwen2.5-0.5B: 494M parameters, embeddings tied, so the matmul weights are all of them.
    assert bench.matmul_flops(bench.QWEN05B) == pytest.approx(494e6, rel=0.01)


def test_configuration_names_are_not_family_names(bench):
    """``--modes full`` must mean one thing: a family name that is also a configuration hid the latter."""
    names = [setup.name for family in bench.FAMILIES.values() for setup in family]
    assert len(names) == len(set(names)) and not set(names) & set(bench.FAMILIES)


def test_only_our_adapter_configurations_use_the_fast_forward(bench):
    """The naive baseline (and the attribution row) must keep PEFT's forward, or the ratio means nothing."""
    from train.fast_adapter import FastLoraLinear

    setups = {s.name: s for family in bench.FAMILIES.values() for s in family}
    for name, fast in (("naive-dora", False), ("dora-bf16-peft-forward", False), ("dora-bf16", True)):
        model = bench.build_model(bench.TINY, True, torch.float32, attn=None, device=torch.device("cpu"),
                                  peft_forward=setups[name].peft_forward)
        assert any(isinstance(m, FastLoraLinear) for m in model.modules()) == fast, name


def test_a_configuration_past_its_time_limit_is_recorded_and_the_next_runs(bench, capsys, torch_one_thread, monkeypatch):
    import time

    def measure(setup, args, samples, device, peak):
        if setup.name == "naive-full":
            time.sleep(30)  # a stuck compilation
        return {"config": setup.name, "precision": "fp32", "attention": "sdpa", "padding_free": False, "compile": False,
                "samples_per_s": 1.0, "tokens_per_s": 64.0, "mfu": 0.01, "peak_memory_gib": None}

    monkeypatch.setattr(bench, "measure", measure)
    started = time.monotonic()
    assert bench.main(["--size", "tiny", "--steps", "1", "--modes", "naive", "--config-seconds", "1"]) == 0
    assert time.monotonic() - started < 20
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert records[0]["config"] == "naive-full" and records[0]["error"].startswith("TimeoutError")
    assert records[1]["config"] == "naive-dora" and records[1]["samples_per_s"] == 1.0


def test_each_configuration_can_run_at_its_own_batch_size(bench, capsys, torch_one_thread):
    """``name@N`` measures at batch N beside rows at ``--batch-size`` (DoRA at 64 against naive at 32)."""
    argv = ["--size", "tiny", "--steps", "1", "--batch-size", "2", "--seq-len", "64", "--modes", "naive-full@3,naive-full"]
    assert bench.main(argv) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [(r["config"], r["batch_size"]) for r in records] == [("naive-full", 3), ("naive-full", 2)]


@pytest.mark.parametrize("modes", ["naive-full@0", "naive-full@x", "naive-full@", "nothing@4"])
def test_a_bad_mode_is_refused_before_anything_runs(bench, modes):
    with pytest.raises(SystemExit, match="--modes"):
        bench.parse_modes(modes, 2)
