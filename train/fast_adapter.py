"""A faster forward for PEFT's LoRA and DoRA linear layers: same parameters, the same function in bf16.

Why: PEFT computes a layer's adapter branch in the adapter's dtype. Its adapters are float32
(``autocast_adapter_dtype``) while the base model trains in bf16, so every adapted linear layer
casts its input to float32, runs the low-rank matmuls in float32 and, for DoRA, also casts the
whole base weight to float32 and does DoRA's elementwise scaling on float32 copies of the layer's
output. On an H200 that made DoRA training of a 0.5B model run at 0.4x the speed of full training
(BENCHMARKS.md, 2026-12-01), bound by that elementwise float32 traffic rather than by matmuls.

``FastLoraLinear`` keeps PEFT's module, parameters and state dict (so saving, resuming, merging
and exporting are PEFT's own) and replaces its forward (training and evaluation alike):

    LoRA:  y = W x + b + s * B (A x)
    DoRA:  y = m / ||W + s B A||_row * (W x + s * B (A x)) + b      (the norm is a constant: DoRA §4.3)

computed in the input's dtype: only A and B (rank x width, small) are cast, the float32 master
copies of the adapter still receive the gradients, and DoRA's row norm is computed in float32 from
the weights, not from activations. As with any bf16 compute, outputs are rounded to bf16; DoRA's
scale enters as y = W x + [(scale - 1) W x + scale * s * B A x]: the bracket is small and
computed (and rounded) on its own, then added once, as PEFT adds its float32 DoRA term, so a
magnitude update far below bf16's 2^-8 still changes the outputs (``scale * bf16(W x)`` would
round the scale away up to 4e-3). The base weight is read directly, as PEFT's DoRA does: forward hooks on
the base layer (offloading, ZeRO-3) are not run. What PEFT's forward does that this one does not
(dropout, several active adapters, merged or disabled adapters, mixed-adapter batches,
``fan_in_fan_out``, LoRA biases, LoRA variants other than DoRA) falls back to PEFT's forward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from peft.tuners.lora import Linear as LoraLinear
from peft.tuners.lora.variants import DoraLinearVariant


class FastLoraLinear(LoraLinear):
    """PEFT's ``lora.Linear`` with a forward that runs in the input's dtype; see the module docstring."""

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        name = self._fast_adapter_name(args, kwargs)
        if name is None:
            return super().forward(x, *args, **kwargs)
        base = self.get_base_layer()
        lora_a = self.lora_A[name].weight.to(x.dtype)
        scaling = self.scaling[name]
        if name not in self.lora_magnitude_vector:
            low_rank = F.linear(F.linear(x, lora_a), self.lora_B[name].weight.to(x.dtype))
            # linear's backward needs its input and weight, not its output: adding in place is safe
            return F.linear(x, base.weight, base.bias).add_(low_rank, alpha=scaling)
        scale = self.dora_scale(name)
        # y = W x + [(scale - 1) W x + scale * s * B A x] + b: the bracket is small, so rounding it
        # to bf16 keeps its precision, and W x + bracket is rounded once
        scaled_b = (self.lora_B[name].weight * (scale * scaling)[:, None]).to(x.dtype)
        base_output = F.linear(x, base.weight)
        change = torch.addcmul(F.linear(F.linear(x, lora_a), scaled_b), base_output, (scale - 1).to(x.dtype))
        output = base_output + change.to(base_output.dtype)  # under autocast the change may be float32
        return output if base.bias is None else output + base.bias.to(output.dtype)

    def dora_scale(self, name: str) -> torch.Tensor:
        """DoRA's per-output factor m / ||W + s B A||, the norm in float32 and detached (no gradient)."""
        weight = self.get_base_layer().weight
        with torch.no_grad(), torch.autocast(weight.device.type, enabled=False):  # addmm would run in bf16
            merged = torch.addmm(weight.float(), self.lora_B[name].weight.float(), self.lora_A[name].weight.float(),
                                 alpha=self.scaling[name])
            norm = torch.linalg.vector_norm(merged, dim=1)
        return self.lora_magnitude_vector[name].weight / norm

    def _fast_adapter_name(self, args: tuple, kwargs: dict) -> str | None:
        """The one active adapter this forward can compute, or None where PEFT's forward must run."""
        if args or kwargs or self.disable_adapters or self.merged or self.fan_in_fan_out:
            return None
        active = [name for name in self.active_adapters if name in self.lora_A]
        if len(active) != 1:
            return None
        name = active[0]
        if self.training and not isinstance(self.lora_dropout[name], torch.nn.Identity):
            return None
        if self.lora_B[name].bias is not None:
            return None
        variant = self.lora_variant.get(name)
        if variant is not None and not isinstance(variant, DoraLinearVariant):
            return None
        return name


def use_fast_adapter_forward(model: torch.nn.Module) -> int:
    """Give every plain PEFT ``lora.Linear`` of ``model`` the fast forward; returns how many.

    Only modules whose class is exactly ``lora.Linear`` change (their class becomes the subclass
    ``FastLoraLinear``); quantised or other LoRA layers keep PEFT's.
    """
    changed = 0
    for module in model.modules():
        if type(module) is LoraLinear:
            module.__class__ = FastLoraLinear
            changed += 1
    return changed
