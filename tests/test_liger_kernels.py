"""Liger's fused kernels in training: same loss and gradients as the model's own code, CPU untouched.

The equivalence tests need a CUDA GPU and liger-kernel (Triton); they are skipped elsewhere and
run on the device by ``benchmarks/gpu/train_throughput.sh``.
"""

from __future__ import annotations

import copy
import importlib.util

import pytest
import torch

from solver.learner import EncodedExample
from train.data import collate

GPU_AND_LIGER = torch.cuda.is_available() and importlib.util.find_spec("liger_kernel") is not None
needs_gpu = pytest.mark.skipif(not GPU_AND_LIGER, reason="needs a CUDA GPU and liger-kernel")


def qwen2(vocab: int = 4096, layers: int = 2):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(hidden_size=128, num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         intermediate_size=512, vocab_size=vocab, tie_word_embeddings=True)
    torch.manual_seed(0)
    return Qwen2ForCausalLM(config)


def batch(vocab: int, device: str, padding_free: bool) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    examples = [
        EncodedExample(torch.randint(3, vocab, (n,), generator=generator).tolist(), prompt_length=n // 2)
        for n in (40, 57, 64, 23)
    ]
    return collate(examples, pad_id=0, padding_free=padding_free).model_inputs(device)


def test_build_model_leaves_the_cpu_model_alone(tmp_path):
    """On the CPU, even with the kernels asked for (a warning says so), the model keeps its own modules."""
    from train.config import TrainConfig
    from train.models import build_model

    config = TrainConfig(output_dir=str(tmp_path), from_scratch="tiny", liger_kernels="on")
    model, _ = build_model(config, "fp32", cuda=False)
    assert "forward" not in vars(model)  # the class's forward, not an instance patch
    assert type(model.model.norm).__module__.startswith("transformers.")


def test_liger_changes_only_the_model_it_is_applied_to(monkeypatch):
    """Liger's apply functions also rebind transformers' module-level classes; those are put back.

    A stand-in for liger-kernel (not installable on CPU-only machines) patches as Liger 0.8.5
    does: the instance's forward, and ``Qwen2RMSNorm`` / ``apply_rotary_pos_emb`` module-wide.
    """
    import sys
    import types

    from transformers.models.qwen2 import modeling_qwen2

    from train.models import use_liger_kernels

    def apply_like_liger(model):
        modeling_qwen2.Qwen2RMSNorm = type("FusedRMSNorm", (torch.nn.Module,), {})
        modeling_qwen2.apply_rotary_pos_emb = lambda *args, **kwargs: None
        modeling_qwen2.added_by_liger = True
        model.forward = lambda *args, **kwargs: "fused"

    fake = types.ModuleType("liger_kernel.transformers.monkey_patch")
    fake.MODEL_TYPE_TO_APPLY_LIGER_FN = {"qwen2": apply_like_liger}
    monkeypatch.setitem(sys.modules, "liger_kernel.transformers.monkey_patch", fake)
    norm, rope = modeling_qwen2.Qwen2RMSNorm, modeling_qwen2.apply_rotary_pos_emb
    model = qwen2(vocab=64, layers=1)
    assert use_liger_kernels(model)
    assert model.forward() == "fused"  # the model has them
    assert modeling_qwen2.Qwen2RMSNorm is norm and modeling_qwen2.apply_rotary_pos_emb is rope  # the module not
    assert not hasattr(modeling_qwen2, "added_by_liger")
    assert "forward" not in vars(qwen2(vocab=64, layers=1))  # nor a model built afterwards


@needs_gpu
@pytest.mark.parametrize("padding_free", [False, True])
def test_liger_loss_and_gradients_match_the_models_own(padding_free):
    from train.models import use_liger_kernels

    vocab = 4096
    reference = qwen2(vocab).cuda().train()
    fused = copy.deepcopy(reference)
    assert use_liger_kernels(fused)
    inputs = batch(vocab, "cuda", padding_free)
    targets = torch.tensor(float((inputs["labels"][:, 1:] != -100).sum()), device="cuda")
    losses = []
    for model in (reference, fused):
        loss = model(**inputs, use_cache=False, num_items_in_batch=targets).loss
        loss.backward()
        losses.append(loss.detach())
    assert torch.allclose(losses[0], losses[1], rtol=1e-4), losses
    for (name, a), b in zip(reference.named_parameters(), fused.parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, rtol=1e-3, atol=1e-5), name


@needs_gpu
def test_training_with_liger_lowers_the_loss(tmp_path):
    """A short run of ``python -m train`` on the GPU with Liger on learns."""
    from train.config import TrainConfig
    from train.loop import run_training

    config = TrainConfig(
        output_dir=str(tmp_path), from_scratch="tiny", max_steps=30, batch_size=16, per_device_batch_size=16,
        max_seq_len=1024, learning_rate=3e-3, warmup_ratio=0.1, logging_steps=5, save_steps=0, eval_steps=0,
        sample_eval_steps=0, num_workers=0, padding_free=True, attn_implementation="flex_attention", liger_kernels="on",
    )
    losses = []
    run_training(config, progress=lambda step, metrics: losses.append(metrics["train/loss"]))
    assert sum(losses[-5:]) < 0.8 * sum(losses[:5]), losses


@pytest.mark.parametrize(
    ("choice", "source", "precision", "wanted"),
    [
        ("auto", {"from_scratch": "tiny"}, "bf16", True),  # full training, bf16 weights: measured faster
        ("auto", {"from_scratch": "tiny"}, "bf16-mixed", False),  # 0.78x under autocast
        ("auto", {"model": "models/drawing-small"}, "bf16", False),  # adapters: DoRA 0.89x
        ("on", {"model": "models/drawing-small"}, "bf16", True),
        ("off", {"from_scratch": "tiny"}, "bf16", False),
    ],
)
def test_auto_uses_liger_where_it_was_measured_faster(tmp_path, choice, source, precision, wanted):
    from train.config import TrainConfig
    from train.models import wants_liger_kernels

    config = TrainConfig(output_dir=str(tmp_path), liger_kernels=choice, **source)
    assert config.adapter == ("model" in source)
    assert wants_liger_kernels(config, precision) == wanted
