"""The test-time-training config: one typed object with working defaults, validated on construction.

Defaults, and where they come from (reference_arc25.md §4-5):
- rsLoRA, rank 32, alpha 64, dropout 0 on every linear projection of a Qwen2 block. rsLoRA scales
  the update by alpha / sqrt(rank) (11.3 here) instead of alpha / rank, so a larger rank still
  learns; plain LoRA/rsLoRA rather than DoRA because vLLM serves no DoRA adapters.
- learning rate: the original used 1e-5 for Qwen2.5-0.5B (2e-6 and 4e-5 were slower on
  25-squares); our small from-scratch models need a larger step to move in the few dozen steps a
  task gets (1e-4 was the best of 1e-4 to 3e-3 at batch 1 on 12-squares). Tune per model.
- batch size 4 at learning rate 2e-4 (the original: batch size 1, one optimizer step per
  relabelled task). A step of our 6M drawing model costs ~200 ms on an H200 whatever its batch
  size (1 to 8), so an epoch's 150-180 relabelled tasks took 12 s at batch 1, the largest part
  of a HER epoch; batch 4 takes a quarter of the steps. One HER step on 25-squares (CPU,
  BENCHMARKS.md) moved the model as far at batch 4 / 2e-4 (next epoch: 136 valid, best 76%,
  mean 52%) as at batch 1 / 1e-4 (128, 74%, 56%); batch 4 / 1e-4 moved it less. A batch never
  holds more than ``max_seq_length`` tokens once padded, so a larger model's long examples
  still go one at a time. Weight decay 0.01 and gradient clipping at 1.0 as its BARC-era runs; no warmup by default (the original warmed up
  for 10% of each epoch with a fresh Trainer; here the optimizer state persists across epochs
  until ``Learner.reset``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

QWEN2_LINEAR_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class LearnerConfig(BaseModel):
    """Dials of per-task LoRA training; unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    adapter_name: str = Field("ttt", min_length=1, description="PEFT adapter name, also used in AdapterRef")
    lora_rank: int = Field(32, ge=1, description="LoRA rank r")
    lora_alpha: float = Field(64.0, gt=0, description="LoRA alpha; the update is scaled by alpha/sqrt(r) with rsLoRA")
    use_rslora: bool = Field(True, description="rank-stabilised scaling alpha/sqrt(r) instead of alpha/r")
    lora_dropout: float = Field(0.0, ge=0, lt=1, description="dropout on the LoRA input; 0 = none")
    target_modules: tuple[str, ...] = Field(QWEN2_LINEAR_PROJECTIONS, min_length=1, description="module names to adapt")
    learning_rate: float = Field(2e-4, gt=0, description="AdamW peak learning rate")
    weight_decay: float = Field(0.01, ge=0, description="AdamW decoupled weight decay")
    max_grad_norm: float | None = Field(1.0, gt=0, description="gradient clipping norm; None = no clipping")
    batch_size: int = Field(4, ge=1, description="examples per optimizer step, at most (see max_seq_length)")
    max_seq_length: int = Field(8192, ge=2, description="tokens of one example (longer ones are skipped and counted) and of a padded batch")
    warmup_steps: int = Field(0, ge=0, description="linear warmup steps after each reset; 0 = none")
    seed: int = Field(0, description="seeds the adapter initialisation when reset() gets no seed")
