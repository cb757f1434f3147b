"""Sampling programs from a code LM: one interface, pluggable backends.

``SamplingParams``, ``Completion``, ``AdapterRef`` and ``Sampler`` import without torch. Backends
load on first use, so ``from solver.sampler import SamplingParams`` never pulls in torch, and a
vLLM backend can join ``_BACKENDS`` without making vLLM a hard dependency.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from solver.sampler.fence import CLOSING_FENCE, cut_at_fence, with_closing_fence
from solver.sampler.interface import AdapterRef, Completion, Sampler, SamplingParams, params_per_prompt

if TYPE_CHECKING:
    from solver.sampler.transformers_backend import TransformersSampler
    from solver.sampler.vllm_backend import VllmSampler, vllm_available

# Public name -> module that defines it, imported on first attribute access (PEP 562).
_BACKENDS = {
    "TransformersSampler": "solver.sampler.transformers_backend",
    "VllmSampler": "solver.sampler.vllm_backend",
    "vllm_available": "solver.sampler.vllm_backend",
}

__all__ = [
    "CLOSING_FENCE",
    "AdapterRef",
    "Completion",
    "Sampler",
    "SamplingParams",
    "TransformersSampler",
    "VllmSampler",
    "cut_at_fence",
    "params_per_prompt",
    "vllm_available",
    "with_closing_fence",
]


def __getattr__(name: str) -> Any:
    if name in _BACKENDS:
        return getattr(import_module(_BACKENDS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
