"""One interface over embedding sources: raw pixels, AE codes, CNN pooled features, CLIP images.

Every source maps the same collection table (same rows, same order) to an (N, D) float32 array
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

from artdl.paths import processed_dir, require_artifact, resolve
from artdl.utils import atomic_path, autocast

__all__ = [
    "SOURCES",
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


def _artist_key(name: str) -> str:
    """WikiArt folder slugs (``claude-monet``) and AIC names (``Claude Monet``) on one spelling."""
    text = str(name or "").strip()
    if text and text == text.lower() and "-" in text and " " not in text:
        text = " ".join(part.capitalize() for part in text.split("-"))
    return text


def load_collection(cfg: Any, datasets: Sequence[str] | None = None) -> pd.DataFrame:
    """All splits of the configured data sets as one table, with a ``dataset`` column.

    Artist names are put on one spelling so "same artist" works across sources (the WikiArt
    Monets and the AIC Monets are the same painter). Unknown / anonymous artists are kept for
    display but marked ``artist_known=False`` so they are not treated as one prolific painter.
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
    unknown = {
        "",
        "artist unknown",
        "unknown",
        "anonymous",
        "flemish",
        "italian",
        "french",
        "dutch",
        "german",
    }
    table["artist_known"] = ~table["artist"].str.lower().isin(unknown)
    keep = ["path", "title", "artist", "artist_known", "label", "dataset", "split", "year"]
    return table[[c for c in keep if c in table.columns]]


def collection_images(
    table: pd.DataFrame, size: int, cache: bool = True, progress: bool = True
) -> torch.Tensor:
    """uint8 tensor (N, 3, size, size): each painting resized (short side) and centre-cropped.

    Cached as ``data/processed/embeddings/images_<size>.npy`` keyed by the list of paths, so the
    notebooks decode the JPEGs once.
    """
    from PIL import Image
    from tqdm.auto import tqdm

    from artdl.data import load_image

    folder = processed_dir("embeddings")
    cache_file, key_file = folder / f"images_{size}.npy", folder / f"images_{size}.paths.txt"
    paths = list(table["path"].astype(str))
    if cache and cache_file.is_file() and key_file.is_file() and key_file.read_text().splitlines() == paths:
        return torch.from_numpy(np.load(cache_file).copy())
    out = np.zeros((len(paths), 3, size, size), dtype=np.uint8)
    for i, path in enumerate(tqdm(paths, desc=f"images {size}px", disable=not progress, leave=False)):
        image = load_image(path)
        scale = size / min(image.size)
        w, h = max(size, round(image.width * scale)), max(size, round(image.height * scale))
        image = image.resize((w, h), Image.Resampling.BICUBIC)
        left, top = (w - size) // 2, (h - size) // 2
        out[i] = np.asarray(image.crop((left, top, left + size, top + size))).transpose(2, 0, 1)
    if cache:
        with atomic_path(cache_file) as tmp:
            np.save(tmp, out)
        with atomic_path(key_file) as tmp:
            tmp.write_text("\n".join(paths))
    return torch.from_numpy(out)


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


@torch.no_grad()
def _batched(
    fn: Any, x_all: torch.Tensor, batch_size: int, device: Any, desc: str, progress: bool
) -> np.ndarray:
    from tqdm.auto import tqdm

    device = torch.device(device)
    out = []
    for i in tqdm(range(0, len(x_all), batch_size), desc=desc, disable=not progress, leave=False):
        x = x_all[i : i + batch_size].to(device)
        with autocast(device):
            out.append(fn(x).float().cpu())
    return torch.cat(out).numpy().astype(np.float32)


def load_cnn(checkpoint: str | Path | None = None, device: Any = "cpu") -> tuple[Any, tuple, tuple, str]:
    """The classifier backbone without its head: a fine-tuned 02 checkpoint if present, else ImageNet.

    Returns (model, mean, std, description); the model maps images to pooled features (B x D).
    """
    from artdl.models.pretrained import EFFICIENTNET_LITE0_MEAN, EFFICIENTNET_LITE0_STD, efficientnet_lite0

    if checkpoint and resolve(checkpoint).is_file():
        from artdl.models.classifier import feature_extractor, load_classifier

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


def embed_cnn(
    images: torch.Tensor,
    size: int = 224,
    checkpoint: str | Path | None = None,
    device: Any = "cpu",
    batch_size: int = 64,
    progress: bool = True,
) -> tuple[np.ndarray, str]:
    """Globally pooled CNN features (1280-d for EfficientNet-Lite0) and a description of the weights."""
    model, mean, std, what = load_cnn(checkpoint, device)
    m = torch.tensor(mean).view(1, 3, 1, 1).to(device)
    s = torch.tensor(std).view(1, 3, 1, 1).to(device)
    feats = _batched(
        lambda x: model((_resized(x, size) - m) / s), images, batch_size, device, "cnn", progress
    )
    return feats, what


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
    from artdl.vqgan_clip.models import load_clip, save_random_clip

    weights = resolve(clip_cfg.weights) if clip_cfg.weights else None
    random = False
    if weights is not None and not weights.is_file():
        if not bool(clip_cfg.random_init):
            raise FileNotFoundError(
                f"CLIP weights {weights} are missing. Put open_clip/OpenAI {clip_cfg.model} weights there "
                f"(see README, autoencode/retrieve), or set retrieve.clip.random_init=true for a wiring check."
            )
        save_random_clip(str(clip_cfg.model), weights, clip_cfg.model_configs)
        random = True
    elif weights is not None and "random" in weights.name:
        random = True
    bundle = load_clip(
        str(clip_cfg.model),
        pretrained=None,
        weights=weights,
        device=device,
        config_dir=clip_cfg.model_configs,
        force_quick_gelu=bool(clip_cfg.force_quick_gelu),
    )
    if isinstance(images, pd.DataFrame):  # decode at the model's own input size
        images = collection_images(images, bundle.image_size, progress=progress)
    feats = _batched(
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
            collection_images(table, int(cfg.autoencode.image_size), progress=progress)
        ), "16-px pixels"
    rc = cfg.retrieve
    if source == "cnn":
        size = int(rc.cnn.image_size)
        images = collection_images(table, size, progress=progress)
        return embed_cnn(images, size, rc.cnn.checkpoint, device, progress=progress)
    if source == "clip":
        return embed_clip(table, rc.clip, device, progress=progress)
    raise ValueError(f"Unknown embedding source {source!r}; choose from {SOURCES}.")
