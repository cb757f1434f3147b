"""The products of a run: ``<output>/final`` (a plain HF model folder with its tokenizer and a model
card) and, for adapter training, ``<output>/adapter`` and the merge that folds it into the base.

``final`` loads offline with ``AutoModelForCausalLM.from_pretrained`` and ``AutoTokenizer``, and so
goes to the solver and to vLLM (which serves neither DoRA adapters nor unmerged ones cheaply).

dtype: a merge writes the base's dtype (bf16 for Qwen2.5); the merge itself is computed in
float32 and cast once, so DoRA's weight norms are not taken in bf16. A full-training run writes
bf16 when it trained in bf16 or bf16-mixed, float32 when it trained in fp32.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)

CARD_FILE = "README.md"


def save_model_folder(model, tokenizer, folder: Path, dtype: torch.dtype) -> Path:
    """Save a plain (non-PEFT) model in ``dtype`` with its tokenizer, replacing ``folder``."""
    folder = Path(folder)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.to(dtype).save_pretrained(str(partial))
    tokenizer.save_pretrained(str(partial))
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


def merge_adapter(base: Path, adapter: Path, output: Path) -> Path:
    """Fold an adapter (LoRA or DoRA) into its base model and save the result in the base's dtype.

    Args:
        base: the base model folder the adapter was trained on.
        adapter: a folder written by ``PeftModel.save_pretrained`` (``adapter_config.json``).
        output: the merged model folder, written with the base's tokenizer; replaced if present.

    Returns:
        ``output``.

    Raises:
        ValueError: if ``adapter`` holds no adapter.
    """
    from peft import PeftModel
    from transformers import AutoConfig

    from solver.models import load_model

    if not (Path(adapter) / "adapter_config.json").is_file():
        raise ValueError(f"--adapter {adapter} has no adapter_config.json; pass the folder written by training (<output>/adapter)")
    base_dtype = AutoConfig.from_pretrained(str(base)).dtype or torch.float32
    if isinstance(base_dtype, str):
        base_dtype = getattr(torch, base_dtype)
    model, tokenizer = load_model(base, device="cpu", dtype=torch.float32)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    save_model_folder(merged, tokenizer, Path(output), base_dtype)
    logger.info("merged %s into %s -> %s (%s)", adapter, base, output, str(base_dtype).removeprefix("torch."))
    return Path(output)


def model_card(config: dict[str, Any], facts: dict[str, Any], metrics: dict[str, float]) -> str:
    """The README.md of a final model: how it was made and how it last scored."""
    source = (
        f"from scratch, size `{config['from_scratch']}`" if config.get("from_scratch")
        else f"fine-tuned from `{config['model']}`" + (" (every weight)" if config.get("full_finetune") else
                                                       f" with a {'DoRA' if config.get('use_dora') else 'LoRA'} "
                                                       f"r={config.get('lora_rank')} adapter, merged")
    )
    lines = [
        "# ARC drawing model",
        "",
        f"A causal LM trained {source} to write drawing-DSL programs (`def task(img)`) for ARC grids,",
        "on random drawing tasks generated on the fly (`solver.tasks`), prompted with `solver.prompting`'s",
        "drawing prompt. Load it with `AutoModelForCausalLM.from_pretrained(folder)` or `solver.models.load_model`.",
        "",
        "## Training",
        "",
        f"- command: `{facts['command']}`",
        f"- steps: {facts['steps']} x {config['batch_size']} samples, max {config['max_seq_len']} tokens each",
        f"- samples trained on: {facts['samples']}, tokens: {facts['tokens']}, redrawn as too long: {facts['skipped']}",
        f"- data mix: {json.dumps(config['data_mix'])}",
        f"- optimizer: AdamW lr {config['learning_rate']:g}, {config['lr_schedule']} schedule, "
        f"warmup {config['warmup_ratio']:g}, min lr ratio {config['min_lr_ratio']:g}",
        f"- precision: {facts['precision']}, processes: {facts['num_processes']}, device: {facts['device']}",
        f"- training time: {facts['elapsed_s'] / 3600:.2f} h",
        f"- git commit: {facts['git_commit']}",
        "",
        "## Last validation",
        "",
    ]
    if metrics:
        lines += ["| metric | value |", "|---|---|"]
        lines += [f"| {name} | {value:.4g} |" for name, value in sorted(metrics.items())]
    else:
        lines.append("No validation was run (--eval-steps 0 and --sample-eval-steps 0).")
    return "\n".join(lines) + "\n"


def write_model_card(folder: Path, config: dict[str, Any], facts: dict[str, Any], metrics: dict[str, float]) -> None:
    """Write ``README.md`` into a final model folder."""
    (Path(folder) / CARD_FILE).write_text(model_card(config, facts, metrics))
