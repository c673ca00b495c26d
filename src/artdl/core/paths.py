"""Where things live: the project root and the predictable artifact folders.

Every relative path in a config is relative to the project root, not to the current directory,
so a notebook run from ``notebooks/`` and a CLI run from the root read and write the same files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = [
    "MissingArtifactError",
    "configure",
    "data_dir",
    "images_dir",
    "models_dir",
    "processed_dir",
    "project_root",
    "relative",
    "require_artifact",
    "resolve",
    "results_dir",
]


class MissingArtifactError(FileNotFoundError):
    """An artifact that an earlier notebook writes is not there yet."""


def _looks_like_root(path: Path) -> bool:
    return (path / "configs" / "default.yaml").is_file() and (path / "src" / "artdl").is_dir()


def project_root() -> Path:
    """The repository root.

    Order: ``$ARTDL_ROOT``; the first parent of the current directory that holds ``configs/`` and
    ``src/artdl``; the checkout this module was imported from.
    """
    env = os.environ.get("ARTDL_ROOT")
    if env:
        return Path(env).resolve()
    cwd = Path.cwd().resolve()
    for candidate in (cwd, *cwd.parents):
        if _looks_like_root(candidate):
            return candidate
    here = Path(__file__).resolve().parents[3]  # src/artdl/core/paths.py -> the checkout
    if _looks_like_root(here):
        return here
    return cwd


def relative(path: str | os.PathLike[str]) -> str:
    """``path`` relative to the project root when it lies inside it, for printing in notebooks.

    Executed notebooks are committed; an absolute path would show one machine's folders.
    """
    p = Path(path).resolve()
    try:
        return p.relative_to(project_root()).as_posix()
    except ValueError:
        return os.path.relpath(p, project_root())


def resolve(path: str | os.PathLike[str]) -> Path:
    """Absolute path for a config value; relative values are taken from the project root."""
    p = Path(os.path.expanduser(str(path)))
    return p if p.is_absolute() else (project_root() / p).resolve()


# The artifact folders, relative to the project root; ``configure`` sets them from ``paths.*``.
_FOLDERS = {
    "data": "data", "processed": "data/processed", "models": "models", "images": "images", "results": "results",
}  # fmt: skip


def configure(paths_cfg: Any) -> None:
    """Take the artifact folders from a config's ``paths`` section (``load_config`` calls this).

    So ``paths.models=/scratch/models`` on the command line or in a notebook's overrides moves
    every checkpoint the library writes or reads, instead of being accepted and ignored.
    """
    for key in _FOLDERS:
        value = paths_cfg.get(key) if hasattr(paths_cfg, "get") else None
        if value:
            _FOLDERS[key] = str(value)


def data_dir() -> Path:
    """``data/`` (``paths.data``), resolved from the project root: fetched sets go to its ``raw/``."""
    return resolve(_FOLDERS["data"])


def processed_dir(*parts: str) -> Path:
    """``data/processed/<parts>`` (``paths.processed``), created on demand."""
    p = resolve(_FOLDERS["processed"]).joinpath(*parts)
    p.mkdir(parents=True, exist_ok=True)
    return p


def models_dir(step: str) -> Path:
    """``models/<step>/`` (e.g. ``models/classifier``; ``paths.models``), created on demand."""
    p = resolve(_FOLDERS["models"]) / step
    p.mkdir(parents=True, exist_ok=True)
    return p


def results_dir() -> Path:
    """``results/`` (``paths.results``): where the results records of the runs are written."""
    return resolve(_FOLDERS["results"])


def images_dir(step: str) -> Path:
    """``images/<step>/`` (e.g. ``images/02_classify``; ``paths.images``) for a notebook's figures."""
    p = resolve(_FOLDERS["images"]) / step
    p.mkdir(parents=True, exist_ok=True)
    return p


def require_artifact(path: str | os.PathLike[str], produced_by: str) -> Path:
    """Return ``path`` if it exists, else raise an error that says which notebook writes it.

    ``produced_by`` is a notebook prefix such as ``"02"`` or a file name such as
    ``"02_classify.ipynb"``.
    """
    p = resolve(path)
    if not p.exists():
        prefix = produced_by.split("_")[0]
        raise MissingArtifactError(
            f"{p} does not exist. It is written by notebooks/{produced_by}"
            f"{'' if produced_by.endswith('.ipynb') else '*.ipynb'}: "
            f"run `python -m artdl run --only {prefix}` first (or the whole pipeline with `make run`)."
        )
    return p
