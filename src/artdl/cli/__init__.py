"""The command line (``python -m artdl ...``) and the notebook runner behind ``make run``."""

from __future__ import annotations

from artdl.cli.runner import NotebookFailed, NotebookResult, discover_notebooks, run_notebook, run_pipeline

__all__ = [
    "NotebookFailed",
    "NotebookResult",
    "discover_notebooks",
    "run_notebook",
    "run_pipeline",
]
