"""The artwork table and its fixed train/val/test split (torch lives in :mod:`artdl.data.loaders`).

Every notebook works on one pandas table with at least the columns
``path, title, artist, label, date, source`` (plus ``year`` and whatever the source adds).
It can be built from a crawl's ``metadata.csv``, an ImageFolder tree (folder = label) or the
Art Institute of Chicago ``metadata.csv``. The split is written once to
``data/processed/<dataset>/splits.csv`` with a fixed seed, so every notebook trains, tunes and
tests on the same images.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from artdl.data.pixels import to_rgb
from artdl.data.sources import (
    IMAGE_EXTENSIONS,
    REQUIRED_COLUMNS,
    SPLIT_DIR_NAMES,
    DataError,
    dataset_root,
    dataset_spec,
)

__all__ = [
    "build_table",
    "class_names",
    "clean_artist_name",
    "load_image",
    "parse_year",
    "read_aic",
    "read_crawl",
    "read_hub",
    "read_imagefolder",
    "subset_table",
    "verify_images",
]

log = logging.getLogger(__name__)





# --------------------------------------------------------------------------------------------
# Small parsers
# --------------------------------------------------------------------------------------------
_ATTRIBUTION = re.compile(
    r"^(after|attributed to|circle of|follower of|workshop of|school of|studio of|copy after|"
    r"imitator of|style of|manner of)\s+",
    re.IGNORECASE,
)


def clean_artist_name(raw: str) -> tuple[str, str]:
    """Split an AIC artist string into (name, attribution).

    ``"After Jacobo Bassano (Italian, c. 1510-1592)"`` -> ``("Jacobo Bassano", "after")``.
    The attribution matters: a copy "after X" is not a work by X, so retrieval by artist and an
    influence graph should know about it.
    """
    text = str(raw or "").strip()
    name = re.sub(r"\s*\(.*$", "", text).strip()
    attribution = ""
    m = _ATTRIBUTION.match(name)
    if m:
        attribution = m.group(1).lower()
        name = name[m.end() :].strip()
    return name, attribution


def parse_year(date: Any) -> float:
    """The first four-digit year in a free-text date ("c. 1710", "1872–75"), else NaN."""
    m = re.search(r"(\d{4})", str(date or ""))
    return float(m.group(1)) if m else float("nan")


def _title_from_filename(path: Path, artist_slug: str = "") -> str:
    stem = path.stem
    if artist_slug and stem.startswith(artist_slug + "-"):
        stem = stem[len(artist_slug) + 1 :]
    return stem.replace("-", " ").replace("_", " ").strip().capitalize()


def _finish(table: pd.DataFrame, source: str) -> pd.DataFrame:
    for col in REQUIRED_COLUMNS:
        if col not in table.columns:
            table[col] = ""
    table["source"] = table["source"].replace("", source).fillna(source)
    table["year"] = table["date"].map(parse_year)
    table["label"] = table["label"].astype(str)
    front = REQUIRED_COLUMNS + ["year"]
    return table[front + [c for c in table.columns if c not in front]].reset_index(drop=True)


def _require_dir(root: Path, what: str) -> None:
    if not root.exists():
        raise DataError(
            f"{what} folder {root} does not exist. Check the `root` of this data set in "
            f"configs/default.yaml (or override it, e.g. datasets.<name>.root=/path/to/images); "
            f"a shipped set (configs/sources/<name>.csv) is fetched by `python -m artdl data fetch <name>` "
            f"or found in a local mirror at paths.shared_datasets (../shared/datasets)."
        )
    if not root.is_dir():
        raise DataError(f"{what} {root} is not a folder.")


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------
def read_imagefolder(root: str | os.PathLike[str], label_column: str = "label") -> pd.DataFrame:
    """An ImageFolder tree: ``root/<label>/<image>`` or ``root/{train,val,test}/<label>/<image>``.

    With split sub-folders the given split is kept in ``given_split`` and respected by
    :func:`make_splits`. If ``label_column`` names another column (``artist``, ``genre``) the
    folder name fills it too.
    """
    root = Path(root)
    _require_dir(root, "Image")
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subdirs:
        raise DataError(f"{root} holds no label sub-folders; expected root/<label>/<image files>.")
    split_dirs = [d for d in subdirs if d.name.lower() in SPLIT_DIR_NAMES]
    groups = [(d.name.lower(), d) for d in split_dirs] if split_dirs else [("", root)]
    rows = []
    for given, base in groups:
        for label_dir in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for f in sorted(label_dir.iterdir()):
                if f.suffix.lower() not in IMAGE_EXTENSIONS:
                    continue
                rows.append(
                    {
                        "path": str(f.resolve()),
                        "title": _title_from_filename(f, label_dir.name),
                        "artist": label_dir.name if label_column == "artist" else "",
                        "label": label_dir.name,
                        "date": "",
                        "source": root.name,
                        "given_split": {"valid": "val", "validation": "val"}.get(given, given),
                    }
                )
    if not rows:
        raise DataError(f"No image files ({', '.join(sorted(IMAGE_EXTENSIONS))}) found under {root}.")
    table = pd.DataFrame(rows)
    if not split_dirs:
        table = table.drop(columns="given_split")
    if label_column not in ("label", "artist"):
        table[label_column] = table["label"]
    return _finish(table, root.name)


def read_aic(root: str | os.PathLike[str], label_column: str = "collection") -> pd.DataFrame:
    """The Art Institute of Chicago set: ``metadata.csv`` with id, collection, title, artist, ..."""
    root = Path(root)
    _require_dir(root, "AIC data set")
    meta = root / "metadata.csv"
    if not meta.is_file():
        raise DataError(f"{meta} is missing; the AIC reader needs the metadata.csv that ships with the set.")
    raw = pd.read_csv(meta, dtype=str).fillna("")
    if label_column not in raw.columns:
        raise DataError(f"Label column '{label_column}' is not in {meta}; columns are {list(raw.columns)}.")
    names = raw["artist"].map(clean_artist_name)
    table = pd.DataFrame(
        {
            "path": [str((root / p).resolve()) for p in raw["image"]],
            "title": raw["title"],
            "artist": [n for n, _ in names],
            "label": raw[label_column],
            "date": raw["date"],
            "source": "aic",
            "artist_raw": raw["artist"],
            "attribution": [a for _, a in names],
            "collection": raw["collection"],
            "medium": raw.get("medium", ""),
            "content_id": raw["id"],
        }
    )
    return _finish(table, "aic")


def read_crawl(root: str | os.PathLike[str], label_column: str = "style") -> pd.DataFrame:
    """A crawl written by ``python -m artdl crawl``: ``root/metadata.csv`` with paths relative to root."""
    root = Path(root)
    _require_dir(root, "Crawl output")
    meta = root / "metadata.csv"
    if not meta.is_file():
        raise DataError(
            f"{meta} is missing. Crawl first: `python -m artdl crawl --style impressionism --out {root}` "
            f"(see notebooks/01_crawl.ipynb)."
        )
    raw = pd.read_csv(meta, dtype=str).fillna("")
    missing = [c for c in ("title", "artist", "path", label_column) if c not in raw.columns]
    if missing:
        raise DataError(f"{meta} lacks the columns {missing}; is it a crawl metadata file?")
    table = raw.copy()
    table["path"] = [str((root / p).resolve()) for p in raw["path"]]
    table["label"] = raw[label_column]
    table["source"] = "wikiart"
    return _finish(table, "wikiart")


def read_hub(root: str | os.PathLike[str], label_column: str = "style") -> pd.DataFrame:
    """A hub set fetched by ``python -m artdl data fetch wikiart_full``: ``root/metadata.csv``.

    The table keeps every label column the hub has (``style``, ``genre``, ``artist``), so one fetch
    serves a style classifier, a genre one and an artist-aware split; ``label`` is the configured one.
    """
    root = Path(root)
    _require_dir(root, "Hub data set")
    meta = root / "metadata.csv"
    if not meta.is_file():
        raise DataError(
            f"{meta} is missing: fetch the set first with `python -m artdl data fetch {root.name}` "
            f"(from the Hugging Face hub, or from a local parquet folder: datasets.{root.name}.parquet_dir)."
        )
    raw = pd.read_csv(meta, dtype=str, keep_default_na=False)
    missing = [c for c in ("path", "style", "genre", "artist", label_column) if c not in raw.columns]
    if missing:
        raise DataError(f"{meta} lacks the columns {missing}; is it a table written by `artdl data fetch`?")
    table = raw.copy()
    table["path"] = [str((root / p).resolve()) for p in raw["path"]]
    table["label"] = raw[label_column]
    return _finish(table, "wikiart")


READERS: dict[str, Callable[..., pd.DataFrame]] = {
    "imagefolder": read_imagefolder,
    "aic": read_aic,
    "crawl": read_crawl,
    "hf": read_hub,
}


# --------------------------------------------------------------------------------------------
# Validation, table, splits
# --------------------------------------------------------------------------------------------
def load_image(path: str | os.PathLike[str]) -> Image.Image:
    """Open an image as RGB (greyscale and palette images are converted; 16-bit ones rescaled, not clipped)."""
    with Image.open(path) as im:
        return to_rgb(im)


def _decode_small(path: str | os.PathLike[str]) -> None:
    """Decode the whole file, a JPEG at 1/8 scale: what a training epoch would read, at a fraction of the cost.

    ``Image.verify()`` reads a JPEG's header only, so a file cut off halfway passed it and then
    crashed ``load_image`` mid-epoch. JPEG's draft mode still walks every compressed block (a cut
    raises "image file is truncated"), but skips the full-size inverse DCT and colour conversion.
    """
    with Image.open(path) as im:
        if im.format == "JPEG":
            im.draft(None, (max(1, im.size[0] // 8), max(1, im.size[1] // 8)))
        im.load()


def verify_images(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drop rows whose file is missing or does not decode; warn once with the count.

    Returns the kept rows and the skipped paths. Decoding every image once here (a JPEG at 1/8
    scale, see :func:`_decode_small`) is what lets the ``Dataset`` assume that every row loads. Not
    cached: it runs on every :func:`build_table` (about 1.5 s for the 7,000 JPEGs of wikiart_styles7).
    """
    keep = np.ones(len(table), dtype=bool)
    skipped: list[str] = []
    for i, path in enumerate(table["path"]):
        try:
            _decode_small(path)
        except (FileNotFoundError, UnidentifiedImageError, OSError, SyntaxError, ValueError):
            keep[i] = False
            skipped.append(str(path))
    if skipped:
        shown = ", ".join(Path(p).name for p in skipped[:5])
        more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        warnings.warn(
            f"Skipped {len(skipped)} of {len(table)} images that are missing or corrupt: {shown}{more}.",
            stacklevel=2,
        )
    return table[keep].reset_index(drop=True), skipped


def build_table(cfg: Any, dataset: str | None = None, verify: bool | None = None) -> pd.DataFrame:
    """The artwork table of a configured data set (``data.dataset`` by default).

    A set with ``subset_of: <other set>`` is a view of that set (its files, its fetch): the rows
    whose columns match ``where`` (``{style: [Impressionism]}``), then a ``sample`` of that many
    paintings stratified by ``label``; see :func:`subset_table`.
    """
    spec = dataset_spec(cfg, dataset)
    if spec.get("subset_of"):
        base = build_table(cfg, str(spec.subset_of), verify)
        return subset_table(base, spec, seed=int(cfg.data.split.seed), min_per_label=int(cfg.data.min_per_label))
    fmt = str(spec.format)
    if fmt not in READERS:
        raise DataError(f"Unknown data set format '{fmt}'; use one of {sorted(READERS)}.")
    root = dataset_root(cfg, dataset or str(cfg.data.dataset))
    table = READERS[fmt](root, str(spec.label))
    verify = cfg.data.verify_images if verify is None else verify
    if verify:
        table, _ = verify_images(table)
    if table.empty:
        raise DataError(f"No usable images in data set '{dataset or cfg.data.dataset}' at {root}.")
    return table


def subset_table(table: pd.DataFrame, spec: Any, seed: int = 42, min_per_label: int = 3) -> pd.DataFrame:
    """The rows of ``table`` that a view ``spec`` keeps (``where``, ``label``, ``sample``).

    ``sample: n`` keeps about ``n`` paintings, the same share of every label (each keeps at least
    ``min_per_label``, or all it has), drawn with ``seed``: 03-05 then see the 27 styles of the full set
    in their proportions at a tenth of its cost. Rows keep the base table's order.
    """
    out = table
    for column, wanted in dict(spec.get("where") or {}).items():
        if column not in out.columns:
            raise DataError(f"`where` names the column '{column}', which the table lacks: {list(out.columns)}.")
        values = [str(wanted)] if isinstance(wanted, str) else [str(v) for v in wanted]
        out = out[out[column].astype(str).isin(values)]
    label = str(spec.get("label") or "")
    if label and label != "label":
        if label not in out.columns:
            raise DataError(f"Label column '{label}' is not in the table; columns are {list(out.columns)}.")
        out = out.assign(label=out[label].astype(str))
    n = int(spec.get("sample") or 0)
    if 0 < n < len(out):
        share = n / len(out)
        rng = np.random.default_rng(seed)
        keep: list[int] = []
        for _, rows in out.groupby("label", sort=True):
            take = min(len(rows), max(min_per_label, round(len(rows) * share)))
            keep.extend(rng.choice(rows.index.to_numpy(), size=take, replace=False).tolist())
        out = out.loc[sorted(keep)]
    if out.empty:
        raise DataError(f"The view keeps no rows of its base set: check its `where` ({dict(spec.get('where') or {})}).")
    return out.reset_index(drop=True)


def class_names(table: pd.DataFrame) -> list[str]:
    """Sorted label names: the index of a label in this list is its class id."""
    return sorted(table["label"].astype(str).unique())
