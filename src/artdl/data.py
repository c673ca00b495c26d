"""The artwork table, its fixed train/val/test split, and a torch ``Dataset`` over it.

Every notebook works on one pandas table with at least the columns
``path, title, artist, label, date, source`` (plus ``year`` and whatever the source adds).
It can be built from a crawl's ``metadata.csv``, an ImageFolder tree (folder = label) or the
Art Institute of Chicago ``metadata.csv``. The split is written once to
``data/processed/<dataset>/splits.csv`` with a fixed seed, so every notebook trains, tunes and
tests on the same images.
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from artdl.paths import processed_dir, project_root, resolve

__all__ = [
    "IMAGE_EXTENSIONS",
    "REQUIRED_COLUMNS",
    "ArtworkDataset",
    "DataError",
    "balanced_sampler",
    "build_table",
    "cache_resized",
    "cache_tensors",
    "class_names",
    "clean_artist_name",
    "dataset_spec",
    "eval_transform",
    "load_image",
    "load_splits",
    "make_loader",
    "make_splits",
    "parse_year",
    "read_aic",
    "read_crawl",
    "read_imagefolder",
    "train_transform",
    "verify_images",
]

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ["path", "title", "artist", "label", "date", "source"]
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
SPLIT_DIR_NAMES = {"train", "val", "valid", "validation", "test"}
NEAR_DUPLICATE_BITS = 4  # difference-hash distance of look-alikes kept in one split (artdl.dedup)


class DataError(ValueError):
    """The data on disk cannot be used as asked; the message says what to do."""


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


READERS: dict[str, Callable[..., pd.DataFrame]] = {
    "imagefolder": read_imagefolder,
    "aic": read_aic,
    "crawl": read_crawl,
}


def dataset_spec(cfg: Any, name: str | None = None) -> Any:
    """The ``datasets.<name>`` entry of a config (``data.dataset`` when no name is given)."""
    name = name or str(cfg.data.dataset)
    if name not in cfg.datasets:
        raise DataError(
            f"Unknown data set '{name}'. Known: {', '.join(cfg.datasets.keys())}. "
            f"Add it under `datasets:` in a config (root, format, label)."
        )
    return cfg.datasets[name]


# --------------------------------------------------------------------------------------------
# Validation, table, splits
# --------------------------------------------------------------------------------------------
def load_image(path: str | os.PathLike[str]) -> Image.Image:
    """Open an image as RGB (greyscale and palette images are converted)."""
    with Image.open(path) as im:
        return im.convert("RGB")


def verify_images(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drop rows whose file is missing or does not decode; warn once with the count.

    Returns the kept rows and the skipped paths. Decoding every image once here is what lets the
    ``Dataset`` assume that every row loads.
    """
    keep = np.ones(len(table), dtype=bool)
    skipped: list[str] = []
    for i, path in enumerate(table["path"]):
        try:
            with Image.open(path) as im:
                im.verify()
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
    """The artwork table of a configured data set (``data.dataset`` by default)."""
    spec = dataset_spec(cfg, dataset)
    fmt = str(spec.format)
    if fmt not in READERS:
        raise DataError(f"Unknown data set format '{fmt}'; use one of {sorted(READERS)}.")
    from artdl.fetch import dataset_root  # explicit root, else local mirror, else data/raw/<name>

    root = dataset_root(cfg, dataset or str(cfg.data.dataset))
    table = READERS[fmt](root, str(spec.label))
    verify = bool(cfg.data.verify_images) if verify is None else verify
    if verify:
        table, _ = verify_images(table)
    if table.empty:
        raise DataError(f"No usable images in data set '{dataset or cfg.data.dataset}' at {root}.")
    return table


def make_splits(
    table: pd.DataFrame,
    val: float = 0.15,
    test: float = 0.15,
    seed: int = 42,
    min_per_label: int = 3,
    groups: Sequence[int] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Add a stratified ``split`` column (train/val/test) with a fixed seed.

    A given split (``given_split`` from train/ and val/ folders) is respected: the data set's own
    held-out images become ``test`` and the rest is divided into train and val.

    ``groups`` (one id per row, e.g. :func:`artdl.dedup.dataset_groups`) makes the split
    group-aware: look-alikes (re-scans, re-encodings of one painting) go to the same split, since a
    copy on each side of the line would score memory as style. Groups are split, stratified by their
    most common label; with a given split, a group that touches a held-out image joins ``test``.
    The result has a ``group`` column and ``attrs["groups"]``: how many groups were merged.
    """
    from sklearn.model_selection import train_test_split

    if not 0 < val < 1 or not 0 < test < 1 or val + test >= 1:
        raise DataError(f"Split fractions must be in (0, 1) with val + test < 1; got val={val}, test={test}.")
    counts = table["label"].value_counts()
    rare = counts[counts < min_per_label]
    if len(rare):
        listing = ", ".join(f"'{k}' ({v})" for k, v in rare.items())
        raise DataError(
            f"These labels have fewer than {min_per_label} images, too few for a train/val/test split: "
            f"{listing}. Collect more images for them, drop them from the data, or lower data.min_per_label."
        )
    out = table.copy()
    out["split"] = ""
    group_ids = np.arange(len(out)) if groups is None else np.asarray(groups, dtype=np.int64)
    if len(group_ids) != len(out):
        raise DataError(f"groups has {len(group_ids)} ids for {len(out)} rows.")
    out["group"] = group_ids
    # One row per group, labelled by its most common label (ties: the first label in sort order).
    group_label = (
        out.groupby(["group", "label"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["group", "n", "label"], ascending=[True, False, True])
        .drop_duplicates("group")
        .set_index("group")["label"]
    )
    gids = group_label.index.to_numpy()
    glabels = group_label.to_numpy()
    pulled = 0
    if "given_split" in out.columns and out["given_split"].isin(["val", "test"]).any():
        held = out["given_split"].isin(["val", "test"]).to_numpy()
        held_groups = np.unique(group_ids[held])
        in_held_group = np.isin(group_ids, held_groups)
        pulled = int((in_held_group & ~held).sum())  # look-alikes of held-out images join the test split
        out.loc[in_held_group, "split"] = "test"
        pool = ~np.isin(gids, held_groups)
        tr, va = train_test_split(
            gids[pool], test_size=val / (1 - test), random_state=seed, stratify=glabels[pool]
        )
    else:
        pool_idx, te = train_test_split(
            np.arange(len(gids)), test_size=test, random_state=seed, stratify=glabels
        )
        tr, va = train_test_split(
            gids[pool_idx], test_size=val / (1 - test), random_state=seed, stratify=glabels[pool_idx]
        )
        out.loc[np.isin(group_ids, gids[te]), "split"] = "test"
    out.loc[np.isin(group_ids, tr), "split"] = "train"
    out.loc[np.isin(group_ids, va), "split"] = "val"
    sizes = np.bincount(np.unique(group_ids, return_inverse=True)[1])
    out.attrs["groups"] = {
        "images": len(out),
        "groups": len(sizes),
        "merged_groups": int((sizes > 1).sum()),
        "images_in_merged_groups": int(sizes[sizes > 1].sum()),
        "pulled_into_test": pulled,
    }
    return out


def _relative(path: str) -> str:
    try:
        return os.path.relpath(path, project_root())
    except ValueError:  # another drive on Windows
        return path


def load_splits(cfg: Any, dataset: str | None = None, rebuild: bool = False) -> pd.DataFrame:
    """The table with its ``split`` column, read from ``data/processed/<dataset>/splits.csv``.

    The file is written on first use and reused afterwards, so all notebooks share one split. It
    is rebuilt when the split settings or the set of images change (a new crawl, say).
    """
    name = dataset or str(cfg.data.dataset)
    out_dir = processed_dir(name)
    csv_path, meta_path = out_dir / "splits.csv", out_dir / "splits.json"
    from omegaconf import OmegaConf

    settings = {
        "dataset": name,
        "val": float(cfg.data.split.val),
        "test": float(cfg.data.split.test),
        "seed": int(cfg.data.split.seed),
        "label": str(dataset_spec(cfg, name).label),
        # Hamming distance of the near-duplicate groups kept on one side (-1: no grouping).
        "near_duplicates": int(
            OmegaConf.select(cfg, "data.split.near_duplicates", default=NEAR_DUPLICATE_BITS)
        ),
    }
    table = build_table(cfg, name)
    if not rebuild and csv_path.is_file() and meta_path.is_file():
        saved = json.loads(meta_path.read_text())
        if saved.get("settings") == settings and saved.get("n_images") == len(table):
            split = pd.read_csv(csv_path, dtype={"label": str}, keep_default_na=False)
            split["path"] = [str(resolve(p)) for p in split["path"]]
            if set(split["path"]) == set(table["path"]) and "group" in split.columns:
                merged = split.merge(table, on=["path", "label"], how="left", suffixes=("_saved", ""))[
                    list(table.columns) + ["split", "group"]
                ]
                merged.attrs["groups"] = saved.get("groups", {})
                return merged
        log.info("Split settings or images changed; rebuilding %s", csv_path)
    groups = None
    if settings["near_duplicates"] >= 0:
        from artdl.dedup import dataset_groups

        groups = dataset_groups(table, max_distance=settings["near_duplicates"])
    split = make_splits(
        table, settings["val"], settings["test"], settings["seed"], int(cfg.data.min_per_label), groups=groups
    )
    to_save = split[["path", "label", "split", "group"]].copy()
    to_save["path"] = to_save["path"].map(_relative)
    from artdl.utils import atomic_path

    with atomic_path(csv_path) as tmp:
        to_save.to_csv(tmp, index=False)
    with atomic_path(meta_path) as tmp:
        tmp.write_text(
            json.dumps(
                {"settings": settings, "n_images": len(table), "groups": split.attrs["groups"]}, indent=2
            )
        )
    return split


def cache_resized(
    table: pd.DataFrame,
    short_side: int,
    cache_dir: str | os.PathLike[str] | None = None,
    quality: int = 93,
    progress: bool = True,
) -> pd.DataFrame:
    """Write every image once as a JPEG whose short side is ``short_side``; return the table on the copies.

    Decoding a 2000-px crawl image costs far more than the crop a model sees, so training from a
    cache sized a little above the model's input (e.g. 256 px for 224) keeps the data loader ahead of
    the GPU. Images that are already small are copied unchanged in size. Cache files are named by
    a hash of the source path, size and modification time, so a changed source gets a new file; a
    crash leaves no half-written file (each is written to a temp name, then renamed). The original
    path stays in ``source_path``.
    """
    import hashlib

    from tqdm.auto import tqdm

    from artdl.utils import atomic_path

    folder = Path(cache_dir) if cache_dir is not None else processed_dir("cache", f"{short_side}px")
    folder.mkdir(parents=True, exist_ok=True)
    out = table.copy()
    out["source_path"] = out["path"]
    new_paths = []
    for path in tqdm(out["path"], desc=f"cache {short_side}px", disable=not progress, leave=False):
        stat = os.stat(path)
        key = hashlib.sha1(f"{path}|{short_side}|{stat.st_mtime_ns}|{stat.st_size}".encode()).hexdigest()[:20]
        target = folder / f"{key}.jpg"
        if not target.exists():
            image = load_image(path)
            scale = short_side / min(image.size)
            if scale < 1:
                size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
                image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)
            with atomic_path(target) as tmp:
                image.save(tmp, "JPEG", quality=quality)
        new_paths.append(str(target))
    out["path"] = new_paths
    return out


def _square(image: Image.Image, side: int) -> Image.Image:
    """Resize the short side to ``side`` and centre-crop a square (the region eval_transform keeps)."""
    scale = side / min(image.size)
    size = (max(side, round(image.width * scale)), max(side, round(image.height * scale)))
    image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def cache_tensors(
    table: pd.DataFrame,
    side: int = 256,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> tuple[pd.DataFrame, Path]:
    """Decode every image once into one ``(N, 3, side, side)`` uint8 array on disk.

    The fastest cache: a training step then reads a memory-mapped square instead of decoding a
    JPEG, and crops, flips and colour jitter run on uint8 tensors (``train_transform(...,
    tensors=True)``). The price is that each image is kept as its centre square (the region
    ``eval_transform`` uses anyway), so random crops never see a wide painting's far edges.

    Returns the table with a ``tensor_row`` column (its row in the array) and the ``.npy`` path,
    named by a hash of the paths, their sizes and modification times and ``side``: the same table
    reuses the file, a changed one gets a new file. The array is written to a temporary name and
    renamed when complete, so an interrupted run leaves no half-written cache.
    """
    import hashlib

    from tqdm.auto import tqdm

    from artdl.utils import atomic_path

    if side < 8:
        raise ValueError(f"cache side {side} is too small; use e.g. 256 for 224-px training.")
    paths = list(dict.fromkeys(table["path"]))  # unique, in table order
    digest = hashlib.sha1(str(side).encode())
    for path in paths:
        stat = os.stat(path)
        digest.update(f"{path}|{stat.st_mtime_ns}|{stat.st_size}\n".encode())
    folder = Path(cache_dir) if cache_dir is not None else processed_dir("cache", "tensors")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{side}px_{len(paths)}_{digest.hexdigest()[:16]}.npy"
    if not target.is_file():
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as handle:  # open_memmap would add .npy to a temp name without it
                np.lib.format.write_array_header_1_0(
                    handle, {"descr": "|u1", "fortran_order": False, "shape": (len(paths), 3, side, side)}
                )
                for path in tqdm(paths, desc=f"tensor cache {side}px", disable=not progress, leave=False):
                    square = np.asarray(_square(load_image(path), side), dtype=np.uint8)
                    handle.write(np.ascontiguousarray(square.transpose(2, 0, 1)).tobytes())
    rows = {path: i for i, path in enumerate(paths)}
    return table.assign(tensor_row=[rows[p] for p in table["path"]]), target


def class_names(table: pd.DataFrame) -> list[str]:
    """Sorted label names: the index of a label in this list is its class id."""
    return sorted(table["label"].astype(str).unique())


# --------------------------------------------------------------------------------------------
# torch side
# --------------------------------------------------------------------------------------------
def train_transform(
    image_size: int,
    mean: Sequence[float] = (0.485, 0.456, 0.406),
    std: Sequence[float] = (0.229, 0.224, 0.225),
    scale: tuple[float, float] = (0.6, 1.0),
    jitter: float = 0.1,
    tensors: bool = False,
) -> Callable[[Any], Any]:
    """Augmentations that keep a painting a painting: a mild crop, a flip, light colour jitter.

    Heavy colour or hue changes would destroy exactly the cues (palette, brushwork) that style and
    genre depend on, so they are kept small. ``tensors=True`` gives the same augmentations for
    uint8 CHW tensors (the :func:`cache_tensors` path), where they run without a PIL round trip.
    """
    if tensors:
        import torch
        from torchvision.transforms import v2

        return v2.Compose(
            [
                v2.RandomResizedCrop(image_size, scale=scale, ratio=(3 / 4, 4 / 3), antialias=True),
                v2.RandomHorizontalFlip(),
                # Jitter on floats: on uint8 each of its three ops converts to float and back
                # (1.5 vs 1.05 ms per 256-px image on one core).
                v2.ToDtype(torch.float32, scale=True),
                v2.ColorJitter(brightness=jitter, contrast=jitter, saturation=jitter, hue=0.0),
                v2.Normalize(mean, std),
            ]
        )
    from torchvision import transforms as T

    return T.Compose(
        [
            T.RandomResizedCrop(image_size, scale=scale, ratio=(3 / 4, 4 / 3), antialias=True),
            T.RandomHorizontalFlip(),
            T.ColorJitter(brightness=jitter, contrast=jitter, saturation=jitter, hue=0.0),
            T.ToTensor(),
            T.Normalize(mean, std),
        ]
    )


def eval_transform(
    image_size: int,
    mean: Sequence[float] = (0.485, 0.456, 0.406),
    std: Sequence[float] = (0.229, 0.224, 0.225),
    tensors: bool = False,
) -> Callable[[Any], Any]:
    """Resize the short side, then centre-crop a square, then normalise (``tensors``: uint8 CHW in)."""
    if tensors:
        import torch
        from torchvision.transforms import v2

        return v2.Compose(
            [
                v2.Resize(image_size, antialias=True),
                v2.CenterCrop(image_size),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(mean, std),
            ]
        )
    from torchvision import transforms as T

    return T.Compose(
        [
            T.Resize(image_size, antialias=True),
            T.CenterCrop(image_size),
            T.ToTensor(),
            T.Normalize(mean, std),
        ]
    )


class ArtworkDataset:
    """A torch ``Dataset`` over an artwork table: returns ``(image, class_id)``.

    ``classes`` fixes the label order (pass the training classes to val/test sets so ids agree).
    With ``tensors`` (the ``.npy`` of :func:`cache_tensors`, whose table has ``tensor_row``), the
    image is a uint8 CHW tensor read from the memory-mapped cache instead of a decoded file.
    """

    def __init__(
        self,
        table: pd.DataFrame,
        classes: Sequence[str] | None = None,
        transform: Callable[[Any], Any] | None = None,
        tensors: str | os.PathLike[str] | None = None,
    ) -> None:
        self.table = table.reset_index(drop=True)
        self.classes = list(classes) if classes is not None else class_names(self.table)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        unknown = set(self.table["label"].astype(str)) - set(self.class_to_idx)
        if unknown:
            raise DataError(f"Labels {sorted(unknown)} are not in the class list {self.classes}.")
        self.transform = transform
        self.targets = [self.class_to_idx[str(lbl)] for lbl in self.table["label"]]
        self.tensors = Path(tensors) if tensors is not None else None
        if self.tensors is not None and "tensor_row" not in self.table:
            raise DataError("tensors= needs the table returned by data.cache_tensors (tensor_row column).")
        self._array: np.ndarray | None = None  # opened lazily: once per DataLoader worker

    def __len__(self) -> int:
        return len(self.table)

    def _image(self, index: int) -> Any:
        if self.tensors is None:
            return load_image(self.table.at[index, "path"])
        import torch

        if self._array is None:
            self._array = np.load(self.tensors, mmap_mode="r")
        return torch.from_numpy(np.array(self._array[int(self.table.at[index, "tensor_row"])]))

    def __getstate__(self) -> dict[str, Any]:  # workers reopen the memory map themselves
        return {**self.__dict__, "_array": None}

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = self._image(index)
        if self.transform is not None:
            image = self.transform(image)
        return image, self.targets[index]


def balanced_sampler(targets: Sequence[int], num_samples: int | None = None, seed: int = 0) -> Any:
    """A ``WeightedRandomSampler`` that draws every class equally often (weights 1/count)."""
    import torch
    from torch.utils.data import WeightedRandomSampler

    targets_t = torch.as_tensor(list(targets))
    counts = torch.bincount(targets_t).clamp(min=1).double()
    weights = (1.0 / counts)[targets_t]
    generator = torch.Generator().manual_seed(seed)
    return WeightedRandomSampler(
        weights, num_samples or len(targets_t), replacement=True, generator=generator
    )


def make_loader(
    dataset: ArtworkDataset,
    batch_size: int = 32,
    shuffle: bool = False,
    balanced: bool = False,
    num_workers: int = 0,
    seed: int = 0,
    drop_last: bool = False,
) -> Any:
    """A ``DataLoader``; with ``balanced`` it samples classes equally instead of shuffling."""
    import torch
    from torch.utils.data import DataLoader

    sampler = balanced_sampler(dataset.targets, seed=seed) if balanced else None
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
        pin_memory=torch.cuda.is_available(),
        drop_last=drop_last,
        generator=generator,
    )
