"""A faster forward for PEFT's LoRA and DoRA linear layers: same parameters, same outputs.

Why: PEFT computes a layer's adapter branch in the adapter's dtype. Its adapters are float32
(``autocast_adapter_dtype``) while the base model trains in bf16, so every adapted linear layer
casts its input to float32, runs the low-rank matmuls in float32 and, for DoRA, also casts the
whole base weight to float32 and does DoRA's elementwise scaling on float32 copies of the layer's
output. On an H200 that made DoRA training of a 0.5B model run at 0.4x the speed of full training
(BENCHMARKS.md, 2026-12-01), bound by that elementwise float32 traffic rather than by matmuls.

``FastLoraLinear`` keeps PEFT's module, parameters and state dict (so saving, resuming, merging
and exporting are PEFT's own) and replaces only the training forward:

    LoRA:  y = W x + b + s * B (A x)
    DoRA:  y = m / ||W + s B A||_row * (W x + s * B (A x)) + b      (the norm is a constant: DoRA §4.3)

computed in the input's dtype: only A and B (rank x width, small) are cast, the float32 master
copies of the adapter still receive the gradients, and DoRA's row norm is computed in float32 from
the weights, not from activations. What PEFT's forward does that this one does not (dropout,
several active adapters, merged or disabled adapters, mixed-adapter batches, ``fan_in_fan_out``,
LoRA biases) falls back to PEFT's forward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from peft.tuners.lora import Linear as LoraLinear


class FastLoraLinear(LoraLinear):
    """PEFT's ``lora.Linear`` with a forward that runs in the input's dtype; see the module docstring."""

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        name = self._fast_adapter_name(args, kwargs)
        if name is None:
            return super().forward(x, *args, **kwargs)
        base = self.get_base_layer()
        lora_a = self.lora_A[name].weight.to(x.dtype)
        lora_b = self.lora_B[name].weight.to(x.dtype)
        scaling = self.scaling[name]
        low_rank = F.linear(F.linear(x, lora_a), lora_b)
        if name not in self.lora_magnitude_vector:
            return F.linear(x, base.weight, base.bias).add_(low_rank, alpha=scaling)
        # linear's backward needs its input and weight, not its output: adding in place is safe
        adapted = F.linear(x, base.weight).add_(low_rank, alpha=scaling)
        output = adapted * self.dora_scale(name).to(adapted.dtype)
        return output if base.bias is None else output + base.bias.to(output.dtype)

    def dora_scale(self, name: str) -> torch.Tensor:
        """DoRA's per-output factor m / ||W + s B A||, the norm in float32 and detached (no gradient)."""
        weight = self.get_base_layer().weight
        with torch.no_grad():
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
