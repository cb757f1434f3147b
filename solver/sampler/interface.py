"""The sampler facade: value objects and the one ``generate`` call every backend implements.

Boundary: prompts go in as already-rendered strings (chat template applied, assistant pre-fill
"```python\\n" included); completions come out as text cut at the closing fence. Nothing here
names torch, transformers or vLLM, so the search loop and the scheduler can import it without
them, and a vLLM backend can slot in beside the transformers one (``TransformersSampler``).

Semantics follow vLLM's offline ``LLM.generate``: one ``SamplingParams`` broadcasts to every
prompt, a list must match the prompts in length, outputs come back in input order; top-k is never
applied (vLLM's default), temperature 0 means greedy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SamplingParams:
    """How to sample completions for one prompt; validated on construction.

    Attributes:
        n: completions per prompt, at least 1.
        temperature: softmax temperature, >= 0; 0 means greedy (then all ``n`` completions are the same).
        top_p: nucleus mass in (0, 1]; 1 keeps the whole distribution.
        max_new_tokens: the most tokens generated per completion, at least 1.
        seed: seeds the sampling RNG for reproducible samples; None draws from the process RNG.
            Samples depend on the seed and on how the backend batches the call's prompts, so the
            same call with the same seed gives the same samples.
        deadline: ``time.monotonic()`` value at which generation stops; rows cut there come back
            unfinished. Bounds the last epoch of a task whose samples are slow (a 30x30 task on a
            CPU took 5 minutes for one epoch). The transformers backend honours it; vLLM, fast
            enough that an epoch is short, ignores it.
    """

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 1024
    seed: int | None = None
    deadline: float | None = None

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be at least 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 = greedy), got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")

    @property
    def greedy(self) -> bool:
        """True when sampling is argmax decoding."""
        return self.temperature == 0


@dataclass(frozen=True)
class Completion:
    """One generated completion.

    Attributes:
        text: the generated text up to, not including, the closing fence (or eos); for an
            unfinished completion, everything generated.
        num_tokens: tokens generated, the fence or eos token included.
        finished: True when generation stopped at the closing fence or at eos; False when it ran
            into ``max_new_tokens`` (the program is then probably truncated).
    """

    text: str
    num_tokens: int
    finished: bool


@dataclass(frozen=True)
class AdapterRef:
    """Names a LoRA adapter to sample with.

    Attributes:
        name: the adapter's name in the model (for PEFT, its ``adapter_name``).
        lora_id: a positive integer that must change whenever the adapter's weights change: vLLM
            caches adapters by id and would otherwise serve stale weights (vLLM issue #42125).
            Uniqueness is the caller's job (``Learner.adapter_ref`` takes care of it).
        path: a folder written by ``save_pretrained`` for backends that load adapters from disk
            (vLLM); None when the adapter lives in the model object already.
    """

    name: str
    lora_id: int
    path: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("name must be a non-empty adapter name")
        if self.lora_id < 1:
            raise ValueError(f"lora_id must be a positive integer, got {self.lora_id}")


class Sampler(ABC):
    """Generates code completions for rendered prompts; one instance per model."""

    def adapter_for(self, learner: Any) -> AdapterRef:
        """The ``AdapterRef`` to sample ``learner``'s current adapter with.

        In-process backends sample the adapter living in the learner's model; a backend that
        loads adapters from disk (vLLM) overrides this to write each adapter version first.
        """
        return learner.adapter_ref

    def close(self) -> None:
        """Release what the backend holds outside this process's memory (engine processes, files).

        In-process backends hold nothing of the kind; vLLM's engine runs in a child process that
        must be stopped before this process exits: ``multiprocessing`` joins its non-daemon
        children at exit, before the engine's own cleanup runs, and would wait forever.
        """

    @abstractmethod
    def generate(
        self,
        prompts: Sequence[str],
        params: SamplingParams | Sequence[SamplingParams],
        *,
        adapter: AdapterRef | None = None,
    ) -> list[list[Completion]]:
        """Sample completions for every prompt.

        Args:
            prompts: rendered prompt strings, tokenised as they are (no special tokens added).
            params: one ``SamplingParams`` for all prompts, or one per prompt.
            adapter: the LoRA adapter to sample with; None samples from the base model.

        Returns:
            One list per prompt, in input order, of ``params.n`` completions each.

        Raises:
            ValueError: on a bare string for ``prompts``, a params list of the wrong length, or an
                adapter the backend cannot find.
        """


def params_per_prompt(
    prompts: Sequence[str], params: SamplingParams | Sequence[SamplingParams]
) -> list[SamplingParams]:
    """Check the ``generate`` arguments and return one ``SamplingParams`` per prompt.

    Raises:
        ValueError: if ``prompts`` is a bare string or ``params`` is a list of the wrong length.
    """
    if isinstance(prompts, str):
        raise ValueError("prompts must be a sequence of prompt strings, got a single str; wrap it in a list")
    if isinstance(params, SamplingParams):
        return [params] * len(prompts)
    params = list(params)
    if len(params) != len(prompts):
        raise ValueError(
            f"params must be one SamplingParams or one per prompt: got {len(params)} params for {len(prompts)} prompts"
        )
    for item in params:
        if not isinstance(item, SamplingParams):
            raise ValueError(f"params must hold SamplingParams, got {type(item).__name__}")
    return params
