"""``python -m solver``: the command line lives in ``solver.cli``."""

from solver.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
