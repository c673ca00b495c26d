"""Step 03: a denoising and a sliced-Wasserstein autoencoder, and how good their codes are.

- :mod:`artdl.autoencode.train`: losses, the training loop, encoding, interpolation.
- :mod:`artdl.autoencode.knn_probe`: the k-nearest-neighbour label probe of a code.
- :mod:`artdl.autoencode.projection`: t-SNE and UMAP maps of any embedding.
"""

from __future__ import annotations

from artdl.autoencode.knn_probe import knn_label_accuracy
from artdl.autoencode.projection import METHODS, MapSettings, project_2d, tsne_2d, umap_2d
from artdl.autoencode.record import (
    AutoencodeRecord,
    AutoencoderRun,
    CollectionInfo,
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
    "KnnScore",
    "METHODS",
    "MapSettings",
    "add_noise",
    "autoencode_record",
    "encode",
    "fit_from_config",
    "interpolate",
    "knn_label_accuracy",
    "prior_sample",
    "project_2d",
    "reconstruction_error",
    "sliced_wasserstein",
    "to_hwc",
    "train_autoencoder",
    "tsne_2d",
    "umap_2d",
]
