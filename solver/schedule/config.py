"""Settings of the budget scheduler: the budget, what is kept back, and how late a task may run."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_SAFETY_MARGIN_S = 600.0
DEFAULT_GRACE_S = 120.0


class ScheduleConfig(BaseModel):
    """How the time budget is shared among tasks and workers. Validated on construction.

    Attributes:
        budget_s: wall-clock seconds for the whole run, counted from the scheduler's start.
        safety_margin_s: seconds kept back at the end (final write, process shutdown, clock
            skew). Nothing runs after ``budget_s - safety_margin_s``: the hard stop.
        grace_s: how long a task may run past its deadline before its worker is stopped. The
            search loop checks its deadline only between phases (sampling, running, training),
            so it overruns by up to one phase; a task's deadline is at most hard stop - grace.
        min_task_s: a continuation round (round >= 1) is not started with less time than this.
            Round 0 has no floor: every task gets its turn.
        max_rounds: turns per task at most; None: as many as the time allows.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    budget_s: float = Field(gt=0)
    safety_margin_s: float = Field(default=DEFAULT_SAFETY_MARGIN_S, ge=0)
    grace_s: float = Field(default=DEFAULT_GRACE_S, ge=0)
    min_task_s: float = Field(default=10.0, ge=0)
    max_rounds: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _room_left(self) -> ScheduleConfig:
        if self.safety_margin_s + self.grace_s >= self.budget_s:
            raise ValueError(
                f"safety_margin_s + grace_s must be < budget_s, got {self.safety_margin_s:g} + {self.grace_s:g} >= "
                f"{self.budget_s:g}; lower the margin or raise the budget"
            )
        return self

    @property
    def task_time_s(self) -> float:
        """Seconds that task deadlines may span: budget - margin - grace."""
        return self.budget_s - self.safety_margin_s - self.grace_s

    @classmethod
    def for_budget(cls, budget_s: float, safety_margin_s: float | None = None, **kwargs: float | int | None) -> ScheduleConfig:
        """A config whose margin and grace fit small budgets too.

        Defaults: margin min(10 min, 10% of the budget), grace min(2 min, 5% of the budget), so a
        12 h run keeps 10 min + 2 min back and a 6 min dry run 36 s + 18 s.
        """
        margin = min(DEFAULT_SAFETY_MARGIN_S, 0.10 * budget_s) if safety_margin_s is None else safety_margin_s
        kwargs.setdefault("grace_s", min(DEFAULT_GRACE_S, 0.05 * budget_s))
        return cls(budget_s=budget_s, safety_margin_s=margin, **kwargs)
