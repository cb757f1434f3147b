"""Per-task test-time training of a LoRA adapter on relabelled programs.

``LearnerConfig`` and the example encoding import without torch; ``Learner``, ``TrainStats``,
``sequence_log_likelihood`` and ``target_log_probs`` load torch on first access.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from solver.learner.config import QWEN2_LINEAR_PROJECTIONS, LearnerConfig
from solver.learner.examples import IGNORE_INDEX, EncodedExample, encode_example, pad_right

if TYPE_CHECKING:
    from solver.learner.learner import Learner, TrainStats
    from solver.learner.likelihood import sequence_log_likelihood, target_log_probs

# Public name -> module that defines it, imported on first attribute access (PEP 562).
_TORCH_NAMES = {
    "Learner": "solver.learner.learner",
    "TrainStats": "solver.learner.learner",
    "sequence_log_likelihood": "solver.learner.likelihood",
    "target_log_probs": "solver.learner.likelihood",
}

__all__ = [
    "IGNORE_INDEX",
    "QWEN2_LINEAR_PROJECTIONS",
    "EncodedExample",
    "Learner",
    "LearnerConfig",
    "TrainStats",
    "encode_example",
    "pad_right",
    "sequence_log_likelihood",
    "target_log_probs",
]


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        return getattr(import_module(_TORCH_NAMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
