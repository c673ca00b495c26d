"""The layer every step stands on: configuration, folders, results records, progress bars, small utilities, statistics.

- :mod:`artdl.core.config`: the typed OmegaConf configuration (``configs/default.yaml`` is its schema).
- :mod:`artdl.core.paths`: where data, models, images and results live.
- :mod:`artdl.core.results`: the versioned results records behind every reported number.
- :mod:`artdl.core.progress`: plain-text progress bars for headless notebook runs.
- :mod:`artdl.core.utils`: seeding, devices, autocast, atomic writes.
- :mod:`artdl.core.metrics`: intervals and tests used by every comparison.
"""

from __future__ import annotations

from artdl.core.config import (
    ConfigKeyError,
    ConfigTypeError,
    available_configs,
    flat_keys,
    load_config,
    to_yaml,
)
from artdl.core.metrics import accuracy_with_interval, per_class_report, topk_is_informative, wilson_interval
from artdl.core.paths import (
    MissingArtifactError,
    configure,
    data_dir,
    images_dir,
    models_dir,
    processed_dir,
    project_root,
    relative,
    require_artifact,
    resolve,
)
from artdl.core.progress import LineTqdm, headless, install
from artdl.core.results import environment, load_results, results_path, write_results
from artdl.core.utils import (
    PRECISIONS,
    DeviceError,
    TrainingPrecision,
    atomic_path,
    autocast,
    cuda_bf16_native,
    get_device,
    resolve_precision,
    seed_everything,
    setup,
    training_precision,
)

__all__ = [
    "ConfigKeyError",
    "ConfigTypeError",
    "DeviceError",
    "LineTqdm",
    "MissingArtifactError",
    "PRECISIONS",
    "TrainingPrecision",
    "accuracy_with_interval",
    "atomic_path",
    "autocast",
    "available_configs",
    "configure",
    "cuda_bf16_native",
    "data_dir",
    "environment",
    "flat_keys",
    "get_device",
    "headless",
    "images_dir",
    "install",
    "load_config",
    "load_results",
    "models_dir",
    "per_class_report",
    "processed_dir",
    "project_root",
    "relative",
    "require_artifact",
    "resolve",
    "resolve_precision",
    "results_path",
    "seed_everything",
    "setup",
    "to_yaml",
    "topk_is_informative",
    "training_precision",
    "wilson_interval",
    "write_results",
]
