"""Task sources for training and evaluation: random drawing tasks and the toy evaluation tasks."""

from solver.tasks.generated import GeneratedTask
from solver.tasks.random_drawing import DrawingTaskConfig, generate_drawing_task, task_stream
from solver.tasks.toy import ToyTask, toy_task, toy_task_names

__all__ = [
    "DrawingTaskConfig",
    "GeneratedTask",
    "ToyTask",
    "generate_drawing_task",
    "task_stream",
    "toy_task",
    "toy_task_names",
]
