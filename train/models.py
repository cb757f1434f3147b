"""The model to train: built from scratch or loaded from a folder, wrapped in an adapter or not.

Job: ``build_model`` returns the model ready for the loop (trainable parameters marked, dtype
and attention kernel set) and its tokenizer; ``resolve_precision`` turns ``"auto"`` into what a
device supports. Nothing here knows about processes or data.

Precision, and why:
- ``bf16``: every weight in bfloat16, no autocast. For adapters the frozen base is bf16 and PEFT
  keeps the adapter tensors in float32 (``autocast_adapter_dtype``), so the trained weights keep
  full precision: the default for adapters on CUDA.
- ``bf16-mixed``: float32 weights and optimizer, matmuls in bf16 under autocast. Full training
  default on CUDA: a bf16 weight cannot take an update below 2^-8 of its size, and at lr 1e-4
  most updates of a from-scratch model are smaller than that.
- ``fp32``: the CPU default, and what the tests compare against.
"""

from __future__ import annotations

import inspect
import logging
import sys
from typing import TYPE_CHECKING

from train.config import TrainConfig

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

logger = logging.getLogger(__name__)


def resolve_precision(config: TrainConfig, cuda: bool) -> str:
    """The precision that runs: ``config.precision``, with ``"auto"`` decided by device and mode."""
    if config.precision != "auto":
        return config.precision
    if not cuda:
        return "fp32"
    return "bf16" if config.adapter else "bf16-mixed"


def weights_dtype(precision: str) -> torch.dtype:
    """The dtype the model's weights are held in during training."""
    import torch

    return torch.bfloat16 if precision == "bf16" else torch.float32


def load_tokenizer(config: TrainConfig) -> PreTrainedTokenizerBase:
    """The tokenizer of a from-scratch run: ``config.tokenizer``, else the project tokenizer."""
    if config.tokenizer is not None:
        from solver.models.factory import load_tokenizer as load_folder_tokenizer

        return load_folder_tokenizer(config.tokenizer)
    from solver.models.project_tokenizer import load_project_tokenizer

    return load_project_tokenizer()


def build_model(config: TrainConfig, precision: str, cuda: bool) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The model to train, on the CPU, in training mode, and its tokenizer.

    From scratch: a new ``config.from_scratch`` model seeded by ``config.seed``, every weight
    trainable. From a folder: the pretrained model, every weight trainable with
    ``full_finetune``, else frozen inside a PEFT adapter (LoRA or DoRA, rsLoRA, every linear
    layer but the head), initialised from ``config.seed``. With ``cuda`` (the model will train on
    a GPU), Liger's fused kernels replace the model's own as ``config.liger_kernels`` says.
    """
    from solver.models import create_model, load_model

    dtype = weights_dtype(precision)
    if config.from_scratch is not None:
        tokenizer = load_tokenizer(config)
        model = create_model(config.from_scratch, tokenizer, seed=config.seed).to(dtype)
    else:
        model, tokenizer = load_model(config.model, device="cpu", dtype=dtype)
    model.set_attn_implementation(config.attn_implementation)
    required = config.liger_kernels == "on"
    wanted = wants_liger_kernels(config, precision)
    if required and not cuda:
        logger.warning("--liger-kernels on: Liger's kernels need CUDA; training on the CPU without them")
    elif wanted and cuda:
        applied = use_liger_kernels(model, compiled=config.compile)
        if required and not applied:
            raise RuntimeError("--liger-kernels on, but Liger has no kernels for this model here (see the warning "
                               "above); pip install liger-kernel, or pass --liger-kernels auto")
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if config.adapter:
        model = add_adapter(model, rank=config.lora_rank, alpha=config.lora_alpha, use_dora=config.use_dora,
                            use_rslora=config.use_rslora, seed=config.seed)
        if config.gradient_checkpointing:
            model.enable_input_require_grads()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    logger.info(
        "model: %s, %.2fM of %.2fM parameters trainable, weights in %s",
        "adapter" if config.adapter else "full", trainable / 1e6, total / 1e6, str(dtype).removeprefix("torch."),
    )
    assert trainable > 0, "no trainable parameters"
    return model.train(), tokenizer


def wants_liger_kernels(config: TrainConfig, precision: str) -> bool:
    """``--liger-kernels on``, or ``auto`` where they were measured faster: full training with bf16 weights.

    On an H200 (BENCHMARKS.md) they made DoRA slower (0.89x) and bf16-mixed slower (0.78x).
    """
    if config.liger_kernels != "auto":
        return config.liger_kernels == "on"
    return precision == "bf16" and not config.adapter


def use_liger_kernels(model: PreTrainedModel, compiled: bool = False) -> bool:
    """Swap Liger's Triton kernels (CUDA only) into ``model`` where Liger supports the architecture; True if it did.

    Why: the head + cross-entropy of a 151,936-token vocabulary materialises float32 logits of
    4 x vocabulary bytes per token (5 GB for 8k tokens) and reads them several times; Liger's
    fused linear cross-entropy computes the loss chunk by chunk without them, and its RMSNorm and
    SwiGLU kernels each replace several elementwise passes. Weights and outputs are the model's
    own: a model trained with them saves, loads and samples as any other. Applied before any
    adapter, so that PEFT wraps the patched modules.

    Only this model changes. Liger also rebinds names in transformers' modeling module (the norm
    and MLP classes, the rotary embedding function), which would change every model built later
    in the process, on the CPU too, and the baselines a benchmark compares against; those names
    are put back, so Liger's RoPE (a module-wide function only) is not used. Only the module that
    defines the model's class is restored: an architecture whose Liger function patches other
    modules would still leak there (Qwen2's does not).

    ``compiled`` (the layers will run under ``torch.compile``): the fused cross-entropy only.
    Inductor fuses the norms and the MLP itself, and could not trace Liger's RMSNorm kernel (on an
    H200 it kept retrying for minutes: BENCHMARKS.md); the head and the loss stay outside the
    compiled layers.
    """
    try:
        from liger_kernel.transformers.monkey_patch import MODEL_TYPE_TO_APPLY_LIGER_FN
    except ImportError:
        logger.warning("liger-kernel is not installed: training without fused kernels (pip install liger-kernel)")
        return False
    apply = MODEL_TYPE_TO_APPLY_LIGER_FN.get(model.config.model_type)
    if apply is None:
        logger.warning("Liger has no kernels for model type %r: training without them", model.config.model_type)
        return False
    modeling = sys.modules[type(model).__module__]
    names_before = dict(vars(modeling))
    try:
        # Only the switches this architecture's function has (Gemma's has geglu, not swiglu).
        switches = {"rms_norm": False, "swiglu": False} if compiled else {}
        accepted = inspect.signature(apply).parameters
        apply(model=model, **{name: value for name, value in switches.items() if name in accepted})
    finally:
        for name, value in list(vars(modeling).items()):
            if name not in names_before:
                delattr(modeling, name)
            elif value is not names_before[name]:
                setattr(modeling, name, names_before[name])
    logger.info("Liger kernels: %s", "fused linear cross-entropy" if compiled else "RMSNorm, SwiGLU, fused linear cross-entropy")
    return True


def add_adapter(model, *, rank: int, alpha: float, use_dora: bool, use_rslora: bool, seed: int,
                fast_forward: bool = True):
    """Freeze ``model`` inside a PEFT adapter on every linear layer but the head (the adapter is float32).

    LoRA's init: A from a seeded Kaiming-uniform draw, B zero (DoRA: magnitudes = the weight
    norms), so the adapted model starts out computing exactly what the base computes. The adapted
    layers get ``train.fast_adapter``'s forward, which computes in the base's dtype
    (``fast_forward=False`` keeps PEFT's own: the throughput benchmark's naive baseline).
    """
    from peft import LoraConfig, get_peft_model

    from solver.models.rng import seeded_rng
    from train.fast_adapter import use_fast_adapter_forward

    lora = LoraConfig(
        r=rank,
        lora_alpha=alpha,
        use_dora=use_dora,
        use_rslora=use_rslora,
        lora_dropout=0.0,
        target_modules="all-linear",
        bias="none",
        task_type="CAUSAL_LM",
    )
    with seeded_rng(seed):
        model = get_peft_model(model, lora)
    if fast_forward:
        use_fast_adapter_forward(model)
    return model
