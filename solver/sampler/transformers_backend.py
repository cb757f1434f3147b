"""The transformers sampler: the reference backend, always installed, used on CPU and as a fallback.

Job: implement ``Sampler.generate`` with ``model.generate``: batched, left-padded prompts with an
attention mask, stopping each row at the closing fence or eos, sampling from the base model or a
named PEFT adapter.

Choices, and why:
- **One row per sample.** Each of a prompt's ``n`` samples is its own row, so a batch can mix
  prompts and ``n`` can exceed the batch size. When every row of a batch has the same prompt (the
  search loop's case: n samples of one task), the prompt is prefilled once and its KV cache
  repeated for the rows: same samples for the same seed, and 32 samples x 100 tokens after a
  266-token prompt went from 4.6 s to 2.7 s on this project's 2-core CPU. HF generate measured
  553-2,310 new tokens/s on an H200 at batch 32-128 against vLLM's 21,000+ (measurements.md), so
  this backend is for tests and fallback.
- **Greedy runs once per prompt** and the result is copied ``n`` times.
- **Sampled rows of different temperatures share a batch.** A ``generate`` call lasts as long as
  its longest row, so the search loop's two groups (8 at T=0.1, 128 at T=0.9) used to cost three
  calls' worth of steps at batch 64; each row now carries its own temperature
  (``RowTemperatureTopP``) and only top-p, the token limit, the deadline and whether a seed is
  given split batches. On a GPU, where a step of a small model costs about the same for 8 rows or
  256, the default batch is 256: one call per epoch. On a CPU, where every row costs compute, it
  stays 64. (In the HER table's GPU runs it gained nothing measurable: a few samples that run to
  the token limit hold any batch they are in; BENCHMARKS.md.)
- **A trained adapter is sampled from a merged copy** of a float32 model (``_sampling_model``).
- **Rows are batched longest-prompt first** within each group, so a batch pads little. Seeded
  groups run under ``torch.random.fork_rng``: the caller's RNG state is untouched.
- **Every generation setting is explicit** (top-k off, no repetition penalty): transformers fills
  unset values from the model's generation config, and Qwen2.5 instruct checkpoints ship top-k 20,
  top-p 0.8 and a repetition penalty above 1, which would silently change the distribution and
  break parity with a vLLM backend given the same ``SamplingParams``.
- **Stopping** is a stopping criterion that decodes only the last three generated tokens per row
  (the fence is three characters and every byte-level token decodes to at least one), so the cost
  per step does not grow with the completion.
"""

from __future__ import annotations

import copy
import inspect
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList, StoppingCriteria, StoppingCriteriaList
from transformers.generation.logits_process import TopPLogitsWarper

from solver.models.rng import seeded_rng
from solver.sampler.fence import CLOSING_FENCE, cut_at_fence
from solver.sampler.interface import AdapterRef, Completion, Sampler, SamplingParams, params_per_prompt

logger = logging.getLogger(__name__)

# Tokens decoded per row and step to look for the fence; see the module docstring.
FENCE_WINDOW_TOKENS = len(CLOSING_FENCE)


class FenceOrEosStop(StoppingCriteria):
    """Stops each row at its first closing fence or eos token, and records where it stopped.

    ``finished_at[row]`` is the number of generated tokens when the row stopped (the fence or
    eos token included), or None while it runs.
    """

    def __init__(self, tokenizer, prompt_width: int, eos_ids: set[int], batch_size: int) -> None:
        self.tokenizer = tokenizer
        self.prompt_width = prompt_width
        self.eos_ids = eos_ids
        self.finished_at: list[int | None] = [None] * batch_size

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor | None, **kwargs) -> torch.BoolTensor:
        generated = input_ids.shape[1] - self.prompt_width
        window = min(FENCE_WINDOW_TOKENS, generated)
        tails = input_ids[:, input_ids.shape[1] - window :].tolist()
        for row, tail in enumerate(tails):
            if self.finished_at[row] is not None:
                continue
            if tail[-1] in self.eos_ids or CLOSING_FENCE in self.tokenizer.decode(tail):
                self.finished_at[row] = generated
        done = [position is not None for position in self.finished_at]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class RowTemperatureTopP(LogitsProcessor):
    """Temperature per row, then nucleus (top-p) filtering: transformers' own order and top-p
    warper, with the temperature a column of per-row values instead of one number."""

    def __init__(self, temperatures: list[float], top_p: float) -> None:
        self.temperatures = temperatures
        self.top_p = None if top_p >= 1.0 else TopPLogitsWarper(top_p)
        self._column: torch.Tensor | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._column is None:
            self._column = torch.tensor(self.temperatures, dtype=scores.dtype, device=scores.device)[:, None]
        scores = scores / self._column
        return scores if self.top_p is None else self.top_p(input_ids, scores)


def _batch_key(params: SamplingParams) -> SamplingParams | tuple:
    """Prompts whose rows may share ``generate`` calls: sampled rows differ only in temperature
    (carried per row) and seed (mixed per group; seeded and unseeded prompts never mix); greedy
    rows keep their own params."""
    if params.greedy:
        return params
    return ("sample", params.top_p, params.max_new_tokens, params.deadline, params.seed is None)


def _group_seed(seeds: list[int | None]) -> int | None:
    """One seed for a group of prompts: theirs when they share it, else a fixed mix of the
    distinct seeds in order; None for unseeded prompts."""
    if seeds[0] is None:
        return None
    distinct = list(dict.fromkeys(seeds))
    mixed = distinct[0]
    for seed in distinct[1:]:
        mixed = (mixed * 1_000_003 + seed) % 2**63
    return mixed


def cache_keyword(model) -> str:
    """The keyword that hands a KV cache to ``forward`` and ``generate``: ``cache`` where the
    model's forward takes it (transformers 5.24 here, where ``past_key_values`` warns and is to go
    in 5.40), else ``past_key_values`` (the GPU image's 5.17)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(type(base).forward).parameters else "past_key_values"


class TransformersSampler(Sampler):
    """Samples with ``model.generate``; see the module docstring.

    Args:
        model: a causal LM, or a ``peft.PeftModel`` wrapping one (e.g. ``Learner.model``). The
            sampler puts what it samples from in eval mode; for an ``AdapterRef`` on a float32
            model that is a merged copy and ``model`` is left as it was, else the adapter is
            made active in ``model`` and left so.
        tokenizer: the model's tokenizer; its pad token pads (masked out) and its eos ends rows.
        batch_size: the most rows (samples) per ``model.generate`` call; default 256 on a GPU,
            64 on a CPU (see the module docstring). For a 0.5B model with a 1,000-token prompt,
            136 rows of 1,024 new tokens hold about 3.3 GB of KV cache.
    """

    def __init__(self, model, tokenizer, batch_size: int | None = None) -> None:
        if batch_size is None:
            batch_size = 256 if model.device.type == "cuda" else 64
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        configured = model.generation_config.eos_token_id
        configured = [] if configured is None else [configured] if isinstance(configured, int) else list(configured)
        self.eos_ids = {tokenizer.eos_token_id, *configured}
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.cache_kwarg = cache_keyword(model)
        self._merged = None  # the model with the last adapter merged in (_sampling_model)
        self._merged_key: tuple[str, int] | None = None

    def generate(
        self,
        prompts: Sequence[str],
        params: SamplingParams | Sequence[SamplingParams],
        *,
        adapter: AdapterRef | None = None,
    ) -> list[list[Completion]]:
        """Sample completions for every prompt; see ``Sampler.generate``."""
        per_prompt = params_per_prompt(prompts, params)
        if not prompts:
            return []
        token_ids = self.tokenizer(list(prompts), add_special_tokens=False)["input_ids"]
        groups: dict[SamplingParams | tuple, list[int]] = {}
        for index, item in enumerate(per_prompt):
            groups.setdefault(_batch_key(item), []).append(index)

        results: list[list[Completion]] = [[] for _ in prompts]
        started = time.perf_counter()
        with self._sampling_model(adapter) as model, torch.inference_mode():
            model.eval()
            for indices in groups.values():
                for index, completions in self._generate_group(model, token_ids, indices, per_prompt).items():
                    results[index] = completions
        generated = sum(c.num_tokens for row in results for c in row)
        elapsed_s = time.perf_counter() - started
        rate = generated / max(elapsed_s, 1e-9)
        logger.debug("generated %d tokens in %.2f s (%.0f tok/s)", generated, elapsed_s, rate)
        return results

    def _generate_group(
        self, model, token_ids: list[list[int]], indices: list[int], per_prompt: list[SamplingParams]
    ) -> dict[int, list[Completion]]:
        """Sample every prompt in ``indices`` (one ``_batch_key``); returns completions by prompt index."""
        params = per_prompt[indices[0]]  # top-p, token limit and deadline are the group's
        samples = {index: 1 if params.greedy else per_prompt[index].n for index in indices}
        rows = [(index, sample) for index in indices for sample in range(samples[index])]
        rows.sort(key=lambda row: -len(token_ids[row[0]]))  # stable: equal lengths keep input order
        completions: dict[int, list[Completion]] = {index: [None] * count for index, count in samples.items()}
        with seeded_rng(_group_seed([per_prompt[index].seed for index in indices])):
            for start in range(0, len(rows), self.batch_size):
                chunk = rows[start : start + self.batch_size]
                temperatures = [per_prompt[index].temperature for index, _ in chunk]
                outputs = self._generate_batch(model, [token_ids[index] for index, _ in chunk], params, temperatures)
                for (index, sample), completion in zip(chunk, outputs, strict=True):
                    completions[index][sample] = completion
        if params.greedy:
            completions = {index: found * per_prompt[index].n for index, found in completions.items()}
        return completions

    def _generate_batch(self, model, batch_ids: list[list[int]], params: SamplingParams, temperatures: list[float]) -> list[Completion]:
        """One ``model.generate`` call over left-padded rows, row ``i`` sampled at ``temperatures[i]``."""
        device = model.device
        width = max(len(ids) for ids in batch_ids)
        input_ids = torch.full((len(batch_ids), width), self.pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(batch_ids), width), dtype=torch.long)
        for row, ids in enumerate(batch_ids):
            # Left padding: every row's last prompt token sits at column width - 1, where generation starts.
            input_ids[row, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
            attention_mask[row, width - len(ids) :] = 1

        stop = FenceOrEosStop(self.tokenizer, width, self.eos_ids, len(batch_ids))
        if params.deadline is not None and params.deadline <= time.monotonic():
            return [Completion(text="", num_tokens=0, finished=False) for _ in batch_ids]
        warpers = [] if params.greedy else [RowTemperatureTopP(temperatures, params.top_p)]
        output = model.generate(
            input_ids=input_ids.to(device),
            attention_mask=attention_mask.to(device),
            generation_config=self._generation_config(params),
            logits_processor=LogitsProcessorList(warpers),
            stopping_criteria=StoppingCriteriaList([stop]),
            **{self.cache_kwarg: self._shared_prefix(model, batch_ids)},
        )
        generated = output[:, width:].tolist()
        return [self._completion(tokens, stop.finished_at[row]) for row, tokens in enumerate(generated)]

    def _shared_prefix(self, model, batch_ids: list[list[int]]):
        """The KV cache of the prompt minus its last token, repeated per row, when all rows share
        one prompt of at least two tokens; None otherwise (generate then prefills every row)."""
        first = batch_ids[0]
        if len(batch_ids) < 2 or len(first) < 2 or any(ids != first for ids in batch_ids[1:]):
            return None
        from transformers import DynamicCache

        cache = DynamicCache()
        prefix = torch.tensor([first[:-1]], dtype=torch.long, device=model.device)
        model(input_ids=prefix, use_cache=True, **{self.cache_kwarg: cache})
        cache.batch_repeat_interleave(len(batch_ids))
        return cache

    def _completion(self, tokens: list[int], finished_at: int | None) -> Completion:
        if finished_at is None:
            return Completion(text=self.tokenizer.decode(tokens), num_tokens=len(tokens), finished=False)
        tokens = tokens[:finished_at]
        text_tokens = tokens[:-1] if tokens[-1] in self.eos_ids else tokens
        text, _ = cut_at_fence(self.tokenizer.decode(text_tokens))
        return Completion(text=text, num_tokens=finished_at, finished=True)

    def _generation_config(self, params: SamplingParams) -> GenerationConfig:
        sampling = not params.greedy
        return GenerationConfig(
            max_new_tokens=params.max_new_tokens,
            do_sample=sampling,
            # temperature and top-p are applied per row by RowTemperatureTopP; these stay neutral
            temperature=1.0,
            top_p=1.0,
            # 0 turns top-k off; greedy gets the library default, which it ignores without a warning.
            top_k=0 if sampling else 50,
            typical_p=1.0,
            repetition_penalty=1.0,
            no_repeat_ngram_size=0,
            num_beams=1,
            num_return_sequences=1,
            eos_token_id=sorted(self.eos_ids),
            pad_token_id=self.pad_id,
            max_time=None if params.deadline is None else max(0.0, params.deadline - time.monotonic()),
        )

    @contextmanager
    def _sampling_model(self, adapter: AdapterRef | None) -> Iterator[Any]:
        """The model to sample from: the base for None; for an adapter, a copy of a float32
        model with it merged in, else the PEFT model with the adapter active.

        Why a merged copy: PEFT computes each adapted layer as base + LoRA, more kernels and
        Python per step than the plain layer (on this CPU 1.47x slower at batch 1, 1.27x at 32:
        BENCHMARKS.md). Only for float32 weights: merged into bf16 weights, a small adapter
        update is rounded away in part (drawing model, 2 steps: logits off by 7% of the
        adapter's own effect), and vLLM computes LoRA unmerged too. The copy is made once per
        adapter version (``AdapterRef.lora_id`` changes whenever the weights do).
        """
        from peft import PeftModel

        if not isinstance(self.model, PeftModel):
            if adapter is not None:
                raise ValueError(
                    f"adapter {adapter.name!r} given but the model has no adapters; "
                    "pass adapter=None or sample from a PEFT model such as Learner.model"
                )
            yield self.model
            return
        if adapter is None:
            with self.model.disable_adapter():
                yield self.model
            return
        if adapter.name not in self.model.peft_config:
            if adapter.path is None:
                known = ", ".join(self.model.peft_config)
                raise ValueError(
                    f"adapter {adapter.name!r} is not in the model and has no path; loaded adapters: {known}"
                )
            self.model.load_adapter(adapter.path, adapter_name=adapter.name)
        if next(self.model.parameters()).dtype != torch.float32:
            if self.model.active_adapter != adapter.name:
                self.model.set_adapter(adapter.name)
            yield self.model
            return
        key = (adapter.name, adapter.lora_id)
        if self._merged_key != key:
            self._merged = self._merged_key = None  # free the last copy before making the next
            with torch.no_grad():
                copy_ = copy.deepcopy(self.model)
                copy_.set_adapter(adapter.name)
                self._merged = copy_.merge_and_unload(adapter_names=[adapter.name])
            self._merged_key = key
        yield self._merged
