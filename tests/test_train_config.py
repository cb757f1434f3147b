"""The training config and CLI: defaults by model source, contradictions fail early and say what to change."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from train.cli import make_parser, parse_config
from train.config import TrainConfig
from train.data import StepLayout


@pytest.fixture
def model_dir(tmp_path) -> Path:
    """A folder that looks like a HF model (the config only checks for config.json)."""
    folder = tmp_path / "base"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    return folder


def test_adapter_defaults_are_dora_r32_rslora(tmp_path, model_dir):
    config = TrainConfig(output_dir=tmp_path / "run", model=model_dir)
    assert config.adapter
    assert (config.lora_rank, config.lora_alpha, config.use_dora, config.use_rslora) == (32, 64.0, True, True)
    assert config.learning_rate == 1e-4


def test_from_scratch_is_full_training_with_a_larger_lr(tmp_path):
    config = TrainConfig(output_dir=tmp_path / "run", from_scratch="tiny")
    assert not config.adapter
    assert (config.lora_rank, config.use_dora) == (None, None)
    assert config.learning_rate == 1e-3


def test_full_finetune_of_a_pretrained_model(tmp_path, model_dir):
    config = TrainConfig(output_dir=tmp_path / "run", model=model_dir, full_finetune=True)
    assert not config.adapter and config.lora_rank is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "choose the model"),
        ({"from_scratch": "tiny", "model": "MODEL"}, "exclude each other"),
        ({"from_scratch": "huge"}, "must be one of tiny, small, base"),
        ({"from_scratch": "tiny", "lora_rank": 8}, "--lora-rank applies to adapter training"),
        ({"from_scratch": "tiny", "use_dora": True}, "--use-dora applies to adapter training"),
        ({"from_scratch": "tiny", "full_finetune": True}, "--full-finetune applies to --model"),
        ({"model": "MODEL", "full_finetune": True, "use_dora": True}, "--use-dora needs an adapter"),
        ({"model": "MODEL", "tokenizer": "somewhere"}, "--tokenizer applies to --from-scratch"),
        ({"model": "NOT_A_MODEL"}, "not a HF model folder"),
        ({"from_scratch": "tiny", "batch_size": 10, "per_device_batch_size": 4}, "must be a multiple of"),
        ({"from_scratch": "tiny", "lora_rnak": 8}, "lora_rnak"),
        ({"from_scratch": "tiny", "max_steps": 0}, "max_steps"),
    ],
)
def test_contradictions_fail_before_anything_loads(tmp_path, model_dir, options, message):
    options = {k: model_dir if v == "MODEL" else tmp_path / "nothing" if v == "NOT_A_MODEL" else v for k, v in options.items()}
    with pytest.raises(ValidationError, match=message):
        TrainConfig(output_dir=tmp_path / "run", **options)


def test_gradient_accumulation_is_derived_and_must_divide():
    assert StepLayout(batch_size=16, per_device_batch_size=2, num_processes=4).grad_accum == 2
    assert StepLayout(batch_size=16, per_device_batch_size=2, num_processes=1).grad_accum == 8
    with pytest.raises(ValueError, match=r"--batch-size 16 must be divisible by --per-device-batch-size 2 x 3 processes"):
        StepLayout(batch_size=16, per_device_batch_size=2, num_processes=3)


def test_every_field_is_a_flag():
    flags = {action.dest for action in make_parser()._actions}
    assert set(TrainConfig.model_fields) <= flags


def test_flags_override_the_config_file(tmp_path):
    path = tmp_path / "options.json"
    path.write_text(json.dumps({"from_scratch": "tiny", "max_steps": 5, "seed": 3}))
    config = parse_config(["--config", str(path), "--output-dir", str(tmp_path / "run"), "--max-steps", "7", "--no-resume"])
    assert (config.max_steps, config.seed, config.resume) == (7, 3, False)


def test_data_mix_flag_takes_json(tmp_path):
    mix = '[{"weight": 2, "task": {"max_side": 30}}, {"task": {"input_kind": "noise"}}]'
    config = parse_config(["--output-dir", str(tmp_path), "--from-scratch", "tiny", "--data-mix", mix])
    assert [s.weight for s in config.data_mix] == [2, 1]
    assert config.data_mix[0].task.max_side == 30 and config.data_mix[1].task.input_kind == "noise"


def test_cli_errors_name_the_flag_and_exit_2(tmp_path, capsys):
    path = tmp_path / "options.json"
    path.write_text(json.dumps({"from_scratch": "tiny", "max_stepz": 5}))
    with pytest.raises(SystemExit) as exit_info:
        parse_config(["--config", str(path), "--output-dir", str(tmp_path), "--max-steps", "0"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--max-stepz: Extra inputs are not permitted" in err
    assert "--max-steps: Input should be greater than or equal to 1 (got 0)" in err


def test_cli_fails_fast_without_loading_torch(tmp_path):
    """A contradiction is reported by the real entry point in well under the time torch takes to import."""
    code = (
        "import sys\nfrom train.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as stop:\n"
        "    assert 'torch' not in sys.modules, 'torch was imported'\n    raise"
    )
    args = ["--output-dir", str(tmp_path), "--from-scratch", "tiny", "--use-dora"]
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--use-dora applies to adapter training" in result.stderr
