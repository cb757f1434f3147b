"""Per-task test-time training: one rsLoRA adapter, trained in a plain torch loop, reset per task.

Job: ``Learner`` wraps a base model in PEFT once, then for each task: ``reset()`` (fresh adapter,
fresh optimizer), and ``train(pairs)`` after every search epoch. The sampler samples from the
same model object, naming the adapter with ``learner.adapter_ref``.

Why a plain loop: the original built a new transformers Trainer per epoch and paid 10-16 s of
start-up each time plus 5-10 s to reset PEFT (arc25 §8.3); a raw loop took 7.8 s against 37 s
(arc25 notebook 011). Here a reset re-initialises the adapter tensors in place: the base model
is never reloaded or re-wrapped, and no memory is reallocated.

Ownership: the Learner owns the PEFT wrapper (``learner.model``) and the optimizer. The base
model passed in is modified in place by PEFT (LoRA layers are injected into it); with the adapter
disabled it computes what it computed before, and its weights are never trained.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from solver.learner.config import LearnerConfig
from solver.learner.examples import EncodedExample, encode_example, pad_right
from solver.learner.likelihood import target_log_probs
from solver.models.rng import seeded_rng
from solver.sampler.interface import AdapterRef

logger = logging.getLogger(__name__)

# Process-wide adapter versions: every change of adapter weights gets a new id (vLLM caches by id).
_LORA_IDS = itertools.count(1)


@dataclass(frozen=True)
class TrainStats:
    """What one ``Learner.train`` call did.

    Attributes:
        steps: optimizer steps taken.
        mean_loss: mean over steps of the per-token loss (nats); NaN when no step was taken.
        tokens: tokens fed to the model, prompts included, padding excluded.
        target_tokens: tokens the loss was taken on (programs, fences, eos).
        elapsed_s: wall time of the call, tokenisation included.
        skipped: examples dropped for being longer than ``max_seq_length``.
    """

    steps: int
    mean_loss: float
    tokens: int
    target_tokens: int
    elapsed_s: float
    skipped: int


class Learner:
    """Trains a per-task rsLoRA adapter on (prompt, program) pairs; see the module docstring.

    Args:
        model: the base causal LM, not already a PEFT model.
        tokenizer: its tokenizer (needs an eos token; its pad token, or eos, pads batches).
        config: the training dials; None uses ``LearnerConfig()``.
    """

    def __init__(self, model, tokenizer, config: LearnerConfig | None = None) -> None:
        from peft import LoraConfig, PeftModel, get_peft_model

        if isinstance(model, PeftModel):
            raise ValueError("model is already a PEFT model; pass the base model and sample from learner.model")
        self.config = config if config is not None else LearnerConfig()
        self.tokenizer = tokenizer
        lora = LoraConfig(
            r=self.config.lora_rank,
            lora_alpha=self.config.lora_alpha,
            use_rslora=self.config.use_rslora,
            lora_dropout=self.config.lora_dropout,
            target_modules=list(self.config.target_modules),
            bias="none",
            task_type="CAUSAL_LM",
        )
        self.model = get_peft_model(model, lora, adapter_name=self.config.adapter_name)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.reset()

    @property
    def adapter_ref(self) -> AdapterRef:
        """Names the adapter for ``Sampler.generate``; its ``lora_id`` changes whenever the weights do."""
        return AdapterRef(name=self.config.adapter_name, lora_id=self._lora_id)

    def reset(self, seed: int | None = None) -> None:
        """Give the adapter a fresh initialisation and the optimizer a fresh state.

        LoRA's own init: A from a seeded Kaiming-uniform draw, B zero, so right after a reset the
        model computes exactly what the base model computes. The same seed gives the same
        adapter, so a task's training is reproducible. The caller's RNG state is untouched.

        Args:
            seed: seeds the draw of A; None uses ``config.seed``.
        """
        from peft.tuners.lora import LoraLayer

        name = self.config.adapter_name
        with seeded_rng(self.config.seed if seed is None else seed):
            for module in self.model.modules():
                if isinstance(module, LoraLayer) and name in module.lora_A:
                    module.reset_lora_parameters(name, init_lora_weights=True)
        self.model.set_adapter(name)
        self._parameters = [p for p in self.model.parameters() if p.requires_grad]
        self._optimizer = torch.optim.AdamW(
            self._parameters,
            lr=self.config.learning_rate,
            weight_decay=self.config.weight_decay,
            fused=self.model.device.type == "cuda",
        )
        self._steps_since_reset = 0
        self._lora_id = next(_LORA_IDS)
        self.model.eval()

    def train(self, examples: Sequence[tuple[str, str]], seed: int | None = None, deadline: float | None = None) -> TrainStats:
        """Take one pass over ``examples`` in the given order, up to ``config.batch_size`` per step.

        Args:
            examples: (rendered prompt ending with the "```python\\n" pre-fill, program) pairs.
                The caller orders them (best last, as the original). A program may or may not
                end with the closing fence; the target always ends with the fence and eos.
            seed: seeds torch's RNG for this pass (only LoRA dropout draws from it); None leaves
                the RNG as it is.
            deadline: ``time.monotonic()`` value to end by. After the first step has shown what a
                step costs, the steps that would not fit are dropped from the front, so the pass
                ends on the last (best) examples; no step starts past the deadline. (On a CPU one
                epoch's 28 steps over a 14x14 ARC task took 87 s, past its whole turn.)

        Returns:
            What was done; examples longer than ``config.max_seq_length`` are skipped, counted
            and warned about once per call.
        """
        started = time.perf_counter()
        encoded: list[EncodedExample] = []
        for prompt, completion in examples:
            example = encode_example(self.tokenizer, prompt, completion)
            if len(example.input_ids) <= self.config.max_seq_length:
                encoded.append(example)
        skipped = len(examples) - len(encoded)
        if skipped:
            limit, total = self.config.max_seq_length, len(examples)
            logger.warning("skipped %d of %d examples longer than max_seq_length=%d tokens", skipped, total, limit)

        self.model.set_adapter(self.config.adapter_name)  # the sampler may have activated another one
        losses: list[float] = []
        tokens = target_tokens = 0
        self.model.train()
        batches = self._batches(encoded)
        index = 0
        stepped = False  # a step that raised (OOM) may have changed the weights all the same
        steps_started = time.perf_counter()
        try:
            with seeded_rng(seed):
                while index < len(batches):
                    if deadline is not None:
                        left_s = deadline - time.monotonic()
                        if left_s <= 0:
                            break
                        if losses:  # keep the last batches that fit, at the mean step time so far
                            step_s = (time.perf_counter() - steps_started) / len(losses)
                            index = max(index, len(batches) - int(left_s / step_s))
                            if index >= len(batches):
                                break
                    batch = batches[index]
                    stepped = True
                    losses.append(self._step(batch))
                    tokens += sum(len(example.input_ids) for example in batch)
                    target_tokens += sum(len(example.input_ids) - example.prompt_length for example in batch)
                    index += 1
        finally:
            self.model.eval()
            if stepped:  # new weights, new id: samplers cache by it (vLLM, the merged copy)
                self._lora_id = next(_LORA_IDS)
        return TrainStats(
            steps=len(losses),
            mean_loss=sum(losses) / len(losses) if losses else math.nan,
            tokens=tokens,
            target_tokens=target_tokens,
            elapsed_s=time.perf_counter() - started,
            skipped=skipped,
        )

    def adapter_state(self) -> dict[str, torch.Tensor]:
        """A CPU copy of the adapter's weights: what a later round of the same task goes on from."""
        from peft import get_peft_model_state_dict

        weights = get_peft_model_state_dict(self.model, adapter_name=self.config.adapter_name)
        return {key: value.detach().to("cpu", copy=True) for key, value in weights.items()}

    def load_adapter_state(self, weights: dict[str, torch.Tensor]) -> None:
        """Put weights from ``adapter_state`` back into the adapter (after ``reset``).

        The optimizer keeps the fresh state ``reset`` gave it: AdamW's moments would triple what a
        task's saved state weighs, and the first steps after a load only re-estimate them.
        """
        from peft import set_peft_model_state_dict

        result = set_peft_model_state_dict(self.model, weights, adapter_name=self.config.adapter_name)
        unexpected = getattr(result, "unexpected_keys", [])
        if unexpected:
            raise ValueError(f"adapter weights do not fit this learner's adapter: {unexpected[:3]}")
        self._lora_id = next(_LORA_IDS)

    def save_adapter(self, folder: str) -> AdapterRef:
        """Write the adapter with PEFT's ``save_pretrained`` for backends that load from disk (vLLM).

        Returns:
            An ``AdapterRef`` whose ``path`` is the folder holding ``adapter_config.json``.
        """
        self.model.save_pretrained(folder, selected_adapters=[self.config.adapter_name])
        # PEFT writes a non-"default" adapter into a sub-folder named after it.
        name = self.config.adapter_name
        path = folder if name == "default" else f"{folder.rstrip('/')}/{name}"
        return AdapterRef(name=name, lora_id=self._lora_id, path=path)

    def _batches(self, encoded: list[EncodedExample]) -> list[list[EncodedExample]]:
        """Consecutive examples, at most ``batch_size`` per batch and at most ``max_seq_length``
        tokens once padded to the longest: a step never holds more tokens than one longest
        allowed example, so batching costs no memory headroom (for a 0.5B model at 8k tokens
        each step stays one example), and small models take a fraction of the steps."""
        batches: list[list[EncodedExample]] = []
        current: list[EncodedExample] = []
        longest = 0
        for example in encoded:
            length = len(example.input_ids)
            if current and (len(current) == self.config.batch_size or max(longest, length) * (len(current) + 1) > self.config.max_seq_length):
                batches.append(current)
                current, longest = [], 0
            current.append(example)
            longest = max(longest, length)
        if current:
            batches.append(current)
        return batches

    def _step(self, batch: list[EncodedExample]) -> float:
        """One optimizer step on a right-padded batch; returns its per-token loss."""
        self._optimizer.zero_grad(set_to_none=True)  # a step cut short (OOM) may have left gradients
        input_ids, attention_mask, labels = self._collate(batch)
        log_probs, mask = target_log_probs(self.model, input_ids, attention_mask, labels)
        loss = -log_probs[mask].mean()
        loss.backward()
        if self.config.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(self._parameters, self.config.max_grad_norm)
        warmup = self.config.warmup_steps
        scale = min(1.0, (self._steps_since_reset + 1) / warmup) if warmup else 1.0
        for group in self._optimizer.param_groups:
            group["lr"] = self.config.learning_rate * scale
        self._optimizer.step()
        self._optimizer.zero_grad(set_to_none=True)
        self._steps_since_reset += 1
        return float(loss.detach())

    def _collate(self, batch: list[EncodedExample]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        device = self.model.device
        return tuple(tensor.to(device) for tensor in pad_right(batch, self.pad_id))

