"""Networks and their weights, shared by the steps: classifier backbones, autoencoders, CLIP, inference helpers."""

from __future__ import annotations

from artdl.models.autoencoder import ConvAutoencoder, load_autoencoder, save_autoencoder
from artdl.models.classifier import (
    BACKBONES,
    IMAGENET_MEAN,
    IMAGENET_STD,
    Classifier,
    build_classifier,
    feature_extractor,
    load_classifier,
    normalization_for,
    save_classifier,
    set_trainable_stages,
)
from artdl.models.clip import (
    CLIPBundle,
    clip_from_config,
    load_clip,
    quiet_random_init_warning,
    register_model_configs,
    save_random_clip,
)
from artdl.models.inference import (
    batched,
    fold_batchnorm,
    full_fp32_matmul,
    map_batches,
    native_bf16,
    native_precision,
)
from artdl.models.pretrained import (
    EFFICIENTNET_LITE0_MEAN,
    EFFICIENTNET_LITE0_STD,
    WeightsChecksumError,
    WeightsUnavailableError,
    efficientnet_lite0,
    efficientnet_lite0_weights_path,
    ensure_weights,
    remap_state_dict_by_order,
    sha256_of,
    weights_line,
)

__all__ = [
    "BACKBONES",
    "CLIPBundle",
    "Classifier",
    "ConvAutoencoder",
    "EFFICIENTNET_LITE0_MEAN",
    "EFFICIENTNET_LITE0_STD",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "WeightsChecksumError",
    "WeightsUnavailableError",
    "batched",
    "build_classifier",
    "clip_from_config",
    "efficientnet_lite0",
    "efficientnet_lite0_weights_path",
    "ensure_weights",
    "feature_extractor",
    "fold_batchnorm",
    "full_fp32_matmul",
    "load_autoencoder",
    "load_classifier",
    "load_clip",
    "map_batches",
    "native_bf16",
    "native_precision",
    "normalization_for",
    "quiet_random_init_warning",
    "register_model_configs",
    "remap_state_dict_by_order",
    "save_autoencoder",
    "save_classifier",
    "save_random_clip",
    "set_trainable_stages",
    "sha256_of",
    "weights_line",
]
