"""The embedder registry: one base class, one small registered class per embedding source.

In the spirit of timm's model registry and pytorch-grad-cam's ``BaseCAM``: :class:`Embedder` does
what every source shares (decoding the collection at the source's input side, batching over the
cores or the GPU, the device, a features cache keyed by what the features depend on), and each
source is a class of a few lines holding only what differs: its input side, its weights and its
``forward``. :func:`create_embedder` finds a source by its config name (``retrieve.sources``,
``explorer.source``), so 04's retrieval and the collection explorer compute the same features for
the same source; an unknown name is an error that lists the known ones.

Adding a source means one ``@register_embedder`` class here and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from artdl.core import atomic_path, resolve
from artdl.models import batched, fold_batchnorm
from artdl.retrieve.embed import collection_images, load_cnn, load_embeddings

__all__ = [
    "SOURCES",
    "ClipEmbedder",
    "CnnEmbedder",
    "Embedder",
    "PixelEmbedder",
    "SavedCodesEmbedder",
    "create_embedder",
    "embed_source",
    "list_embedders",
    "register_embedder",
]

_REGISTRY: dict[str, type[Embedder]] = {}


def register_embedder(cls: type[Embedder]) -> type[Embedder]:
    """Class decorator: make ``cls`` available to :func:`create_embedder` under ``cls.name``."""
    if not getattr(cls, "name", ""):
        raise TypeError(f"{cls.__name__} needs a class attribute `name` to be registered.")
    _REGISTRY[cls.name] = cls
    return cls


def list_embedders() -> list[str]:
    """The registered source names, in registration order (pixels first: the sanity floor)."""
    return list(_REGISTRY)


def create_embedder(
    source: str, cfg: Any, device: Any = "cpu", progress: bool = True, **options: Any
) -> Embedder:
    """The embedder registered as ``source``, set up from ``cfg``; ``options`` override its config.

    ``create_embedder("cnn", cfg, image_size=224, checkpoint="")`` is ImageNet's CNN at 224 px,
    whatever ``retrieve.cnn`` says.
    """
    if source not in _REGISTRY:
        raise ValueError(f"Unknown embedding source {source!r}; known sources: {', '.join(_REGISTRY)}.")
    return _REGISTRY[source](cfg, device, progress, **options)


class Embedder:
    """Maps a collection table (or its uint8 crops) to an (N, D) float32 array, one row per painting.

    A subclass sets ``name``, the ``input_size`` of the crops it reads and ``description`` (what
    weights it uses, for the notebook's output), and overrides :meth:`forward`.
    """

    name: ClassVar[str] = ""
    batch_size: ClassVar[int] = 64
    random_weights: bool = False  # True: a wiring check only, not a measurement; callers report it

    def __init__(self, cfg: Any, device: Any = "cpu", progress: bool = True) -> None:
        self.cfg = cfg
        self.device = torch.device(device)
        self.progress = progress

    @property
    def input_size(self) -> int:
        """Side in px of the square uint8 crops :meth:`embed_images` reads (0: none, codes are read)."""
        raise NotImplementedError

    @property
    def description(self) -> str:
        raise NotImplementedError

    def settings(self) -> str:
        """What the features depend on besides the paintings (the cache key's header)."""
        return f"size={self.input_size}"

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Features of a batch of float [0, 1] images at ``input_size``, already on ``device``."""
        raise NotImplementedError

    def embed_images(self, images: torch.Tensor) -> np.ndarray:
        """(N, D) float32 features of uint8 (or [0, 1] float) crops (N, 3, s, s), batched over ``device``."""
        size = self.input_size
        return batched(
            lambda x: self.forward(_resized(x, size)),
            images,
            self.batch_size,
            self.device,
            self.name,
            self.progress,
        )

    def embed(self, table: pd.DataFrame, images: torch.Tensor | None = None) -> np.ndarray:
        """Features of ``table``'s paintings; ``images`` are their crops when already decoded."""
        if images is None or images.shape[-1] != self.input_size:
            images = collection_images(table, self.input_size, progress=self.progress)
        return self.embed_images(images)

    def cache_key(self, table: pd.DataFrame) -> list[str]:
        """The lines stored beside cached features: the source and its settings, then every path."""
        return [f"# {self.name} {self.settings()}", *table["path"].astype(str).tolist()]

    def cached(self, table: pd.DataFrame, cache_dir: Path) -> np.ndarray | None:
        """Features of ``table`` cached in ``cache_dir`` by :meth:`embed_cached` with the same key, else None."""
        file = self._cache_file(table, cache_dir)
        keyfile = file.with_suffix(".paths.txt")
        if file.is_file() and keyfile.is_file():
            if keyfile.read_text(encoding="utf-8").splitlines() == self.cache_key(table):
                return np.load(file)
        return None

    def embed_cached(
        self, table: pd.DataFrame, cache_dir: Path, images: torch.Tensor | None = None
    ) -> np.ndarray:
        """:meth:`embed`, reading and writing ``cache_dir/<name>_<N>.npy`` (atomically, key beside it)."""
        hit = self.cached(table, cache_dir)
        if hit is not None:
            return hit
        feats = self.embed(table, images)
        file = self._cache_file(table, cache_dir)
        with atomic_path(file) as tmp:
            np.save(tmp, feats)
        with atomic_path(file.with_suffix(".paths.txt")) as tmp:
            tmp.write_text("\n".join(self.cache_key(table)), encoding="utf-8")
        return feats

    def _cache_file(self, table: pd.DataFrame, cache_dir: Path) -> Path:
        return Path(cache_dir) / f"{self.name}_{len(table)}.npy"


@register_embedder
class PixelEmbedder(Embedder):
    """Baseline: the image shrunk to 16 px, flattened and centred per image.

    A sanity floor: any learned embedding should beat "paintings with similar colours in similar
    places". It reads the crops 03's autoencoders see (``autoencode.image_size``) and runs on the
    CPU in fp32, where a 16-px shrink costs nothing.
    """

    name = "pixels"
    side = 16

    @property
    def input_size(self) -> int:
        return int(self.cfg.autoencode.image_size)

    @property
    def description(self) -> str:
        return f"{self.side}-px pixels"

    def embed_images(self, images: torch.Tensor) -> np.ndarray:
        x = _resized(images, self.side).flatten(1)
        return (x - x.mean(dim=1, keepdim=True)).numpy().astype(np.float32)


class SavedCodesEmbedder(Embedder):
    """An autoencoder's codes, saved by 03 for its collection: read, never computed here."""

    @property
    def input_size(self) -> int:
        return 0

    @property
    def description(self) -> str:
        return f"{self.name.upper()} codes from 03_autoencode"

    def embed(self, table: pd.DataFrame, images: torch.Tensor | None = None) -> np.ndarray:
        return load_embeddings(self.name, table)

    def embed_images(self, images: torch.Tensor) -> np.ndarray:
        raise ValueError(
            f"{self.name} codes exist only for 03's collection; run 03 on it or choose another source."
        )


@register_embedder
class DaeEmbedder(SavedCodesEmbedder):
    name = "dae"


@register_embedder
class SwaeEmbedder(SavedCodesEmbedder):
    name = "swae"


@register_embedder
class CnnEmbedder(Embedder):
    """Globally pooled CNN features (1280-d for EfficientNet-Lite0): 02's fine-tuned backbone or ImageNet's.

    Inference only, so the batch norms are folded into their convolutions (:func:`fold_batchnorm`)
    and the model and batches run channels-last: together about twice as fast on a CPU as the
    plain eval model, with the same features (to float rounding). The model is loaded on first use.
    """

    name = "cnn"

    def __init__(
        self, cfg: Any, device: Any = "cpu", progress: bool = True,
        image_size: int | None = None, checkpoint: str | Path | None = None,
    ) -> None:  # fmt: skip
        super().__init__(cfg, device, progress)
        self.size = int(image_size or cfg.retrieve.cnn.image_size)
        self.checkpoint = cfg.retrieve.cnn.checkpoint if checkpoint is None else checkpoint
        self._loaded: tuple[Any, torch.Tensor, torch.Tensor, str] | None = None

    @property
    def input_size(self) -> int:
        return self.size

    @property
    def description(self) -> str:
        return self._load()[3]

    def settings(self) -> str:
        return f"size={self.size} weights={self.checkpoint or ''}"

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        model, mean, std, _ = self._load()
        return model(((images - mean) / std).contiguous(memory_format=torch.channels_last))

    def _load(self) -> tuple[Any, torch.Tensor, torch.Tensor, str]:
        if self._loaded is None:
            model, mean, std, what = load_cnn(self.checkpoint, self.device)
            model = fold_batchnorm(model).to(memory_format=torch.channels_last)
            m, s = (torch.tensor(v).view(1, 3, 1, 1).to(self.device) for v in (mean, std))
            self._loaded = (model, m, s, what)
        return self._loaded


@register_embedder
class ClipEmbedder(Embedder):
    """open_clip image embeddings (``retrieve.clip``), decoded at the model's own input size.

    Random weights are created only when ``random_init`` allows it, and a model without real
    weights (random, or no weights at all) sets ``random_weights``: a wiring check, not a CLIP
    measurement, and the description says so.
    """

    name = "clip"

    def __init__(self, cfg: Any, device: Any = "cpu", progress: bool = True) -> None:
        super().__init__(cfg, device, progress)
        self.clip_cfg = cfg.retrieve.clip
        self.weights = resolve(self.clip_cfg.weights) if self.clip_cfg.weights else None
        self.pretrained = self.clip_cfg.get("pretrained") or None  # an open_clip tag, where configured
        self._bundle: Any = None

    @property
    def input_size(self) -> int:
        return int(self._load().image_size)

    @property
    def description(self) -> str:
        return str(self._load().description)

    def settings(self) -> str:
        return f"model={self.clip_cfg.model} weights={self.clip_cfg.weights or self.pretrained or ''}"

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self._load().encode_image(images)

    def _load(self) -> Any:
        if self._bundle is None:
            from artdl.models import clip_from_config

            # one rule for weights (a file, an open_clip tag, or random on purpose) with 07's CLIP
            self._bundle = clip_from_config(self.clip_cfg, self.device)
            self.random_weights = bool(self._bundle.random)
        return self._bundle


SOURCES = tuple(_REGISTRY)


def _resized(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (or [0, 1] float) crops as float [0, 1] at ``size`` px (bicubic, only where the side differs)."""
    x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
    if x.shape[-1] != size:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(
            0, 1
        )
    return x


def embed_source(
    source: str, cfg: Any, table: pd.DataFrame, device: Any = "cpu", progress: bool = True
) -> tuple[np.ndarray, str]:
    """(features, description) of ``source`` for the collection ``table``: 04's one call per source.

    ``dae``/``swae`` are read from 03's saved codes; ``pixels``, ``cnn`` and ``clip`` are computed.
    """
    embedder = create_embedder(source, cfg, device, progress)
    return embedder.embed(table), embedder.description
