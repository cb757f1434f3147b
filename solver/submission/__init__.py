"""Attempts, the submission file (written atomically, resumable), scoring and validation."""

from solver.submission.attempts import Candidate, choose_attempts, fallback_attempts, inputs_as_attempts
from solver.submission.scoring import TaskScore, score_submission, validate_submission
from solver.submission.writer import SubmissionWriter, TaskRecord

__all__ = [
    "Candidate",
    "SubmissionWriter",
    "TaskRecord",
    "TaskScore",
    "choose_attempts",
    "fallback_attempts",
    "inputs_as_attempts",
    "score_submission",
    "validate_submission",
]
