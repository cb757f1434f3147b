"""Sharing the time budget among tasks and workers; no torch (see ``scheduler`` for the design)."""

from solver.schedule.config import ScheduleConfig
from solver.schedule.driver import Backend, Clock, DriveStats, Finished, MonotonicClock, drive
from solver.schedule.inprocess import InProcessBackend
from solver.schedule.scheduler import Assignment, BudgetScheduler

__all__ = [
    "Assignment",
    "Backend",
    "BudgetScheduler",
    "Clock",
    "DriveStats",
    "Finished",
    "InProcessBackend",
    "MonotonicClock",
    "ScheduleConfig",
    "drive",
]
