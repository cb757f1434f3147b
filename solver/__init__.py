"""ARC solver: test-time search and learn over programs (hindsight experience replay)."""

__version__ = "0.1.0"
