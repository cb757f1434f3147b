"""The vLLM sampler: the production backend on a GPU, behind the same ``Sampler.generate``.

Job: implement ``Sampler.generate`` with ``vllm.LLM.generate`` (paged attention, continuous
batching, prefix caching), sampling from the base model or a per-task LoRA adapter.

Choices, and why:
- **Token ids in.** Prompts are tokenised here with the model's tokenizer (no special tokens
  added, as the transformers backend does) and passed as ``TokensPrompt``, so both backends
  see the very same ids. The engine loads the same tokenizer from the folder to detokenise.
- **Stop at the closing fence** with ``stop=["```"]`` (a string: the fence may span tokens) and
  the tokenizer's eos (vLLM's own stops come from the model files, which may name another); ``finished`` is vLLM's ``finish_reason == "stop"``, False when ``max_tokens`` cut it.
- **Adapters from disk, a fresh id per version.** vLLM caches LoRA weights by ``lora_int_id``;
  reusing an id after retraining would serve the stale adapter, so ``adapter_for`` writes the
  learner's adapter once per ``lora_id`` (which the learner changes with every weight change)
  and the request carries that id. vLLM serves no DoRA: the learner trains plain (rs)LoRA, and a
  DoRA base from ``make train`` is merged first (``python -m train merge``).
- **One GPU, two users.** The learner keeps its own transformers copy of the base on the same GPU
  for training; ``gpu_memory_utilization`` (default 0.45) leaves it the rest. For the models this
  project serves (5.9M to 0.5B parameters) weights are small next to the KV cache, so a fraction
  is simpler than sleep/wake between phases.
- **Several engines on one GPU start together.** Left to itself an engine sizes its KV cache
  from the free memory it measures while it starts, which another engine starting beside it
  changes (vLLM then fails its profiling check, or takes the wrong size). An engine that shares
  its GPU gets a fixed cache size instead (``kv_cache_memory_bytes``, ``shared_kv_cache_bytes``),
  so nothing it sizes depends on its neighbours and all of them can start at once.
- **Several tasks' requests in one call**: ``generate`` takes prompts with different params and
  adapters in one engine call (``generate_many``), so the GPU samples for several tasks at once.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from solver.sampler.fence import CLOSING_FENCE
from solver.sampler.interface import AdapterRef, Completion, Sampler, SamplingParams, params_per_prompt

logger = logging.getLogger(__name__)


def vllm_available() -> bool:
    """True when vLLM imports and a CUDA GPU is visible: the conditions to pick this backend."""
    try:
        import torch
        import vllm  # noqa: F401
    except ImportError:
        return False
    return torch.cuda.is_available()


GPU_MEMORY_FRACTION = 0.45  # vLLM's share of a GPU it has to itself; the learner trains in the rest
# what an engine holds besides its KV cache and weights: activations of the profiling pass, CUDA
# graphs, LoRA slots (a 0.5B model at rank 32, 8 slots: about 0.3 GiB)
ENGINE_OVERHEAD_BYTES = 1 << 30


def gpu_total_bytes() -> int:
    """The memory of this process's first visible GPU, asked of NVML through vLLM: no CUDA
    context is opened (one would hold about 0.5 GiB in a worker that has no other use for it)."""
    from vllm.platforms import current_platform

    return int(current_platform.get_device_total_memory(0))


def shared_kv_cache_bytes(model_dir: str | Path, memory_fraction: float, total_bytes: int) -> int:
    """The KV cache of an engine that may fill ``memory_fraction`` of a GPU of ``total_bytes``.

    Its share less the weights, the same again for activations that scale with them, and
    ``ENGINE_OVERHEAD_BYTES``. Raises when nothing is left: more workers than the GPU can hold.
    """
    weights = sum(f.stat().st_size for pattern in ("*.safetensors", "*.bin") for f in Path(model_dir).glob(pattern))
    if not weights:
        raise ValueError(f"no weights (*.safetensors, *.bin) in {model_dir}")
    cache = int(memory_fraction * total_bytes) - 2 * weights - ENGINE_OVERHEAD_BYTES
    if cache <= 0:
        raise ValueError(f"{memory_fraction:.3f} of a {total_bytes / 2**30:.0f} GiB GPU leaves no KV cache for {model_dir} "
                         f"({weights / 2**30:.2f} GiB of weights): fewer workers per GPU")
    return cache


class VllmSampler(Sampler):
    """Samples with ``vllm.LLM``; see the module docstring.

    Args:
        model_dir: a Hugging Face model folder (merged: no DoRA adapter).
        tokenizer: the model's tokenizer, used to turn prompts into ids and completions into text.
        max_lora_rank: the largest adapter rank served (the learner's rank must not exceed it).
        gpu_memory_utilization: fraction of the GPU vLLM may take (weights + KV cache).
        max_model_len: longest prompt + completion in tokens; None = the model's.
        enforce_eager: skip CUDA graph capture (faster start-up, slower decoding).
        kv_cache_memory_bytes: a fixed KV cache size instead of one measured from free memory
            (``shared_kv_cache_bytes``): for an engine that shares its GPU with others starting.
        max_loras: adapters held on the GPU at once: the tasks whose requests share a batch.
        dtype: the weights' dtype in vLLM's words ("auto" = the checkpoint's).
        seed: the engine's seed.
    """

    def __init__(
        self,
        model_dir: str | Path,
        tokenizer: Any,
        *,
        max_lora_rank: int = 32,
        gpu_memory_utilization: float = GPU_MEMORY_FRACTION,
        max_model_len: int | None = None,
        enforce_eager: bool = False,
        kv_cache_memory_bytes: int | None = None,
        max_loras: int = 8,
        dtype: str = "auto",
        seed: int = 0,
    ) -> None:
        os.environ.setdefault("VLLM_USE_FLASHINFER_SAMPLER", "0")
        from vllm import LLM

        self.tokenizer = tokenizer
        self._adapter_dir = Path(tempfile.mkdtemp(prefix="vllm-adapters-"))
        self._latest: AdapterRef | None = None  # the adapter version last written
        self.adapters_written = 0
        started = time.perf_counter()
        self.llm = LLM(
            model=str(model_dir),
            enable_lora=True,
            max_lora_rank=max_lora_rank,
            max_loras=max_loras,
            dtype=dtype,
            gpu_memory_utilization=gpu_memory_utilization,
            max_model_len=max_model_len,
            enforce_eager=enforce_eager,
            kv_cache_memory_bytes=kv_cache_memory_bytes,
            enable_prefix_caching=True,
            seed=seed,
        )
        self.startup_s = time.perf_counter() - started
        logger.info("vLLM engine up in %.1f s", self.startup_s)

    def close(self) -> None:
        """Stop the engine's process and delete the adapters written; safe to call twice."""
        if self.llm is not None:
            self.llm.llm_engine.engine_core.shutdown()
            self.llm = None
        shutil.rmtree(self._adapter_dir, ignore_errors=True)

    def adapter_for(self, learner: Any) -> AdapterRef:
        """The learner's current adapter, written to disk once per version (``lora_id``).

        Only the newest version stays on disk: the learner never goes back to an older one, and
        a 12-hour run writes hundreds of versions (35 MB each for a 0.5B model at rank 32).
        """
        ref = learner.adapter_ref
        if self._latest is not None and self._latest.lora_id == ref.lora_id:
            return self._latest
        if self._latest is not None:
            shutil.rmtree(self._adapter_dir / f"v{self._latest.lora_id}", ignore_errors=True)
        self._latest = learner.save_adapter(str(self._adapter_dir / f"v{ref.lora_id}"))
        self.adapters_written += 1
        return self._latest

    def generate(
        self,
        prompts: Sequence[str],
        params: SamplingParams | Sequence[SamplingParams],
        *,
        adapter: AdapterRef | None = None,
    ) -> list[list[Completion]]:
        """Sample completions for every prompt; see ``Sampler.generate``."""
        per_prompt = params_per_prompt(prompts, params)
        return self.generate_many(list(prompts), per_prompt, [adapter] * len(per_prompt))

    def generate_many(
        self,
        prompts: Sequence[str],
        params: Sequence[SamplingParams],
        adapters: Sequence[AdapterRef | None],
    ) -> list[list[Completion]]:
        """One engine call for prompts that may each have their own params and adapter.

        This is how requests of several tasks share the GPU: vLLM batches them all together.
        """
        if self.llm is None:
            raise RuntimeError("this VllmSampler was closed")
        from vllm import SamplingParams as VllmParams
        from vllm.inputs import TokensPrompt
        from vllm.lora.request import LoRARequest

        if not (len(prompts) == len(params) == len(adapters)):
            raise ValueError(f"got {len(prompts)} prompts, {len(params)} params and {len(adapters)} adapters")
        if not prompts:
            return []
        token_ids = self.tokenizer(list(prompts), add_special_tokens=False)["input_ids"]
        requests = [TokensPrompt(prompt_token_ids=ids) for ids in token_ids]
        vllm_params = [
            VllmParams(
                n=p.n,
                temperature=p.temperature,
                top_p=p.top_p if not p.greedy else 1.0,
                max_tokens=p.max_new_tokens,
                seed=p.seed,
                stop=[CLOSING_FENCE],
                stop_token_ids=[self.tokenizer.eos_token_id],  # as normalised by load_chat_tokenizer
            )
            for p in params
        ]
        for ref in adapters:
            if ref is not None and ref.path is None:
                raise ValueError(f"adapter {ref.name!r} has no path: vLLM loads adapters from disk (use adapter_for)")
        lora = [None if ref is None else LoRARequest(ref.name, ref.lora_id, ref.path) for ref in adapters]
        outputs = self.llm.generate(requests, vllm_params, lora_request=lora, use_tqdm=False)
        return [[self._completion(choice) for choice in output.outputs] for output in outputs]

    @staticmethod
    def _completion(choice: Any) -> Completion:
        """vLLM leaves the stop string out of ``text``; eos is not decoded either."""
        return Completion(text=choice.text, num_tokens=len(choice.token_ids), finished=choice.finish_reason == "stop")
