"""Shared fixtures.

The integration tests use the real painting sets in ``../shared/datasets`` and are skipped with
a message when that folder is absent. Notebooks under test run in an isolated project root (a
temporary folder with links to ``configs/``, ``src/`` and a copy of ``notebooks/``), so a test run
never overwrites the committed notebooks, figures or artifacts.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = Path(
    os.environ.get("ARTDL_SHARED_DATASETS", REPO_ROOT.parent / "shared" / "datasets")
).resolve()


def _require_dataset(name: str) -> Path:
    path = SHARED_DATASETS / name
    if not path.is_dir():
        pytest.skip(
            f"Real painting set {path} is absent: integration tests need ../shared/datasets next to the "
            f"project (or ARTDL_SHARED_DATASETS=/path/to/datasets)."
        )
    return path


@pytest.fixture
def shared_datasets() -> Path:
    """The folder of the real painting sets (skips the test when absent)."""
    if not SHARED_DATASETS.is_dir():
        _require_dataset("")
    return SHARED_DATASETS


@pytest.fixture
def aic_root() -> Path:
    return _require_dataset("aic_paintings")


@pytest.fixture
def louvre_root() -> Path:
    return _require_dataset("louvre_genre")


@pytest.fixture
def impressionists_root() -> Path:
    return _require_dataset("wikiart_impressionists")


@pytest.fixture
def styles7_root() -> Path:
    return _require_dataset("wikiart_styles7")


@pytest.fixture
def isolated_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A throw-away project root: artifacts land in tmp_path, not in the repository."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("configs", "src"):
        (root / name).symlink_to(REPO_ROOT / name, target_is_directory=True)
    shutil.copytree(
        REPO_ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    for name in ("data", "models", "images"):
        (root / name).mkdir()
    monkeypatch.setenv("ARTDL_ROOT", str(root))
    yield root


def shared_override() -> str:
    """The override that points ``paths.shared_datasets`` at the real sets from any root."""
    return f"paths.shared_datasets={SHARED_DATASETS}"


def execute_notebook(root: Path, prefix: str, overrides: Sequence[str] = ()) -> Path:
    """Run ``notebooks/<prefix>_*.ipynb`` of an isolated root with the pipeline runner."""
    from artdl.cli import discover_notebooks, run_notebook

    (nb,) = discover_notebooks(root / "notebooks", only=[prefix])
    result = run_notebook(nb, "default", [shared_override(), *overrides], progress=False)
    return result.output


def colour_split(tmp_path: Path, n_per_class: int = 12, held_out: int = 2) -> pd.DataFrame:
    """A two-class toy set (noisy red and blue squares) written to ``tmp_path``, with ``held_out``
    paintings per class in val and in test: a classifier learns it in a few steps."""
    import numpy as np
    import pandas as pd
    from PIL import Image

    rows = []
    rng = np.random.default_rng(0)
    for label, base in (("red", (200, 40, 40)), ("blue", (40, 40, 200))):
        for i in range(n_per_class):
            arr = np.clip(np.array(base) + rng.normal(0, 25, (40, 40, 3)), 0, 255).astype(np.uint8)
            path = tmp_path / f"{label}{i}.png"
            Image.fromarray(arr).save(path)
            split = (
                "train"
                if i < n_per_class - 2 * held_out
                else ("val" if i < n_per_class - held_out else "test")
            )
            rows.append({"path": str(path), "label": label, "split": split})
    return pd.DataFrame(rows)
