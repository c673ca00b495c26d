"""One interface over embedding sources: autoencoder codes, pretrained CNN features, CLIP images.

Every source returns a float32 array (N, D), one row per row of the collection table, so retrieval
and evaluation code never needs to know where a vector came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from artdl.data import load_image
from artdl.paths import processed_dir, resolve
from artdl.utils import atomic_path

__all__ = [
    "SOURCES",
    "collection_table",
    "load_images",
    "ae_embeddings",
    "cnn_embeddings",
    "clip_embeddings",
    "embed_images",
    "save_embeddings",
    "load_embeddings",
]

SOURCES = ("ae", "cnn", "clip")


def collection_table(cfg: Any, datasets: Sequence[str], limit: int = 0) -> pd.DataFrame:
    """All splits of several data sets as one collection (a ``dataset`` column tells them apart).

    Retrieval works on a whole collection, so the train/val/test split is kept only as a column.
    ``limit`` > 0 keeps a seeded random subset (for quick tests).
    """
    from artdl.data import load_splits

    parts = []
    for name in datasets:
        t = load_splits(cfg, name).copy()
        t["dataset"] = name
        parts.append(t)
    table = pd.concat(parts, ignore_index=True)
    art = table["artist"].fillna("").astype(str)
    # WikiArt folders are slugs ("claude-monet"); title-case them so they match AIC names.
    slug = art.str.fullmatch(r"[a-z]+(-[a-z]+)+")
    table["artist"] = art.where(~slug, art.str.replace("-", " ").str.title())
    if 0 < limit < len(table):
        table = table.sample(limit, random_state=int(cfg.seed)).sort_index().reset_index(drop=True)
    return table


def _to_tensor(image: Any, size: int) -> torch.Tensor:
    from torchvision import transforms as T

    return T.Compose([T.Resize(size, antialias=True), T.CenterCrop(size), T.ToTensor()])(image)


def load_images(paths: Sequence[str], size: int = 64, desc: str = "load images") -> torch.Tensor:
    """Images resized + centre-cropped to ``size``, in [0, 1], stacked as (N, 3, size, size)."""
    return torch.stack([_to_tensor(load_image(p), size) for p in tqdm(list(paths), desc=desc, leave=False)])


def ae_embeddings(model: Any, images: torch.Tensor, device: Any = "cpu") -> np.ndarray:
    """Latent codes of a trained :class:`~artdl.models.autoencoder.ConvAutoencoder`."""
    from artdl.models.autoencoder import encode

    return encode(model, images, device=device).numpy().astype(np.float32)


def _normalise(x: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


@torch.no_grad()
def _batched(
    fn: Any, paths: Sequence[str], size: int, mean: Any, std: Any, batch_size: int, device: Any, desc: str
) -> np.ndarray:
    out = []
    device = torch.device(device)
    for i in tqdm(range(0, len(paths), batch_size), desc=desc, leave=False):
        x = _normalise(load_images(paths[i : i + batch_size], size, desc="batch"), mean, std).to(device)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            out.append(fn(x).float().cpu())
    return torch.cat(out).numpy().astype(np.float32)


def cnn_embeddings(
    paths: Sequence[str],
    image_size: int = 224,
    checkpoint: str | None = None,
    batch_size: int = 32,
    device: Any = "cpu",
) -> np.ndarray:
    """Global-average-pooled features of the classifier backbone.

    If ``checkpoint`` (the fine-tuned classifier of 02_classify) exists and ``artdl.models.classifier``
    is importable, its backbone is used; otherwise the real ImageNet EfficientNet-Lite0 weights.
    """
    from artdl.models.pretrained import EFFICIENTNET_LITE0_MEAN, EFFICIENTNET_LITE0_STD, efficientnet_lite0

    model, mean, std = None, EFFICIENTNET_LITE0_MEAN, EFFICIENTNET_LITE0_STD
    if checkpoint and resolve(checkpoint).exists():
        from artdl.models.classifier import feature_extractor, load_classifier

        try:
            classifier, meta = load_classifier(resolve(checkpoint))
        except Exception as err:  # noqa: BLE001 - an unreadable checkpoint falls back to ImageNet weights
            print(f"CNN features: could not load {checkpoint} ({err}); using ImageNet weights.")
        else:
            model, mean, std = feature_extractor(classifier), meta["mean"], meta["std"]
            print(
                f"CNN features: fine-tuned {meta['backbone']} backbone from {checkpoint} (trained on {meta.get('dataset')})"
            )
    if model is None:
        model = efficientnet_lite0(pretrained=True)
        model.reset_classifier(0)  # timm: forward() now returns pooled features
        print("CNN features: EfficientNet-Lite0 with ImageNet weights (no fine-tuned classifier found).")
    model.to(device).eval()
    return _batched(model, list(paths), image_size, mean, std, batch_size, device, "CNN features")


def clip_model(
    model_name: str = "ViT-S-32", checkpoint: str | None = None, image_size: int = 0
) -> tuple[Any, int, Any, Any, bool]:
    """An open_clip model: weights from ``checkpoint`` if it exists, else random init.

    ``image_size`` > 0 forces a smaller input (fewer ViT patches) for quick CPU wiring checks.
    Returns (model, image_size, mean, std, pretrained). Random weights are only a wiring check.
    """
    import open_clip

    kwargs = {"force_image_size": image_size} if image_size else {}
    model = open_clip.create_model(model_name, pretrained=None, **kwargs)
    pretrained = False
    if checkpoint and resolve(checkpoint).exists():
        state = torch.load(resolve(checkpoint), map_location="cpu", weights_only=False)
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        model.load_state_dict(state)
        pretrained = True
    size = model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else int(size)
    mean = getattr(model.visual, "image_mean", None) or open_clip.OPENAI_DATASET_MEAN
    std = getattr(model.visual, "image_std", None) or open_clip.OPENAI_DATASET_STD
    return model.eval(), size, mean, std, pretrained


def clip_embeddings(
    paths: Sequence[str],
    model_name: str = "ViT-S-32",
    checkpoint: str | None = None,
    batch_size: int = 32,
    device: Any = "cpu",
    image_size: int = 0,
) -> tuple[np.ndarray, bool]:
    """CLIP image embeddings; returns (embeddings, pretrained) so callers can label random-weight runs."""
    model, size, mean, std, pretrained = clip_model(model_name, checkpoint, image_size)
    if not pretrained:
        print(f"CLIP {model_name}: no checkpoint at {checkpoint!r}; RANDOM weights (wiring check only).")
    model.to(device)
    return _batched(
        model.encode_image, list(paths), size, mean, std, batch_size, device, "CLIP features"
    ), pretrained


def embed_images(
    source: str, paths: Sequence[str], cfg: Any, device: Any = "cpu", ae_model: Any = None
) -> np.ndarray:
    """Embed arbitrary image files with a named source (used for queries outside the collection)."""
    r = cfg.retrieve
    if source == "ae":
        if ae_model is None:
            raise ValueError("source='ae' needs the trained autoencoder (ae_model=...).")
        return ae_embeddings(ae_model, load_images(paths, ae_model.image_size), device)
    if source == "cnn":
        return cnn_embeddings(paths, r.cnn_image_size, r.classifier_checkpoint, r.batch_size, device)
    if source == "clip":
        return clip_embeddings(
            paths, r.clip_model, r.clip_checkpoint, r.batch_size, device, r.clip_image_size
        )[0]
    raise ValueError(f"Unknown embedding source {source!r}; choose from {SOURCES}.")


def save_embeddings(name: str, embeddings: np.ndarray, table: pd.DataFrame) -> Path:
    """Write ``data/processed/embeddings/<name>.npy`` and ``<name>_index.csv`` (row i = table row i)."""
    if len(embeddings) != len(table):
        raise ValueError(f"{len(embeddings)} embeddings for {len(table)} table rows")
    out = processed_dir("embeddings")
    with atomic_path(out / f"{name}.npy") as tmp:
        np.save(tmp, embeddings.astype(np.float32), allow_pickle=False)
    cols = [c for c in ("path", "title", "artist", "label", "dataset", "split", "year") if c in table.columns]
    with atomic_path(out / f"{name}_index.csv") as tmp:
        table[cols].to_csv(tmp, index=False)
    return out / f"{name}.npy"


def load_embeddings(name: str, produced_by: str = "03_autoencode.ipynb") -> tuple[np.ndarray, pd.DataFrame]:
    """Read embeddings written by :func:`save_embeddings`, with a clear error when missing."""
    from artdl.paths import require_artifact

    path = require_artifact(processed_dir("embeddings") / f"{name}.npy", produced_by=produced_by)
    index = require_artifact(processed_dir("embeddings") / f"{name}_index.csv", produced_by=produced_by)
    return np.load(path), pd.read_csv(index, keep_default_na=False)
