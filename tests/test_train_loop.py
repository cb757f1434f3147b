"""The training loop on CPU with the tiny model: split invariance, exact resume, validation, export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from solver.sampler import Sampler
from solver.sampler import Completion
from train.checkpoint import list_checkpoints
from train.config import ConfigError, TrainConfig
from train.loop import run_training, train_step
from train.validation import SamplingEval

# Small grids keep samples at 100-400 tokens, so a step takes about 0.1 s on one thread.
TINY_MIX = [{"task": {"max_side": 4, "max_examples": 2, "max_draws": 3}}]
TINY_OPTIONS = {
    "from_scratch": "tiny",
    "max_steps": 4,
    "batch_size": 4,
    "per_device_batch_size": 2,
    "max_seq_len": 1024,
    "warmup_ratio": 0.25,
    "save_steps": 0,
    "eval_steps": 0,
    "sample_eval_steps": 0,
    "num_workers": 0,
    "logging_steps": 1,
    "data_mix": TINY_MIX,
}


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory, tokenizer) -> Path:
    """The session's test tokenizer, saved as a folder for --tokenizer."""
    folder = tmp_path_factory.mktemp("tokenizer")
    tokenizer.save_pretrained(str(folder))
    return folder


def tiny_config(output_dir: Path, tokenizer_dir: Path, **options) -> TrainConfig:
    return TrainConfig(**{**TINY_OPTIONS, "output_dir": output_dir, "tokenizer": tokenizer_dir, **options})


def weights(model) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}


def assert_same_weights(a: dict, b: dict, atol: float) -> None:
    assert a.keys() == b.keys()
    worst = max(float((a[name] - b[name]).abs().max()) for name in a)
    assert worst <= atol, f"weights differ by up to {worst:g}"


@pytest.fixture(scope="module")
def reference(tmp_path_factory, tokenizer_dir, torch_one_thread):
    """6 steps, checkpoints every 3, only the newest kept: the uninterrupted run."""
    output = tmp_path_factory.mktemp("reference")
    return run_training(tiny_config(output, tokenizer_dir, max_steps=6, save_steps=3, save_total_limit=1), progress=False)


def test_a_step_has_the_same_gradient_however_it_is_split(tokenizer, torch_one_thread):
    """4 x 1, 1 x 4 accumulation and padding-free 2 x 2: the loss is normalised over the whole step."""
    from accelerate import Accelerator

    from solver.models import create_model
    from train.data import StepLayout, TrainStream

    accelerator = Accelerator(cpu=True)
    gradients = []
    for per_device, padding_free in ((4, False), (1, False), (2, True)):
        layout = StepLayout(batch_size=4, per_device_batch_size=per_device, num_processes=1)
        stream = TrainStream(tokenizer, seed=0, mix=TrainConfig(**{**TINY_OPTIONS, "output_dir": "x"}).data_mix,
                             layout=layout, rank=0, max_seq_len=1024, padding_free=padding_free)
        model = create_model("tiny", tokenizer, seed=0).train()
        sgd = torch.optim.SGD(model.parameters(), lr=1.0)  # the update is the gradient itself
        before = weights(model)
        schedule = torch.optim.lr_scheduler.LambdaLR(sgd, lambda step: 1.0)
        train_step(accelerator, model, sgd, schedule, stream.step_batch(0), list(model.parameters()), max_grad_norm=0)
        gradients.append({name: before[name] - p.detach() for name, p in model.named_parameters()})
    scale = max(float(g.abs().max()) for g in gradients[0].values())
    for other in gradients[1:]:
        assert_same_weights(gradients[0], other, atol=1e-5 * scale)


def test_runs_split_differently_end_alike(tmp_path, tokenizer_dir, torch_one_thread):
    """Whole runs: same data digest, and weights equal up to Adam's amplification of float rounding
    (it divides each gradient coordinate by its own magnitude): 2e-5 here, against 5e-3 when each
    micro-batch is averaged on its own, and 0.1 for other data."""
    runs = [
        run_training(tiny_config(tmp_path / "a", tokenizer_dir, per_device_batch_size=4), progress=False),
        run_training(tiny_config(tmp_path / "b", tokenizer_dir, per_device_batch_size=1, padding_free=True),
                     progress=False),
    ]
    assert runs[0].progress.data_digest == runs[1].progress.data_digest
    assert_same_weights(weights(runs[0].model), weights(runs[1].model), atol=2e-4)


def test_resume_after_a_crash_matches_the_uninterrupted_run(tmp_path, tokenizer_dir, reference):
    config = tiny_config(tmp_path, tokenizer_dir, max_steps=6, save_steps=3, save_total_limit=1)

    def crash(step: int, metrics: dict) -> None:
        if step == 4:
            raise KeyboardInterrupt("simulated kill after the step-3 checkpoint")

    with pytest.raises(KeyboardInterrupt):
        run_training(config, progress=crash)
    assert [path.name for path in list_checkpoints(tmp_path)] == ["step-000003"]
    resumed = run_training(config, progress=False)
    assert resumed.step == 6
    # The stream continued where the checkpoint left it: same samples as the uninterrupted run.
    assert resumed.progress.samples == reference.progress.samples == 6 * 4
    assert resumed.progress.data_digest == reference.progress.data_digest
    assert_same_weights(weights(reference.model), weights(resumed.model), atol=1e-6)
    assert [path.name for path in list_checkpoints(tmp_path)] == ["step-000006"]  # keep-last-1
    steps = [int(row["step"]) for row in csv.DictReader((tmp_path / "metrics.csv").open()) if row["name"] == "train/loss"]
    assert steps == [1, 2, 3, 4, 4, 5, 6]  # step 4 ran again after the restart from step 3


def test_an_existing_run_is_resumed_only_as_it_was(reference, tokenizer_dir):
    output = reference.output_dir
    with pytest.raises(ConfigError, match="drop --no-resume"):
        run_training(tiny_config(output, tokenizer_dir, max_steps=6, resume=False), progress=False)
    with pytest.raises(ConfigError, match=r"seed: 0 -> 1"):
        run_training(tiny_config(output, tokenizer_dir, max_steps=6, seed=1), progress=False)


def test_reference_run_leaves_a_loadable_final_model_and_its_provenance(reference):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    output = reference.output_dir
    final = AutoModelForCausalLM.from_pretrained(str(output / "final"))
    tokenizer = AutoTokenizer.from_pretrained(str(output / "final"))
    assert final.dtype == torch.float32  # trained in fp32 on CPU
    ids = tokenizer("def task(img):", return_tensors="pt")["input_ids"]
    trained = reference.model.eval()
    with torch.no_grad():
        assert torch.allclose(final(ids).logits, trained(ids).logits, atol=1e-5)
    info = json.loads((output / "run_info.json").read_text())
    assert {"torch", "transformers", "peft", "accelerate"} <= set(info["versions"])
    assert info["git_commit"] and info["grad_accum"] == 2
    assert json.loads((output / "train_config.json").read_text())["learning_rate"] == 1e-3
    card = (output / "final" / "README.md").read_text()
    assert "steps: 6 x 4 samples" in card


def test_validation_is_logged_and_goes_into_the_card(tmp_path, tokenizer_dir, torch_one_thread):
    config = tiny_config(
        tmp_path, tokenizer_dir, max_steps=2, eval_steps=1, val_tasks=4, sample_eval_steps=2, sample_eval_tasks=2,
        sample_eval_n=2, sample_eval_max_new_tokens=8,
    )
    result = run_training(config, progress=False)
    rows = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    names = {(int(row["step"]), row["name"]) for row in rows}
    assert {(1, "val/loss"), (2, "val/loss"), (2, "val/generated/pass@2"), (2, "val/toy/pass@2")} <= names
    assert {(1, "train/loss"), (1, "train/samples_per_s"), (1, "train/tokens_per_s")} <= names
    assert "val/loss" in result.metrics
    assert "| val/generated/pass@2 |" in (tmp_path / "final" / "README.md").read_text()
    assert any((tmp_path / "tensorboard").iterdir())


class _OracleSampler(Sampler):
    """Answers every generated task with its own program and every toy task with nonsense."""

    programs: dict[str, str] = {}

    def __init__(self, model, tokenizer, batch_size: int) -> None:
        pass

    def generate(self, prompts, params, *, adapter=None):
        return [[Completion(text=self.programs.get(p, "oops("), num_tokens=1, finished=True)] * params.n for p in prompts]


def test_pass_at_n_runs_sampled_programs_in_the_sandbox(tmp_path, tokenizer_dir, tokenizer, monkeypatch):
    from train.data import SAMPLE_EVAL, draw_task, task_prompt
    from train.validation import sample_eval_tasks

    config = tiny_config(tmp_path, tokenizer_dir, sample_eval_tasks=3, sample_eval_n=2, sample_eval_max_new_tokens=8)
    assert [t.group for t in sample_eval_tasks(config)].count("generated") == 3
    programs = {}
    for index in range(2):  # the third generated task gets no oracle: 2 of 3 solved
        task = draw_task(config.val_seed, SAMPLE_EVAL, index, config.data_mix)
        programs[task_prompt(tokenizer, task.inputs, task.outputs)] = task.program
    monkeypatch.setattr(_OracleSampler, "programs", programs)
    monkeypatch.setattr("train.validation.TransformersSampler", _OracleSampler)
    with SamplingEval(config, tokenizer, sandbox_workers=1) as evaluation:
        scores = evaluation.run(model=torch.nn.Linear(1, 1), adapter=None)
    assert scores["generated/pass@2"] == pytest.approx(2 / 3)
    assert scores["generated/sample_accuracy"] == pytest.approx(2 / 3)
    assert scores["toy/pass@2"] == 0.0


@pytest.mark.parametrize("compile", [False, True], ids=["eager", "compiled"])
def test_adapter_training_merges_into_final(tmp_path, tokenizer, torch_one_thread, compile):
    """DoRA on a saved tiny model: <output>/adapter, and a merged <output>/final that computes the same logits.

    Compiled too (the fastest DoRA setting on a GPU): the adapter saved and merged is the trained one.
    """
    from transformers import AutoModelForCausalLM

    from solver.models import create_model

    base = tmp_path / "base"
    create_model("tiny", tokenizer, seed=5).save_pretrained(str(base))
    tokenizer.save_pretrained(str(base))
    options = {k: v for k, v in TINY_OPTIONS.items() if k != "from_scratch"}
    config = TrainConfig(**{**options, "output_dir": tmp_path / "run", "model": base, "lora_rank": 4, "max_steps": 2,
                            "learning_rate": 1e-2, "compile": compile})
    from torch._dynamo.utils import counters

    counters.clear()
    result = run_training(config, progress=False)
    assert (counters["stats"]["unique_graphs"] > 0) == compile  # dynamo compiled the layers, and only if asked
    assert (tmp_path / "run" / "adapter" / "adapter_config.json").is_file()
    merged = AutoModelForCausalLM.from_pretrained(str(tmp_path / "run" / "final"))
    ids = torch.arange(3, 40)[None]
    adapted = result.model.eval()
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, adapted(input_ids=ids).logits, atol=1e-4)
        with adapted.disable_adapter():
            assert not torch.allclose(merged(ids).logits, adapted(input_ids=ids).logits, atol=1e-4)


def test_from_scratch_uses_the_project_tokenizer_by_default(tmp_path):
    from train.models import load_tokenizer

    try:
        tokenizer = load_tokenizer(TrainConfig(output_dir=tmp_path, from_scratch="tiny"))
    except FileNotFoundError:
        pytest.skip("the project tokenizer is not committed yet")
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|endoftext|>"


def test_a_compiled_run_trains_as_the_eager_one(tmp_path, tokenizer_dir, reference):
    """``--compile`` (inductor, dynamic shapes: every step has its own length) changes the speed,
    not the training: same data, weights equal up to float rounding amplified by Adam."""
    from torch._dynamo.utils import counters

    counters.clear()
    compiled = run_training(tiny_config(tmp_path, tokenizer_dir, max_steps=6, compile=True), progress=False)
    assert counters["stats"]["unique_graphs"] > 0  # dynamo did compile the layers
    assert compiled.progress.data_digest == reference.progress.data_digest
    assert_same_weights(weights(compiled.model), weights(reference.model), atol=2e-4)
