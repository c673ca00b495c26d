"""One interface over embedding sources: raw pixels, AE codes, CNN pooled features, CLIP images.

Every source maps the same collection table (same rows, same order) to an (N, D) float32 array
saved as ``data/processed/embeddings/<source>.npy`` next to one ``index.csv``. Retrieval,
evaluation and the archive figures then only ever see arrays, so comparing AE codes with CNN
features and CLIP embeddings is a like-for-like comparison on the same paintings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from artdl.core import atomic_path, processed_dir, require_artifact, resolve
from artdl.models import batched, fold_batchnorm

__all__ = [
    "SOURCES",
    "artist_known",
    "checkpoint_info",
    "collection_images",
    "embed_cnn",
    "embed_clip",
    "embed_pixels",
    "embedding_path",
    "embed_source",
    "load_collection",
    "load_embeddings",
    "save_embeddings",
]

SOURCES = ("pixels", "dae", "swae", "cnn", "clip")
PRODUCED_BY = {"dae": "03_autoencode.ipynb", "swae": "03_autoencode.ipynb"}


_NO_ARTIST = re.compile(
    r"^(artist unknown|unknown|anonymous|monogrammist|master of|the master of)\b|;|\bor\b|"
    r"^(north(ern)?|south(ern)?|central)?\s*(flemish|italian|french|dutch|german|netherlandish|bolognese|"
    r"spanish|belgian|tuscan|venetian)$",
    re.IGNORECASE,
)


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
    return np.array([bool(str(n).strip()) and not _NO_ARTIST.search(str(n).strip()) for n in names])


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


def _resized(images: torch.Tensor, size: int) -> torch.Tensor:
    x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
    if x.shape[-1] != size:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(
            0, 1
        )
    return x


def embed_pixels(images: torch.Tensor, size: int = 16) -> np.ndarray:
    """Baseline: the image shrunk to ``size`` px, flattened and centred per image.

    A sanity floor: any learned embedding should beat "paintings with similar colours in similar
    places".
    """
    x = _resized(images, size).flatten(1)
    return (x - x.mean(dim=1, keepdim=True)).numpy().astype(np.float32)


def load_cnn(checkpoint: str | Path | None = None, device: Any = "cpu") -> tuple[Any, tuple, tuple, str]:
    """The classifier backbone without its head: a fine-tuned 02 checkpoint if present, else ImageNet.

    Returns (model, mean, std, description); the model maps images to pooled features (B x D).
    """
    from artdl.models import EFFICIENTNET_LITE0_MEAN, EFFICIENTNET_LITE0_STD, efficientnet_lite0

    if checkpoint and resolve(checkpoint).is_file():
        from artdl.models import feature_extractor, load_classifier

        try:
            classifier, meta = load_classifier(resolve(checkpoint))
        except Exception as err:  # noqa: BLE001 - an unreadable checkpoint falls back to ImageNet, with a note
            print(f"Note: could not use classifier checkpoint {checkpoint} ({err}); using ImageNet weights.")
        else:
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


def embed_cnn(
    images: torch.Tensor,
    size: int = 224,
    checkpoint: str | Path | None = None,
    device: Any = "cpu",
    batch_size: int = 64,
    progress: bool = True,
) -> tuple[np.ndarray, str]:
    """Globally pooled CNN features (1280-d for EfficientNet-Lite0) and a description of the weights.

    Inference only, so the batch norms are folded into their convolutions (:func:`fold_batchnorm`)
    and the model and batches run channels-last: together about twice as fast on a CPU as the
    plain eval model, with the same features (to float rounding).
    """
    model, mean, std, what = load_cnn(checkpoint, device)
    model = fold_batchnorm(model).to(memory_format=torch.channels_last)
    m = torch.tensor(mean).view(1, 3, 1, 1).to(device)
    s = torch.tensor(std).view(1, 3, 1, 1).to(device)

    def forward(x: torch.Tensor) -> torch.Tensor:
        return model(((_resized(x, size) - m) / s).contiguous(memory_format=torch.channels_last))

    return batched(forward, images, batch_size, device, "cnn", progress), what


def embed_clip(
    images: torch.Tensor | pd.DataFrame,
    clip_cfg: Any,
    device: Any = "cpu",
    batch_size: int = 64,
    progress: bool = True,
) -> tuple[np.ndarray, str]:
    """open_clip image embeddings; random weights are created only when ``random_init`` allows it.

    Returns (features, description). A random-weight model is a wiring check, not a CLIP
    measurement, and the description says so.
    """
    from artdl.models import load_clip, quiet_random_init_warning, save_random_clip

    weights = resolve(clip_cfg.weights) if clip_cfg.weights else None
    random = False
    if weights is not None and not weights.is_file():
        if not clip_cfg.random_init:
            raise FileNotFoundError(
                f"CLIP weights {weights} are missing. Put open_clip/OpenAI {clip_cfg.model} weights there "
                f"(see README, autoencode/retrieve), or set retrieve.clip.random_init=true for a wiring check."
            )
        save_random_clip(str(clip_cfg.model), weights, clip_cfg.model_configs)
        random = True
    elif weights is not None and "random" in weights.name:
        random = True
    with quiet_random_init_warning():
        bundle = load_clip(
            str(clip_cfg.model),
            pretrained=None,
            weights=weights,
            device=device,
            config_dir=clip_cfg.model_configs,
            force_quick_gelu=clip_cfg.force_quick_gelu,
        )
    if isinstance(images, pd.DataFrame):  # decode at the model's own input size
        images = collection_images(images, bundle.image_size, progress=progress)
    feats = batched(
        lambda x: bundle.encode_image(_resized(x, bundle.image_size).to(device)),
        images,
        batch_size,
        device,
        "clip",
        progress,
    )
    what = f"open_clip {clip_cfg.model}" + (
        " RANDOM weights (wiring check only)" if random else f" weights {weights}"
    )
    return feats, what


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


def embed_source(
    source: str, cfg: Any, table: pd.DataFrame, device: Any = "cpu", progress: bool = True
) -> tuple[np.ndarray, str]:
    """The one entry point: (features, description) of ``source`` for the collection ``table``.

    ``dae``/``swae`` are read from 03's saved codes; ``pixels``, ``cnn`` and ``clip`` are computed.
    """
    if source in ("dae", "swae"):
        return load_embeddings(source, table), f"{source.upper()} codes from 03_autoencode"
    if source == "pixels":
        return embed_pixels(
            collection_images(table, cfg.autoencode.image_size, progress=progress)
        ), "16-px pixels"
    rc = cfg.retrieve
    if source == "cnn":
        size = rc.cnn.image_size
        images = collection_images(table, size, progress=progress)
        return embed_cnn(images, size, rc.cnn.checkpoint, device, progress=progress)
    if source == "clip":
        return embed_clip(table, rc.clip, device, progress=progress)
    raise ValueError(f"Unknown embedding source {source!r}; choose from {SOURCES}.")
