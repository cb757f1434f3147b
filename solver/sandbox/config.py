"""The sandbox's settings: pool size, limits per program, and what programs are written in."""

from __future__ import annotations

import math
import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


def usable_cores() -> int:
    """CPU cores this process may run on (the affinity mask, not the machine's total)."""
    return len(os.sched_getaffinity(0))


class SandboxConfig(BaseModel):
    """How programs are run. Validated on construction; unknown fields are errors.

    Attributes:
        workers: worker processes, each running one program at a time. Default: usable cores.
        timeout_s: wall-clock seconds per program over all of its grids, measured by the
            worker from fork to the last result. Grids not finished by then are TIMEOUT.
        cpu_time_s: CPU seconds per program (RLIMIT_CPU in the program's process), a
            backstop behind ``timeout_s``. Default: ceil(timeout_s) + 1, so 2 for the
            default timeout, and never below the wall-clock limit unless set lower.
        memory_mb: address space a program may add on top of what its process already maps
            when it starts (the forked worker: Python + numpy + DSL, about 110 MB of virtual
            memory). A cap on the total would depend on numpy's build; headroom does not.
        dsl: module whose ``__all__`` names are put in every program's namespace. Its
            conventions (``solver.sandbox.conventions``: import alias, fallback entry points,
            transposed grids) are applied by the worker; ``solver.dsl.barc`` has BARC's.
        function_name: the function that each program defines and that is called per grid
            (``transform`` for BARC-style programs, which may name it ``main`` instead).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    workers: int = Field(default_factory=usable_cores)
    timeout_s: float = 1.0
    cpu_time_s: int = 2
    memory_mb: int = 512
    dsl: str = "solver.dsl.drawing"
    function_name: str = "task"

    @model_validator(mode="before")
    @classmethod
    def _derive_cpu_time(cls, data: Any) -> Any:
        """cpu_time_s follows timeout_s unless given: a fixed 2 s would cut a 5 s timeout short."""
        if isinstance(data, dict) and data.get("cpu_time_s") is None:
            timeout_s = data.get("timeout_s", 1.0)
            if isinstance(timeout_s, (int, float)) and timeout_s > 0:
                data = {**data, "cpu_time_s": math.ceil(timeout_s) + 1}
        return data

    @field_validator("workers")
    @classmethod
    def _check_workers(cls, v: int) -> int:
        if not 1 <= v <= 256:
            raise ValueError(f"workers must be in [1, 256], got {v}")
        return v

    @field_validator("timeout_s")
    @classmethod
    def _check_timeout(cls, v: float) -> float:
        if not v > 0:
            raise ValueError(f"timeout_s must be > 0, got {v:g}")
        return v

    @field_validator("cpu_time_s")
    @classmethod
    def _check_cpu_time(cls, v: int) -> int:
        if v < 1:
            raise ValueError(f"cpu_time_s must be >= 1 (whole seconds, RLIMIT_CPU), got {v}")
        return v

    @field_validator("memory_mb")
    @classmethod
    def _check_memory(cls, v: int) -> int:
        if v < 16:
            raise ValueError(f"memory_mb must be >= 16, got {v}")
        return v

    @field_validator("dsl")
    @classmethod
    def _check_dsl(cls, v: str) -> str:
        if not all(part.isidentifier() for part in v.split(".")):
            raise ValueError(f"dsl must be a dotted module name, got {v!r}")
        return v

    @field_validator("function_name")
    @classmethod
    def _check_function_name(cls, v: str) -> str:
        if not v.isidentifier():
            raise ValueError(f"function_name must be a Python identifier, got {v!r}")
        return v
