"""Dry-run reports: report.json, a readable summary and a picture per task."""

from solver.report.pictures import render_epochs, render_grid
from solver.report.summary import TaskReport, write_report

__all__ = ["TaskReport", "render_epochs", "render_grid", "write_report"]
