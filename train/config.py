"""The training config: one typed object, validated on construction, before any model loads.

Job: hold every dial of ``python -m train``, fill the defaults that depend on the model source, and
reject unknown or contradictory options with a message that says what to change. The CLI maps
its flags 1:1 onto these fields (``--lora-rank`` -> ``lora_rank``), and so does ``--config``.

Two model sources:
- ``model`` (a pretrained HF folder): adapter training by default, DoRA rank 32 with rsLoRA on
  every linear layer (alpha 64, so the update is scaled by 64 / sqrt(32) = 11.3), learning rate
  1e-4 as the original; ``full_finetune`` trains every weight instead.
- ``from_scratch`` (a size of ``solver.models.MODEL_SIZES``) with the project tokenizer: full
  training, learning rate 1e-3 (small models need the larger step; measurements.md's 6.3M model).

Options left unset (None) are resolved here, so the saved config is the one that ran. Derived at
run time, not here: gradient accumulation = batch_size / (per_device_batch_size * processes),
which needs the process count, and the precision behind ``"auto"``, which needs the device.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from solver.models import MODEL_SIZES
from solver.tasks import DrawingTaskConfig

ADAPTER_DEFAULTS = {"lora_rank": 32, "lora_alpha": 64.0, "use_dora": True, "use_rslora": True}
ADAPTER_FIELDS = tuple(ADAPTER_DEFAULTS)
LEARNING_RATE_ADAPTER = 1e-4
LEARNING_RATE_FULL = 1e-4  # a pretrained model, every weight trained
LEARNING_RATE_SCRATCH = 1e-3


class ConfigError(ValueError):
    """Options that cannot run together, found before any model loads; the message says what to change."""


class DataSource(BaseModel):
    """One kind of generated drawing task in the training mix and its relative weight."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weight: float = Field(1.0, gt=0, description="relative probability of drawing a task from this source")
    task: DrawingTaskConfig = Field(default_factory=DrawingTaskConfig)
    barc: tuple[str, ...] = Field(
        (),
        description="names of solver.tasks BARC generators (or 'all'); when given, the source draws ARC-style "
        "tasks from them, shown in the barc prompt format with BARC-style programs, instead of drawing tasks",
    )
    barc_train_pairs: int = Field(3, ge=1, le=10, description="train pairs of a BARC task (plus its test input)")

    @field_validator("barc")
    @classmethod
    def _known_generators(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        from solver.tasks.barc_generators import barc_generator_names

        known = barc_generator_names()
        if names == ("all",):
            return tuple(known)
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(f"unknown BARC generators {unknown}; known: {', '.join(known)}")
        return names


# Three quarters small grids (3-10 cells a side, 1-4 examples), a quarter large ones (3-30, 1-2
# examples, the project tokenizer's corpus mix). Large tasks that do not fit max_seq_len are
# redrawn and counted as skipped.
DEFAULT_DATA_MIX: tuple[DataSource, ...] = (
    DataSource(weight=3.0, task=DrawingTaskConfig()),
    DataSource(weight=1.0, task=DrawingTaskConfig(max_side=30, max_examples=2)),
)


class TrainConfig(BaseModel):
    """Every option of ``python -m train``; unknown keys are errors. See the module docstring."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- where things go, and the model ---
    output_dir: Path = Field(description="run folder: checkpoints, logs, the final model; reusing it resumes")
    model: Path | None = Field(None, description="pretrained HF model folder to fine-tune (adapter training by default)")
    from_scratch: str | None = Field(None, description=f"train a new model of this size from scratch: {', '.join(MODEL_SIZES)}")
    tokenizer: Path | None = Field(None, description="tokenizer folder for --from-scratch; None = the project tokenizer")
    full_finetune: bool = Field(False, description="with --model: train every weight instead of an adapter")

    # --- adapter (pretrained model only) ---
    lora_rank: int | None = Field(None, ge=1, description="adapter rank r (default 32)")
    lora_alpha: float | None = Field(None, gt=0, description="adapter alpha (default 64)")
    use_dora: bool | None = Field(None, description="weight-decomposed LoRA (default on); vLLM serves merged models only")
    use_rslora: bool | None = Field(None, description="scale the update by alpha/sqrt(r) instead of alpha/r (default on)")

    # --- optimisation ---
    seed: int = Field(0, ge=0, description="seeds the data stream and the model/adapter initialisation")
    max_steps: int = Field(6000, ge=1, description="optimizer steps")
    batch_size: int = Field(16, ge=1, description="samples per optimizer step, over all processes")
    per_device_batch_size: int = Field(1, ge=1, description="samples per forward pass on one device")
    max_seq_len: int = Field(4096, ge=16, description="tokens per sample at most; longer tasks are redrawn and counted")
    learning_rate: float | None = Field(None, gt=0, description="peak AdamW lr (default 1e-4; 1e-3 from scratch)")
    lr_schedule: Literal["linear", "cosine", "constant"] = Field("cosine", description="decay after warmup")
    warmup_ratio: float = Field(0.05, ge=0, le=1, description="fraction of max_steps with a linear warmup from 0")
    min_lr_ratio: float = Field(0.1, ge=0, le=1, description="final lr as a fraction of the peak (linear, cosine)")
    weight_decay: float = Field(0.01, ge=0, description="AdamW decoupled weight decay on matrices (not on norms)")
    max_grad_norm: float = Field(1.0, ge=0, description="gradient clipping norm; 0 = no clipping")

    # --- speed ---
    precision: Literal["auto", "fp32", "bf16-mixed", "bf16"] = Field(
        "auto",
        description="auto = fp32 on CPU; on CUDA bf16 (bf16 base, fp32 adapter) for adapters, "
        "bf16-mixed (fp32 weights, bf16 autocast) for full training",
    )
    attn_implementation: Literal["sdpa", "eager", "flex_attention"] = Field("sdpa", description="transformers attention kernel")
    padding_free: bool = Field(False, description="pack each micro-batch into one row (position_ids), no padding")
    compile: bool = Field(False, description="torch.compile each decoder layer (one shared graph) and the modules around them (inductor); with Liger, only its fused head + loss")
    liger_kernels: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Liger's fused Triton kernels on CUDA (RMSNorm, SwiGLU, head + loss without materialising the "
        "logits: peak memory 2.2x (DoRA) to 2.7x (full) lower on an H200); auto = on for full training with bf16 "
        "weights (1.03-1.1x as fast across calls: weak evidence), off for adapters (DoRA 0.89x as fast with "
        "them), under bf16-mixed (0.78x) and on the CPU; on = required on CUDA (ignored with a warning on the CPU)",
    )
    gradient_checkpointing: bool = Field(False, description="recompute activations in the backward pass to save memory")
    num_workers: int | None = Field(None, ge=0, description="data-loader processes per rank (about 250 samples/s each); None = CPU cores / ranks - 1")

    # --- logs, checkpoints, validation ---
    logging_steps: int = Field(10, ge=1, description="steps between log lines")
    save_steps: int = Field(500, ge=0, description="steps between checkpoints; 0 = only the last one")
    save_total_limit: int = Field(3, ge=1, description="checkpoints kept (the newest)")
    resume: bool = Field(True, description="continue from the newest checkpoint in output_dir; --no-resume refuses to reuse one")
    eval_steps: int = Field(500, ge=0, description="steps between validation-loss runs; 0 = never")
    val_seed: int = Field(42, ge=0, description="seeds the held-out validation tasks")
    val_tasks: int = Field(64, ge=1, description="held-out generated tasks for the validation loss")
    sample_eval_steps: int = Field(2000, ge=0, description="steps between pass@n evaluations (also run at the end); 0 = never")
    sample_eval_tasks: int = Field(32, ge=0, description="held-out generated tasks for pass@n (the toy tasks are added)")
    sample_eval_n: int = Field(8, ge=1, description="samples per task for pass@n")
    sample_eval_temperature: float = Field(0.5, ge=0, description="sampling temperature for pass@n; 0 = greedy")
    sample_eval_max_new_tokens: int = Field(1024, ge=1, description="tokens per sampled program at most")
    wandb: bool = Field(False, description="also log to Weights & Biases (needs the wandb package)")

    data_mix: tuple[DataSource, ...] = Field(DEFAULT_DATA_MIX, min_length=1, description="generated task sources (JSON list)")

    @model_validator(mode="before")
    @classmethod
    def _resolve(cls, data: Any) -> Any:
        """Reject contradictions and fill the defaults that depend on the model source."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        model, size = data.get("model"), data.get("from_scratch")
        if model is None and size is None:
            raise ValueError(
                "choose the model: --model DIR (a pretrained HF folder, adapter training) "
                f"or --from-scratch SIZE (one of {', '.join(MODEL_SIZES)})"
            )
        if model is not None and size is not None:
            raise ValueError("--model and --from-scratch exclude each other: fine-tune a folder or build a new model, not both")
        if size is not None:
            if size not in MODEL_SIZES:
                raise ValueError(f"--from-scratch must be one of {', '.join(MODEL_SIZES)}, got {size!r}")
            if data.get("full_finetune"):
                raise ValueError("--full-finetune applies to --model; --from-scratch always trains every weight, drop it")
            for name in ADAPTER_FIELDS:
                if data.get(name) is not None:
                    raise ValueError(f"--{_flag(name)} applies to adapter training; --from-scratch trains every weight, drop it")
            if data.get("learning_rate") is None:
                data["learning_rate"] = LEARNING_RATE_SCRATCH
            return data
        if data.get("tokenizer") is not None:
            raise ValueError("--tokenizer applies to --from-scratch; a pretrained folder brings its own tokenizer, drop it")
        folder = Path(model)
        if not (folder / "config.json").is_file():
            raise ValueError(f"--model {folder} is not a HF model folder (no config.json); pass a folder saved with save_pretrained")
        if data.get("full_finetune"):
            for name in ADAPTER_FIELDS:
                if data.get(name) is not None:
                    raise ValueError(f"--{_flag(name)} needs an adapter; drop --full-finetune or --{_flag(name)}")
            if data.get("learning_rate") is None:
                data["learning_rate"] = LEARNING_RATE_FULL
            return data
        for name, default in ADAPTER_DEFAULTS.items():
            if data.get(name) is None:
                data[name] = default
        if data.get("learning_rate") is None:
            data["learning_rate"] = LEARNING_RATE_ADAPTER
        return data

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if self.batch_size % self.per_device_batch_size:
            raise ValueError(
                f"--batch-size {self.batch_size} must be a multiple of --per-device-batch-size "
                f"{self.per_device_batch_size}; change one of them"
            )
        if self.wandb and importlib.util.find_spec("wandb") is None:
            raise ValueError("--wandb needs the wandb package: pip install wandb, or drop --wandb")
        if self.output_dir.exists() and not self.output_dir.is_dir():
            raise ValueError(f"--output-dir {self.output_dir} exists and is not a folder")
        return self

    @property
    def adapter(self) -> bool:
        """True when training an adapter on a frozen pretrained model."""
        return self.model is not None and not self.full_finetune

    def non_default(self) -> dict[str, Any]:
        """The options that differ from their defaults, for one log line."""
        return self.model_dump(mode="json", exclude_defaults=True)


def _flag(name: str) -> str:
    return name.replace("_", "-")
