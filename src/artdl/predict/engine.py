"""What the trained models say about one painting: its styles, where the network looks, what it is near.

:class:`Predictor` loads 02's classifier and 04's collection once, then answers for any number of
images; the ``predict`` command and the ``demo`` page are two faces of this one object, so the
terminal and the browser can never disagree. Every model call goes through the step packages'
public API (``artdl.classify.explain``, ``artdl.retrieve.rerank``, ``artdl.models.load_classifier``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from artdl.classify import CAM_METHODS, denormalize, explain, overlay
from artdl.core import atomic_path, resolve
from artdl.data import eval_transform
from artdl.models import fold_batchnorm, load_classifier
from artdl.predict.collection import Collection, Neighbour, open_collection
from artdl.predict.images import PredictError, read_image

__all__ = ["TRAIN_HINT", "PredictOptions", "Prediction", "Predictor", "from_here", "write_overlay"]

TRAIN_HINT = "train one with `python -m artdl run --only 02` (about 5 minutes on a CPU), or pass --checkpoint FILE"


@dataclass(frozen=True)
class PredictOptions:
    """The ``predict:`` section of the config (``configs/default.yaml``), plus the per-call choices."""

    checkpoint: str = "models/classifier/best.pt"
    top_k: int = 5
    method: str = "gradcam"
    out: str = "predictions"
    neighbours: int = 10
    source: str = "cnn"
    max_side: int = 2048
    max_pixels: int = 100_000_000
    rerank: float = 0.0  # alpha of the influence re-rank; 0 = plain cosine only
    artist: str = ""  # the query painting's artist for the re-rank ("" = the nearest painting's)

    @classmethod
    def from_config(cfg_cls, cfg: Any, **changes: Any) -> PredictOptions:
        known = {f.name for f in fields(cfg_cls)}
        base = cfg_cls(**{k: v for k, v in dict(cfg.predict).items() if k in known})
        return replace(base, **{k: v for k, v in changes.items() if v is not None})


@dataclass
class Prediction:
    """One painting's answer; ``to_dict`` is the ``--json`` shape."""

    path: str
    styles: list[tuple[str, float]]
    cam: str = ""  # the written overlay ("" when not written)
    method: str = ""
    neighbours: list[Neighbour] = field(default_factory=list)
    reranked: list[Neighbour] | None = None
    rerank_weight: float = 0.0
    query_artist: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "top": [{"style": s, "probability": p} for s, p in self.styles],
            "cam": self.cam,
            "method": self.method,
            "neighbours": [n.to_dict() for n in self.neighbours],
            "reranked": None if self.reranked is None else [n.to_dict() for n in self.reranked],
            "rerank_weight": self.rerank_weight,
            "query_artist": self.query_artist,
        }


class Predictor:
    """02's classifier and 04's collection, loaded once; ``note`` says what is unavailable and why."""

    def __init__(self, cfg: Any, options: PredictOptions, device: Any = "cpu", config_name: str = "default") -> None:
        if options.method not in CAM_METHODS:
            raise PredictError(f"--method {options.method}: choose one of {', '.join(CAM_METHODS)}.")
        self.cfg, self.options, self.device = cfg, options, torch.device(device)
        self.model, self.meta = _load(options.checkpoint, self.device)
        # Scores come from an inference twin (batch norms folded, channels-last: about 2x faster on a
        # CPU, same function; fold_batchnorm checks that); CAMs need the original's layers and hooks.
        self.scorer = fold_batchnorm(self.model).to(memory_format=torch.channels_last).eval()
        self.classes = [str(c) for c in self.meta["classes"]]
        self.mean, self.std = tuple(self.meta["mean"]), tuple(self.meta["std"])
        self.transform = eval_transform(int(self.meta["image_size"]), self.mean, self.std)
        self.collection: Collection | None = None
        self.note = ""
        self._written: set[Path] = set()  # overlays of this call: two inputs named alike get _2, _3 ...
        if options.neighbours > 0:
            try:
                self.collection = open_collection(cfg, options.source, self.device, config_name)
            except PredictError as err:
                self.note = str(err)

    def read(self, path: str | Path) -> Image.Image:
        return read_image(path, self.options.max_side, self.options.max_pixels)

    def tensor(self, image: Image.Image) -> torch.Tensor:
        """The normalised (1, 3, S, S) input the checkpoint was scored with (02's ``eval_transform``)."""
        return self.transform(image).unsqueeze(0).to(self.device)

    @torch.no_grad()
    def probabilities(self, image: Image.Image) -> np.ndarray:
        """Softmax over the checkpoint's classes (C,)."""
        x = self.tensor(image).contiguous(memory_format=torch.channels_last)
        return torch.softmax(self.scorer(x).float(), dim=1)[0].cpu().numpy()

    def top_styles(self, probs: np.ndarray, k: int | None = None) -> list[tuple[str, float]]:
        order = np.argsort(-probs, kind="stable")[: k or self.options.top_k]
        return [(self.classes[i], float(probs[i])) for i in order]

    def cam_overlay(self, image: Image.Image, method: str | None = None) -> np.ndarray:
        """uint8 (S, S, 3): the heat map of the predicted class over the square the network saw."""
        method = method or self.options.method
        if method not in CAM_METHODS:
            raise PredictError(f"--method {method}: choose one of {', '.join(CAM_METHODS)}.")
        x = self.tensor(image)
        heat = explain(self.model, x, method)
        return overlay(denormalize(x, self.mean, self.std)[0], heat[0])

    def nearest(
        self, image: Image.Image, k: int | None = None, weight: float | None = None, artist: str | None = None
    ) -> tuple[list[Neighbour], list[Neighbour] | None, str]:
        """Cosine and (``weight`` > 0) influence re-ranked neighbours; empty without a collection."""
        if self.collection is None:
            return [], None, ""
        k = self.options.neighbours if k is None else k
        weight = self.options.rerank if weight is None else weight
        return self.collection.nearest(image, k, weight, self.options.artist if artist is None else artist)

    def predict(self, path: str | Path, image: Image.Image | None = None, out: Path | None = None) -> Prediction:
        """Everything for one file; the CAM overlay is written into ``out`` when given.

        The overlay is written last, once nothing else can fail (a re-rank that finds no artist
        raises :class:`PredictError`), so a failed image leaves no overlay behind.
        """
        image = self.read(path) if image is None else image
        result = Prediction(str(path), self.top_styles(self.probabilities(image)))
        plain, ranked, artist = self.nearest(image)
        result.neighbours, result.reranked, result.query_artist = plain, ranked, artist
        result.rerank_weight = self.options.rerank if ranked is not None else 0.0
        if out is not None:
            result.method = self.options.method
            target = _free_name(out, f"{Path(path).stem}_{result.method}", self._written)
            result.cam = str(write_overlay(self.cam_overlay(image), target))
            self._written.add(target)
        return result


def from_here(path: str | None) -> str | None:
    """A ``--checkpoint`` typed on the command line, made absolute against the current folder.

    Like PATH and ``--out``, a relative file the user names is where they are; only the config's
    ``predict.checkpoint`` is relative to the project root (``resolve`` in :func:`_load`).
    """
    return str(Path(path).expanduser().absolute()) if path else None


def write_overlay(pixels: np.ndarray, target: Path) -> Path:
    """The overlay as a JPEG at ``target``, written atomically (no half-written file on failure)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        Image.fromarray(pixels).save(tmp, format="JPEG", quality=90)
    return target


def _free_name(out: Path, stem: str, taken: set[Path]) -> Path:
    target, n = out / f"{stem}.jpg", 1
    while target in taken:
        n += 1
        target = out / f"{stem}_{n}.jpg"
    return target


def _load(checkpoint: str, device: torch.device) -> tuple[torch.nn.Module, dict[str, Any]]:
    path = resolve(checkpoint)
    if not path.is_file():
        raise PredictError(f"No trained classifier at {path}: {TRAIN_HINT}.")
    try:
        model, meta = load_classifier(path, map_location=device)
    except Exception as err:  # noqa: BLE001 - any unreadable file is one line for the user
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise PredictError(f"{path} is not a usable classifier checkpoint ({reason}); {TRAIN_HINT}.") from None
    return model.to(device).eval(), meta

