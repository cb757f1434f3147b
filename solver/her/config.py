"""Settings of the search-and-learn loop."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SamplingSetting(BaseModel):
    """One group of samples per epoch: ``n`` programs at ``temperature``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    n: int = Field(ge=1)
    temperature: float = Field(ge=0.0)


class HerConfig(BaseModel):
    """How one task is searched and learned.

    The default mixes exploitation and exploration (8 samples at T=0.1 and 128 at T=0.9), which
    took the seed's chick task from 2/9 to 4/5 solved.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    sampling: tuple[SamplingSetting, ...] = (SamplingSetting(n=8, temperature=0.1), SamplingSetting(n=128, temperature=0.9))
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    max_new_tokens: int = Field(default=1024, ge=1)
    max_epochs: int = Field(default=50, ge=1)
    learn: bool = True  # False: pure search with the same sampling budget (the ablation)
    prune: bool = True  # drop program lines that change no output before relabeling
    only_novel: bool = True  # train only on outputs not trained on in an earlier epoch
    seed: int = 0
    # the prompt and program convention of the model: "drawing" (ours) or "barc" (BARC's
    # induction models); it also picks the sandbox's DSL (solver.prompting.PromptFormat)
    prompt_format: Literal["drawing", "barc"] = "drawing"
    # show each sampling batch a fresh rotation/flip/colour permutation of the task
    # (solver.augmentation); outputs are mapped back before they are scored
    augment: bool = False
    # each epoch, choose this many splice partners (the most accurate program, then each time
    # the one right on the most cells the chosen ones get wrong), splice them two at a time
    # (every ordered pair: the first's lines, then the second's that the first lacks), run and
    # keep the results as if sampled (drawing format only); 0: off
    splice: int = Field(default=0, ge=0)

    @field_validator("sampling")
    @classmethod
    def _some_sampling(cls, value: tuple[SamplingSetting, ...]) -> tuple[SamplingSetting, ...]:
        if not value:
            raise ValueError("sampling needs at least one (n, temperature) setting")
        return value

    @field_validator("splice")
    @classmethod
    def _splice_pairs(cls, value: int) -> int:
        if value == 1:
            raise ValueError("splice needs at least 2 programs to pair (0 turns it off)")
        return value

    @property
    def samples_per_epoch(self) -> int:
        return sum(setting.n for setting in self.sampling)
