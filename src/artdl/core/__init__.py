"""The layer every step stands on: configuration, folders, results records, progress bars, small utilities, statistics.

- :mod:`artdl.core.config`: the typed OmegaConf configuration (``configs/default.yaml`` is its schema).
- :mod:`artdl.core.paths`: where data, models, images and results live.
- :mod:`artdl.core.results`: the versioned results records behind every reported number.
- :mod:`artdl.core.progress`: plain-text progress bars for headless notebook runs.
- :mod:`artdl.core.utils`: seeding, devices, autocast, atomic writes.
- :mod:`artdl.core.metrics`: intervals and tests used by every comparison.
- :mod:`artdl.core.distributed`: torchrun's process group, rank-0 guards, DDP, sharded evaluation
  (imported as a namespace: ``from artdl.core import distributed``).
"""

from __future__ import annotations

from artdl.core import distributed
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
    results_dir,
)
from artdl.core.progress import LineTqdm, headless, install
from artdl.core.results import environment, load_results, results_path, write_results
from artdl.core.utils import PRECISIONS, atomic_path, autocast, get_device, seed_everything, setup

__all__ = [
    "ConfigKeyError",
    "ConfigTypeError",
    "LineTqdm",
    "MissingArtifactError",
    "PRECISIONS",
    "accuracy_with_interval",
    "atomic_path",
    "autocast",
    "available_configs",
    "configure",
    "data_dir",
    "distributed",
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
    "results_dir",
    "results_path",
    "seed_everything",
    "setup",
    "to_yaml",
    "topk_is_informative",
    "wilson_interval",
    "write_results",
]
