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
from artdl.core.metrics import (
    Interval,
    McNemarResult,
    StatsConfig,
    Verdict,
    accuracy_with_interval,
    bootstrap_mean,
    mcnemar_exact,
    paired_bootstrap,
    per_class_report,
    topk_is_informative,
    verdict,
    wilson_interval,
)
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
from artdl.core.ranges import (
    RANGES,
    ConfigRangeError,
    Range,
    SectionConfig,
    check_ranges,
    check_value,
    range_for,
)
from artdl.core.results import (
    Provenance,
    Record,
    RecordError,
    environment,
    load_record,
    results_path,
    stamp,
    write_results,
)
from artdl.core.utils import PRECISIONS, atomic_path, autocast, get_device, seed_everything, setup

__all__ = [
    "ConfigKeyError",
    "ConfigRangeError",
    "ConfigTypeError",
    "Interval",
    "LineTqdm",
    "McNemarResult",
    "MissingArtifactError",
    "PRECISIONS",
    "Provenance",
    "RANGES",
    "Range",
    "Record",
    "RecordError",
    "SectionConfig",
    "StatsConfig",
    "Verdict",
    "accuracy_with_interval",
    "atomic_path",
    "autocast",
    "available_configs",
    "bootstrap_mean",
    "check_ranges",
    "check_value",
    "configure",
    "data_dir",
    "environment",
    "flat_keys",
    "get_device",
    "headless",
    "images_dir",
    "install",
    "load_config",
    "load_record",
    "mcnemar_exact",
    "models_dir",
    "paired_bootstrap",
    "per_class_report",
    "processed_dir",
    "project_root",
    "range_for",
    "relative",
    "require_artifact",
    "resolve",
    "results_path",
    "seed_everything",
    "setup",
    "stamp",
    "to_yaml",
    "topk_is_informative",
    "verdict",
    "wilson_interval",
    "write_results",
]
