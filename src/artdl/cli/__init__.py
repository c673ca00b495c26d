"""The command line (``python -m artdl ...``) and the notebook runner behind ``make run``."""

from __future__ import annotations

from artdl.cli.runner import (
    COLAB_REPOSITORY,
    NotebookFailed,
    NotebookResult,
    cell_timeout,
    colab_badge,
    colab_setup_cell,
    discover_notebooks,
    overrides_from_file,
    run_notebook,
    run_pipeline,
)

__all__ = [
    "COLAB_REPOSITORY",
    "NotebookFailed",
    "NotebookResult",
    "cell_timeout",
    "colab_badge",
    "colab_setup_cell",
    "discover_notebooks",
    "overrides_from_file",
    "run_notebook",
    "run_pipeline",
]
