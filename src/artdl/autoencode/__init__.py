"""Step 03: a denoising and a sliced-Wasserstein autoencoder, and how good their codes are.

- :mod:`artdl.autoencode.train`: the config, losses, the training loop, encoding, interpolation.
- :mod:`artdl.autoencode.losses`: the perceptual loss on EfficientNet-Lite0 features.
- :mod:`artdl.autoencode.evaluate`: PSNR and SSIM of reconstructions, the interpolation's ends.
- :mod:`artdl.autoencode.knn_probe`: the k-nearest-neighbour label probe of a code, and its
  paired comparison with another space.
- :mod:`artdl.autoencode.projection`: t-SNE and UMAP maps of any embedding.
"""

from __future__ import annotations

from artdl.autoencode.evaluate import farthest_pair, reconstruction_quality
from artdl.autoencode.knn_probe import compare_knn, knn_label_accuracy, versus_pixels
from artdl.autoencode.losses import PerceptualLoss
from artdl.autoencode.projection import PROJECTION_METHODS, MapSettings, project_2d, tsne_2d, umap_2d
from artdl.autoencode.record import (
    AutoencodeRecord,
    AutoencoderRun,
    CollectionInfo,
    KnnComparison,
    KnnScore,
    autoencode_record,
)
from artdl.autoencode.train import (
    AutoencoderConfig,
    add_noise,
    encode,
    fit_from_config,
    interpolate,
    prior_sample,
    reconstruction_error,
    sliced_wasserstein,
    to_hwc,
    train_autoencoder,
)

__all__ = [
    "AutoencodeRecord",
    "AutoencoderConfig",
    "AutoencoderRun",
    "CollectionInfo",
    "KnnComparison",
    "KnnScore",
    "PROJECTION_METHODS",
    "MapSettings",
    "PerceptualLoss",
    "add_noise",
    "autoencode_record",
    "compare_knn",
    "encode",
    "farthest_pair",
    "fit_from_config",
    "interpolate",
    "knn_label_accuracy",
    "prior_sample",
    "project_2d",
    "reconstruction_error",
    "reconstruction_quality",
    "sliced_wasserstein",
    "to_hwc",
    "train_autoencoder",
    "tsne_2d",
    "umap_2d",
    "versus_pixels",
]
