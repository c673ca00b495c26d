"""DCGAN and WGAN-GP on paintings: one generator/critic family, two losses, a resumable loop.

Why two losses on the same networks: the DCGAN (BCE or hinge) critic is a classifier whose loss
says little about sample quality, while the WGAN-GP critic estimates a Wasserstein distance whose
curve is meaningful; training both with the same architecture isolates the effect of the loss.

- :mod:`artdl.gan.models`: :class:`Generator`, :class:`Critic`, :func:`build_models`, the EMA.
- :mod:`artdl.gan.losses`: BCE / hinge / Wasserstein losses and the gradient penalty.
- :mod:`artdl.gan.train`: :func:`train_gan` from a critic step and a generator step.
- :mod:`artdl.gan.checkpoint`: the training state and its safe, resumable checkpoint.
- :mod:`artdl.gan.images`: training paintings through the data layer's cache; grids and GIFs.
- :mod:`artdl.gan.sampling`: fixed snapshot noise and seeded samples.
- :mod:`artdl.gan.evaluate`: the distance tables of notebook 06 (overall and per painter), with
  bootstrap intervals, and the claims the two distances allow together.
"""

from __future__ import annotations

from artdl.gan.checkpoint import Networks, Progress, checkpoint_signature, load_checkpoint, save_checkpoint
from artdl.gan.evaluate import (
    REAL_HELD_OUT,
    REAL_OTHER_PAINTER,
    DistanceComparison,
    DistanceConfig,
    Distances,
    agreement,
    distance_rows,
    per_class_distances,
)
from artdl.gan.fidelity import (
    INCEPTION_SHA256,
    INCEPTION_URLS,
    FeatureSpace,
    configured_feature_space,
    distance_table,
    extract_features,
    feature_space,
    frechet_distance,
    kernel_distance,
    nearest_neighbours,
)
from artdl.gan.images import grid_image, load_training_images, save_gif, to_float, to_uint8
from artdl.gan.losses import DCGAN_LOSSES, critic_loss, generator_loss, gradient_penalty
from artdl.gan.memorisation import CLOSE_QUANTILE, Memorisation, memorisation_check
from artdl.gan.models import LOSSES, Critic, Generator, build_models, make_ema
from artdl.gan.record import (
    DistanceRow,
    FeatureSpaceInfo,
    FullConfig,
    GanRecord,
    GanTraining,
    PainterDistance,
    TrainingSet,
    full_config,
    gan_record,
    painters,
)
from artdl.gan.sampling import fixed_noise, generate
from artdl.gan.train import GANRun, critic_step, generator_step, train_gan

__all__ = [
    "CLOSE_QUANTILE",
    "Critic",
    "DCGAN_LOSSES",
    "DistanceComparison",
    "DistanceConfig",
    "DistanceRow",
    "Distances",
    "FeatureSpace",
    "FeatureSpaceInfo",
    "FullConfig",
    "GANRun",
    "GanRecord",
    "GanTraining",
    "Generator",
    "INCEPTION_SHA256",
    "INCEPTION_URLS",
    "LOSSES",
    "Memorisation",
    "Networks",
    "PainterDistance",
    "Progress",
    "REAL_HELD_OUT",
    "REAL_OTHER_PAINTER",
    "TrainingSet",
    "agreement",
    "build_models",
    "checkpoint_signature",
    "configured_feature_space",
    "critic_loss",
    "critic_step",
    "distance_rows",
    "distance_table",
    "extract_features",
    "feature_space",
    "fixed_noise",
    "frechet_distance",
    "full_config",
    "gan_record",
    "generate",
    "generator_loss",
    "generator_step",
    "gradient_penalty",
    "grid_image",
    "kernel_distance",
    "load_checkpoint",
    "load_training_images",
    "make_ema",
    "memorisation_check",
    "nearest_neighbours",
    "painters",
    "per_class_distances",
    "save_checkpoint",
    "save_gif",
    "to_float",
    "to_uint8",
    "train_gan",
]
