"""Task sources for training and evaluation: random drawing tasks, the toy evaluation tasks, and
ARC-style tasks from hand-written generators in the barc DSL (with 26 hand-written ARC-AGI-1 solutions)."""

from solver.tasks.barc_generators import GENERATORS as BARC_GENERATORS
from solver.tasks.barc_generators import generate_barc_task
from solver.tasks.generated import GeneratedTask
from solver.tasks.random_drawing import DrawingTaskConfig, generate_drawing_task, task_stream
from solver.tasks.toy import ToyTask, toy_task, toy_task_names

__all__ = [
    "BARC_GENERATORS",
    "DrawingTaskConfig",
    "GeneratedTask",
    "ToyTask",
    "generate_barc_task",
    "generate_drawing_task",
    "task_stream",
    "toy_task",
    "toy_task_names",
]
