"""Hostile programs for the sandbox, as data (see ``catalogue.py``)."""
