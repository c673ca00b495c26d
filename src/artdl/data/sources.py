"""Where a painting set lives, and the errors and constants every reader of one shares.

A leaf of the data layer: :mod:`artdl.data.table` reads a set from the folder chosen here, and
:mod:`artdl.data.fetch` writes a set into it, so both depend on this module and never on each
other's internals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from artdl.core import resolve

__all__ = [
    "IMAGE_EXTENSIONS",
    "NEAR_DUPLICATE_BITS",
    "REQUIRED_COLUMNS",
    "SPLIT_DIR_NAMES",
    "DataError",
    "dataset_location",
    "dataset_root",
    "dataset_spec",
]

REQUIRED_COLUMNS = ["path", "title", "artist", "label", "date", "source"]
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
SPLIT_DIR_NAMES = {"train", "val", "valid", "validation", "test"}
NEAR_DUPLICATE_BITS = 4  # difference-hash distance of look-alikes kept in one split (artdl.data.dedup)


class DataError(ValueError):
    """The data on disk cannot be used as asked; the message says what to do."""


def dataset_spec(cfg: Any, name: str | None = None) -> Any:
    """The ``datasets.<name>`` entry of a config (``data.dataset`` when no name is given)."""
    name = name or str(cfg.data.dataset)
    if name not in cfg.datasets:
        raise DataError(
            f"Unknown data set '{name}'. Known: {', '.join(cfg.datasets.keys())}. "
            f"Add it under `datasets:` in a config (root, format, label)."
        )
    return cfg.datasets[name]


def dataset_location(cfg: Any, name: str) -> tuple[str, Path]:
    """``(kind, path)`` of a data set: kind is ``root``, ``mirror``, ``raw`` or ``missing``.

    ``missing`` comes with the path that :func:`fetch_dataset` would write to. See
    :func:`dataset_root` for the order.
    """
    root = str(dataset_spec(cfg, name).get("root") or "").strip()
    if root:
        path = resolve(root)
        return ("root" if path.exists() else "missing"), path
    mirror = resolve(str(cfg.paths.shared_datasets)) / name
    if mirror.exists():
        return "mirror", mirror
    raw = resolve(str(cfg.paths.data)) / "raw" / name
    return ("raw" if raw.exists() else "missing"), raw


def dataset_root(cfg: Any, name: str) -> Path:
    """The folder of data set ``name``: the one place every reader of a data set looks.

    Order: ``datasets.<name>.root`` if set (explicit, used even if it does not exist, so that a
    wrong path is reported rather than silently replaced); else ``<paths.shared_datasets>/<name>``
    if it exists (a local mirror); else ``<paths.data>/raw/<name>``, where
    ``python -m artdl data fetch <name>`` writes (returned even when not fetched yet, so that the
    caller's "does not exist" error names the place to put the files). Stable public API.
    """
    return dataset_location(cfg, name)[1]
