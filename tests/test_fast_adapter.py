"""train.fast_adapter: PEFT's LoRA/DoRA layers with a forward in the base's dtype compute what PEFT computes."""

from __future__ import annotations

import pytest
import torch

from train.fast_adapter import FastLoraLinear, use_fast_adapter_forward
from train.models import add_adapter


def adapted_pair(tokenizer, *, use_dora: bool, dtype: torch.dtype = torch.float32):
    """Two identical adapted tiny models, PEFT's forward and the fast one, adapters far from the identity."""
    from solver.models import create_model

    models = []
    for fast in (False, True):
        base = create_model("tiny", tokenizer, seed=2).to(dtype)
        model = add_adapter(base, rank=4, alpha=8.0, use_dora=use_dora, use_rslora=True, seed=0, fast_forward=fast)
        with torch.no_grad():
            generator = torch.Generator().manual_seed(0)
            for name, param in model.named_parameters():
                if "lora_" in name:  # B starts at zero and DoRA's magnitude at the weight norms: move both
                    param.add_(0.05 * torch.randn(param.shape, generator=generator, dtype=param.dtype))
        models.append(model)
    return models


def loss_and_grads(model, ids: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    model.zero_grad()
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    return loss.detach(), {name: p.grad.clone() for name, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("use_dora", [False, True], ids=["lora", "dora"])
def test_fast_forward_gives_peft_loss_and_gradients(tokenizer, torch_one_thread, use_dora):
    peft_model, fast_model = adapted_pair(tokenizer, use_dora=use_dora)
    layers = [m for m in fast_model.modules() if isinstance(m, FastLoraLinear)]
    assert layers and not any(isinstance(m, FastLoraLinear) for m in peft_model.modules())
    assert any(m.get_base_layer().bias is not None for m in layers), "the tiny model should have biased layers"
    ids = torch.arange(5, 69).reshape(2, 32)
    peft_loss, peft_grads = loss_and_grads(peft_model, ids)
    fast_loss, fast_grads = loss_and_grads(fast_model, ids)
    assert torch.allclose(fast_loss, peft_loss, rtol=1e-5, atol=1e-6)
    assert peft_grads.keys() == fast_grads.keys()
    assert any("magnitude" in name for name in fast_grads) == use_dora
    for name, grad in peft_grads.items():
        assert torch.allclose(fast_grads[name], grad, rtol=1e-4, atol=1e-6), name
        assert grad.abs().sum() > 0, name  # every adapter tensor takes part


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=CUDA)])
@pytest.mark.parametrize("use_dora", [False, True], ids=["lora", "dora"])
def test_fast_forward_keeps_bf16_activations_and_float32_adapters(tokenizer, torch_one_thread, use_dora, device):
    """A bf16 model (on CUDA: the GPU's kernels) with float32 adapters: loss and gradients follow PEFT's forward."""
    peft_model, fast_model = (model.to(device) for model in adapted_pair(tokenizer, use_dora=use_dora, dtype=torch.bfloat16))
    assert not any(isinstance(m, FastLoraLinear) for m in peft_model.modules())
    layer = next(m for m in fast_model.modules() if isinstance(m, FastLoraLinear))
    assert layer.lora_A["default"].weight.dtype == torch.float32  # PEFT's autocast_adapter_dtype
    x = torch.randn(3, layer.in_features, dtype=torch.bfloat16, device=device)
    assert layer(x).dtype == torch.bfloat16
    ids = torch.arange(5, 69).reshape(2, 32).to(device)
    peft_loss, peft_grads = loss_and_grads(peft_model, ids)
    fast_loss, fast_grads = loss_and_grads(fast_model, ids)
    assert abs(fast_loss.item() - peft_loss.item()) < 0.02 * peft_loss.item()  # bf16 against float32 branches
    assert fast_grads.keys() == peft_grads.keys() and any("magnitude" in name for name in fast_grads) == use_dora
    for name, grad in fast_grads.items():
        assert grad.dtype == torch.float32
        cosine = torch.nn.functional.cosine_similarity(grad.flatten(), peft_grads[name].flatten(), dim=0)
        assert cosine > 0.95, (name, cosine.item())


@pytest.mark.parametrize("use_dora", [False, True], ids=["lora", "dora"])
def test_the_fast_forward_runs_without_peft_forward(tokenizer, torch_one_thread, monkeypatch, use_dora):
    from peft.tuners.lora import Linear as LoraLinear

    _, fast_model = adapted_pair(tokenizer, use_dora=use_dora)

    def peft_forward(*args, **kwargs):
        raise AssertionError("PEFT's forward ran")

    monkeypatch.setattr(LoraLinear, "forward", peft_forward)
    ids = torch.arange(5, 37)[None]
    fast_model(input_ids=ids, labels=ids).loss.backward()
    fast_model.eval()
    with torch.no_grad():
        fast_model(input_ids=ids)
    with pytest.raises(AssertionError, match="PEFT's forward ran"), fast_model.disable_adapter():
        fast_model(input_ids=ids)  # not covered: falls back


@pytest.mark.parametrize("use_dora", [False, True], ids=["lora", "dora"])
def test_fast_forward_under_autocast_matches_peft(tokenizer, torch_one_thread, use_dora):
    """bf16-mixed: float32 weights, bf16 autocast; same output dtype as PEFT's, close values."""
    from peft.tuners.lora import Linear as LoraLinear

    peft_model, fast_model = adapted_pair(tokenizer, use_dora=use_dora)
    ids = torch.arange(5, 69).reshape(2, 32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        peft_layer = next(m for m in peft_model.modules() if type(m) is LoraLinear)
        fast_layer = next(m for m in fast_model.modules() if isinstance(m, FastLoraLinear))
        x = torch.randn(8, fast_layer.in_features)
        assert fast_layer(x).dtype == peft_layer(x).dtype
        peft_loss = peft_model(input_ids=ids, labels=ids).loss
        fast_loss = fast_model(input_ids=ids, labels=ids).loss
    assert abs(fast_loss.item() - peft_loss.item()) < 0.02 * peft_loss.item()


def test_dora_scale_survives_bf16(torch_one_thread):
    """The scale m / ||W + sBA|| is applied as a + a * (scale - 1), not a * bf16(scale).

    bf16 has 8 bits of mantissa: rounding the scale itself (about 1) moves a row's output by up to
    4e-3, more than many magnitude updates. Per-element rounding of the outputs averages out over
    many inputs; a rounded scale does not.
    """
    from peft import LoraConfig, get_peft_model
    from torch import nn

    from solver.models.rng import seeded_rng

    torch.manual_seed(0)
    with seeded_rng(0):
        model = get_peft_model(nn.Sequential(nn.Linear(64, 128, bias=False)).to(torch.bfloat16),
                               LoraConfig(r=4, lora_alpha=8, use_dora=True, target_modules=["0"]))
    assert use_fast_adapter_forward(model) == 1
    layer = model.base_model.model[0]
    lora_a, lora_b = layer.lora_A["default"].weight, layer.lora_B["default"].weight
    magnitude = layer.lora_magnitude_vector["default"].weight
    weight = layer.get_base_layer().weight.float()
    with torch.no_grad():
        lora_b.copy_(0.02 * torch.randn(lora_b.shape))
        magnitude.mul_(1 + 1e-3 * torch.randn(magnitude.shape).sign())
        merged = weight + layer.scaling["default"] * lora_b @ lora_a
        scale = magnitude / torch.linalg.vector_norm(merged, dim=1)
        x = torch.randn(4096, 64, dtype=torch.bfloat16)
        adapted = x.float() @ merged.T  # the row-wise scale is all that remains to apply
        output = layer(x).float()
    row_scale = (output * adapted).sum(0) / (adapted * adapted).sum(0)
    assert (row_scale - scale).abs().max() < 5e-4
    assert (scale.bfloat16().float() - scale).abs().max() > 1e-3  # what a * bf16(scale) would cost


def test_what_the_fast_forward_does_not_cover_runs_peft_forward(tokenizer, torch_one_thread):
    peft_model, fast_model = adapted_pair(tokenizer, use_dora=True)
    ids = torch.arange(5, 37)[None]
    with torch.no_grad():
        expected = peft_model(input_ids=ids).logits
        with fast_model.disable_adapter():  # adapters off: the base model alone
            base_only = fast_model(input_ids=ids).logits
        with peft_model.disable_adapter():
            assert torch.allclose(base_only, peft_model(input_ids=ids).logits, atol=1e-6)
        assert not torch.allclose(base_only, expected, atol=1e-3)
        fast_model.eval()
        assert torch.allclose(fast_model(input_ids=ids).logits, expected, atol=1e-5)
        merged = fast_model.merge_and_unload()  # PEFT's merge still works on the swapped classes
        assert torch.allclose(merged(input_ids=ids).logits, expected, atol=1e-4)


def test_use_fast_adapter_forward_changes_only_plain_lora_linears(tokenizer):
    from peft.tuners.lora import Linear as LoraLinear

    peft_model, _ = adapted_pair(tokenizer, use_dora=False)
    before = sum(type(m) is LoraLinear for m in peft_model.modules())
    assert use_fast_adapter_forward(peft_model) == before > 0
    assert use_fast_adapter_forward(peft_model) == 0  # already fast
