"""Merging an adapter into its base: same logits as the unmerged model (LoRA and DoRA), base dtype kept."""

from __future__ import annotations

import pytest
import torch

from train.cli import main


def adapted_base(tokenizer, folder, *, use_dora: bool, dtype: torch.dtype):
    """A tiny base saved in ``dtype`` and a PEFT model over it whose adapter is far from the identity."""
    from peft import LoraConfig, get_peft_model

    from solver.models import create_model

    create_model("tiny", tokenizer, seed=2).to(dtype).save_pretrained(str(folder / "base"))
    tokenizer.save_pretrained(str(folder / "base"))
    base = create_model("tiny", tokenizer, seed=2)
    config = LoraConfig(r=4, lora_alpha=8, use_dora=use_dora, use_rslora=True, target_modules="all-linear")
    model = get_peft_model(base, config)
    with torch.no_grad():
        generator = torch.Generator().manual_seed(0)
        for name, param in model.named_parameters():
            if "lora_" in name:  # B starts at zero and DoRA's magnitude at the weight norms: move both
                param.add_(0.05 * torch.randn(param.shape, generator=generator))
    model.save_pretrained(str(folder / "adapter"))
    return model.eval()


@pytest.mark.parametrize("use_dora", [False, True], ids=["lora", "dora"])
def test_merged_model_computes_the_adapted_logits(tmp_path, tokenizer, torch_one_thread, use_dora):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapted = adapted_base(tokenizer, tmp_path, use_dora=use_dora, dtype=torch.float32)
    args = ["merge", "--base", str(tmp_path / "base"), "--adapter", str(tmp_path / "adapter"), "--output", str(tmp_path / "merged")]
    assert main(args) == 0
    merged = AutoModelForCausalLM.from_pretrained(str(tmp_path / "merged"))
    assert AutoTokenizer.from_pretrained(str(tmp_path / "merged")).eos_token == tokenizer.eos_token
    ids = torch.arange(5, 60)[None]
    with torch.no_grad():
        expected = adapted(input_ids=ids).logits
        with adapted.disable_adapter():
            assert (adapted(input_ids=ids).logits - expected).abs().max() > 1e-2  # the adapter matters
        assert torch.allclose(merged(ids).logits, expected, atol=1e-4)


def test_merge_keeps_the_base_dtype(tmp_path, tokenizer, torch_one_thread):
    from transformers import AutoModelForCausalLM

    adapted_base(tokenizer, tmp_path, use_dora=True, dtype=torch.bfloat16)
    assert main(["merge", "--base", str(tmp_path / "base"), "--adapter", str(tmp_path / "adapter"),
                 "--output", str(tmp_path / "merged")]) == 0
    assert AutoModelForCausalLM.from_pretrained(str(tmp_path / "merged")).dtype == torch.bfloat16


def test_merge_without_an_adapter_says_what_to_pass(tmp_path, capsys):
    assert main(["merge", "--base", str(tmp_path), "--adapter", str(tmp_path), "--output", str(tmp_path / "m")]) == 2
    assert "has no adapter_config.json" in capsys.readouterr().err
