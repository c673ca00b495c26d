"""The collection that every embedding source maps, its decoded images and the saved embeddings.

Every source (:mod:`artdl.retrieve.embedders`: pixels, AE codes, CNN pooled features, CLIP) maps the same collection table (same rows, same order) to an (N, D) float32 array
saved as ``data/processed/embeddings/<source>.npy`` next to one ``index.csv``. Retrieval,
evaluation and the archive figures then only ever see arrays, so comparing AE codes with CNN
features and CLIP embeddings is a like-for-like comparison on the same paintings.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from artdl.core import atomic_path, processed_dir, require_artifact, resolve
from artdl.data import artist_unknown

__all__ = [
    "artist_known",
    "checkpoint_info",
    "collection_images",
    "embedding_path",
    "load_cnn",
    "load_collection",
    "load_embeddings",
    "save_embeddings",
]

PRODUCED_BY = {"dae": "03_autoencode.ipynb", "swae": "03_autoencode.ipynb"}


def _artist_key(name: str) -> str:
    """WikiArt folder slugs (``claude-monet``) and AIC names (``Claude Monet``) on one spelling."""
    text = str(name or "").strip()
    if text and text == text.lower() and "-" in text and " " not in text:
        text = " ".join(part.capitalize() for part in text.split("-"))
    return text


def artist_known(names: Sequence[str]) -> np.ndarray:
    """Whether each name is one identified painter (not "Artist unknown", "Flemish", "Master of X").

    Anonymous works and regional attributions ("Italian; Tuscany", "Netherlandish or German") would
    otherwise act as one prolific painter in same-artist metrics and in the influence graph;
    "Master of Riglos" names a hand but no graph links one, so it is kept out as well.
    """
    return ~artist_unknown(names)  # the data layer's one rule, which artist-disjoint splits use too


def load_collection(cfg: Any, datasets: Sequence[str] | None = None) -> pd.DataFrame:
    """All splits of the configured data sets as one table, with a ``dataset`` column.

    Artist names are put on one spelling so "same artist" works across sources (the WikiArt
    Monets and the AIC Monets are the same painter). Unknown / anonymous artists are kept for
    display but marked ``artist_known=False`` (:func:`artist_known`). AIC's raw attribution
    (``artist_raw``, with life dates) is kept: the influence graph checks birth years with it.
    """
    from artdl.data import load_splits

    names = list(datasets or cfg.autoencode.datasets)
    parts = []
    for name in names:
        table = load_splits(cfg, name).copy()
        table["dataset"] = name
        parts.append(table)
    table = pd.concat(parts, ignore_index=True)
    table["artist"] = table["artist"].map(_artist_key)
    table["artist_known"] = artist_known(table["artist"])
    if "artist_raw" not in table:
        table["artist_raw"] = table["artist"]
    table["artist_raw"] = table["artist_raw"].fillna(table["artist"]).astype(str)
    keep = ["path", "title", "artist", "artist_known", "artist_raw", "label", "dataset", "split", "year"]
    return table[[c for c in keep if c in table.columns]]


def collection_images(
    table: pd.DataFrame, size: int, cache: bool = True, progress: bool = True
) -> torch.Tensor:
    """uint8 tensor (N, 3, size, size): each painting resized (short side) and centre-cropped.

    Read through the data layer's one image cache (:func:`artdl.data.image_cache.cache_tensors`, keyed by path,
    modification time, size and side), so 03, 04, 05 and the classifier decode and crop a painting
    the same way, and a changed file is re-read. ``cache=False`` decodes into memory only (an
    outside query image).
    """
    from artdl.data import cache_tensors, load_image, square

    if not cache:
        return torch.from_numpy(
            np.stack([np.asarray(square(load_image(p), size)).transpose(2, 0, 1) for p in table["path"]])
        )
    rows, file = cache_tensors(table, size, progress=progress)
    array = np.load(file, mmap_mode="r")
    return torch.from_numpy(np.ascontiguousarray(array[rows["tensor_row"].to_numpy()]))


def load_cnn(checkpoint: str | Path | None = None, device: Any = "cpu") -> tuple[Any, tuple, tuple, str]:
    """The classifier backbone without its head: 02's fine-tuned checkpoint when one is named, else ImageNet.

    Returns (model, mean, std, description); the model maps images to pooled features (B x D).
    A checkpoint that is named but missing or unreadable is an error naming the path: falling
    back to ImageNet would report ImageNet features under the fine-tune's name.
    """
    from artdl.models import EFFICIENTNET_LITE0_MEAN, EFFICIENTNET_LITE0_STD, efficientnet_lite0

    if checkpoint:
        from artdl.models import feature_extractor, load_classifier

        path = resolve(checkpoint)
        if not path.is_file():
            raise FileNotFoundError(
                f"Classifier checkpoint {path} does not exist. Train it with 02_classify, or set "
                f'retrieve.cnn.checkpoint="" for ImageNet features.'
            )
        try:
            classifier, meta = load_classifier(path)
        except Exception as err:  # noqa: BLE001 - any unreadable file: say which one and why
            raise ValueError(
                f"Could not read classifier checkpoint {path}: {type(err).__name__}: {err}"
            ) from err
        return (
            feature_extractor(classifier).to(device).eval(),
            tuple(meta["mean"]),
            tuple(meta["std"]),
            f"fine-tuned {meta['backbone']} ({meta.get('dataset', '?')}) from {checkpoint}",
        )
    model = efficientnet_lite0(pretrained=True)
    model.reset_classifier(0)
    return (
        model.to(device).eval(),
        EFFICIENTNET_LITE0_MEAN,
        EFFICIENTNET_LITE0_STD,
        "ImageNet tf_efficientnet_lite0",
    )


def checkpoint_info(checkpoint: str | Path) -> dict[str, Any]:
    """A classifier checkpoint's metadata (dataset, phase, image size ...), or {} when absent or unreadable.

    ``phase == "head"`` means the kept epoch trained only the head: its backbone is still ImageNet's,
    so a "fine-tuned" feature comparison would compare ImageNet with itself.
    """
    path = resolve(checkpoint)
    if not path.is_file():
        return {}
    from artdl.models import load_classifier

    try:
        return dict(load_classifier(path)[1])
    except Exception:  # noqa: BLE001 - unreadable: the caller reports "no usable checkpoint"
        return {}


def embedding_path(source: str) -> Path:
    return processed_dir("embeddings") / f"{source}.npy"


def save_embeddings(source: str, features: np.ndarray, table: pd.DataFrame) -> Path:
    """Write ``<source>.npy`` and the shared ``index.csv`` (row i of the array = row i of the index)."""
    if len(features) != len(table):
        raise ValueError(f"{source}: {len(features)} embeddings for {len(table)} paintings.")
    path = embedding_path(source)
    with atomic_path(path) as tmp:
        np.save(tmp, np.asarray(features, dtype=np.float32))
    index = processed_dir("embeddings") / "index.csv"
    with atomic_path(index) as tmp:
        table.reset_index(drop=True).to_csv(tmp, index_label="row")
    return path


def load_embeddings(source: str, table: pd.DataFrame | None = None) -> np.ndarray:
    """Read a saved embedding; check it matches ``table`` (same paths, same order) when given."""
    path = require_artifact(embedding_path(source), produced_by=PRODUCED_BY.get(source, "04_retrieve.ipynb"))
    feats = np.load(path)
    if table is not None:
        index = pd.read_csv(processed_dir("embeddings") / "index.csv")
        if len(feats) != len(table) or list(index["path"]) != list(table["path"]):
            raise ValueError(
                f"{path} was computed for another collection ({len(feats)} rows). Re-run the notebook "
                f"that produces it ({PRODUCED_BY.get(source, '04_retrieve.ipynb')})."
            )
    return feats
