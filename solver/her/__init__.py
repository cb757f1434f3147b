"""Search and learn (test-time hindsight experience replay) on one task."""

from solver.her.config import HerConfig, SamplingSetting
from solver.her.loop import EpochMetrics, Found, SearchState, TaskSearchResult, search_and_learn

__all__ = ["EpochMetrics", "Found", "HerConfig", "SamplingSetting", "SearchState", "TaskSearchResult", "search_and_learn"]
