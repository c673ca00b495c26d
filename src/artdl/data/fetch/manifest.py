"""Manifests (``configs/sources/<name>.csv``) and where a data set lives on disk.

A manifest row names one file of a set and the public original it is a copy of (repository, pinned
commit, path, sha256, bytes). :func:`dataset_root` is the one place that decides which copy of a set
the rest of artdl reads: an explicit root, the local mirror, or ``data/raw/<name>``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artdl.core import resolve
from artdl.data.sources import DataError

__all__ = [
    "DATASET_INFO",
    "DEFAULT_URL_TEMPLATE",
    "NOTEBOOK_DATASETS",
    "HUB_CARDS",
    "FetchError",
    "ManifestRow",
    "companion_files",
    "datasets_needed",
    "manifest_path",
    "read_manifest",
    "shipped_datasets",
]

DEFAULT_URL_TEMPLATE = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"

# Which data sets each numbered notebook reads, as config keys (a dotted key whose value is a set
# name or a list of names) or literal set names. The runner fetches exactly these before the first
# notebook; a notebook not listed here reads no shipped set.
NOTEBOOK_DATASETS: dict[str, tuple[str, ...]] = {
    "00_data": ("data.dataset",),
    "02_classify": ("classify.dataset",),
    "03_autoencode": ("autoencode.datasets",),
    "04_retrieve": ("autoencode.datasets", "retrieve.styles.dataset", "louvre_genre", "painter_palette"),
    "05_archive": ("autoencode.datasets", "painter_palette"),
    "06_gan": ("gan.dataset",),
}

# What each shipped set is and under which terms: prose only. Every number in the data table
# (files, labels, bytes, commits) is computed from the manifests.
DATASET_INFO: dict[str, dict[str, str]] = {
    "aic_paintings": {
        "what": "Art Institute of Chicago open-access paintings in period collections; titles, artists, dates",
        "terms": "CC0 (public domain)",
    },
    "louvre_genre": {
        "what": "Louvre paintings of the 17th-19th century by genre; own train/val split",
        "label": "genre",
        "terms": "no licence in the source: rights lie with their holders; research and teaching only",
    },
    "wikiart_impressionists": {
        "what": "WikiArt paintings by Claude Monet and Berthe Morisot",
        "terms": "WikiArt images: rights lie with their holders; research and teaching only",
    },
    "wikiart_styles7": {
        "what": "WikiArt paintings, square 224 px, the same number per style; exact duplicates removed",
        "terms": (
            "WikiArt images under WikiArt's terms (source code CC BY-NC-SA 4.0): rights lie with their "
            "holders; non-commercial research and teaching only"
        ),
    },
    "painter_palette": {
        "what": "PainterPalette.csv: painters with influences, teachers, pupils, styles, movements, dates",
        "terms": "MIT (compiled from WikiArt, Art500k and Wikidata)",
    },
    "wikiart_full": {
        "what": (
            "WikiArt at full scale, the field's 27-style benchmark (also genre and artist), streamed from the "
            "Hugging Face hub and shrunk to 256 px on the short side"
        ),
        "terms": (
            "WikiArt images under WikiArt's terms (see the dataset card): rights lie with their holders; "
            "non-commercial research and teaching only"
        ),
    },
}

# A hub set has no manifest to count: its size is what its dataset card states, not measured here
# (no machine of this project reaches the hub). Source: https://huggingface.co/datasets/huggan/wikiart
HUB_CARDS: dict[str, dict[str, Any]] = {
    "wikiart_full": {
        "card": "https://huggingface.co/datasets/huggan/wikiart",
        "rows": 81_444,
        "classes": {"style": 27, "genre": 11, "artist": 129},
    },
}


class FetchError(DataError):
    """A data set could not be fetched; the message names the failing URL and the manual fix."""


@dataclass(frozen=True)
class ManifestRow:
    """One file of a data set and where its original lives."""

    file: str
    repo: str
    commit: str
    path: str
    sha256: str
    bytes: int


def _fetch_cfg(cfg: Any) -> Any:
    return cfg.data.fetch


def manifest_path(cfg: Any, name: str) -> Path:
    """``<data.fetch.manifests>/<name>.csv`` (``configs/sources/<name>.csv``); may not exist."""
    return resolve(str(_fetch_cfg(cfg).manifests)) / f"{name}.csv"


def shipped_datasets(cfg: Any) -> list[str]:
    """Names of the data sets that have a manifest, i.e. that :func:`fetch_dataset` can rebuild."""
    folder = resolve(str(_fetch_cfg(cfg).manifests))
    return sorted(p.stem for p in folder.glob("*.csv") if "." not in p.stem)


def read_manifest(path: str | os.PathLike[str]) -> list[ManifestRow]:
    """The rows of a ``sources.csv`` manifest (extra columns such as ``style`` are ignored)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            ManifestRow(
                file=r["file"],
                repo=r["source_repo"],
                commit=r["source_commit"],
                path=r["source_path"],
                sha256=r["sha256"].lower(),
                bytes=int(r["bytes"]),
            )
            for r in csv.DictReader(fh)
        ]


def companion_files(cfg: Any, name: str) -> list[tuple[Path, str]]:
    """Small committed companions of a set: ``configs/sources/<name>.<file>`` -> ``<root>/<file>``.

    The AIC reader needs ``metadata.csv`` (titles, artists, dates), which is not an image in any
    source repository, so it is committed beside the manifest and copied into a fetched set; the
    data-set table reads its label column from there too, before any set is fetched.
    """
    folder = resolve(str(_fetch_cfg(cfg).manifests))
    prefix = f"{name}."
    return [
        (p, p.name[len(prefix) :])
        for p in sorted(folder.glob(f"{name}.*"))
        if p.name != f"{name}.csv" and p.is_file()
    ]


def datasets_needed(cfg: Any, notebooks: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The data sets the given notebooks read under ``cfg`` (see :data:`NOTEBOOK_DATASETS`)."""
    names: list[str] = []
    for nb in notebooks:
        for item in NOTEBOOK_DATASETS.get(Path(nb).stem, ()):
            if "." in item:
                value: Any = cfg
                for part in item.split("."):
                    value = value.get(part) if value is not None and part in value else None
                values = [] if value is None else [value] if isinstance(value, str) else list(value)
            else:
                values = [item]
            for v in values:
                v = _stored_set(cfg, str(v))
                if v and v not in names:
                    names.append(v)
    return names


def _stored_set(cfg: Any, name: str) -> str:
    """The set whose files a name reads: a view (``subset_of``) reads its base set's."""
    seen = {name}
    while name in cfg.datasets and cfg.datasets[name].get("subset_of"):
        name = str(cfg.datasets[name].subset_of)
        if name in seen:
            raise DataError(f"datasets.{name}.subset_of makes a loop: {sorted(seen)}.")
        seen.add(name)
    return name
