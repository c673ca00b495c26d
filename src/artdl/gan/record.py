"""06's results record: training cost, distances to the real paintings overall and per painter,
the memorisation check and the step budget of ``--config full``.

Built by :func:`gan_record` from the runs and the distance tables of
:func:`artdl.gan.distance_rows` and :func:`artdl.gan.per_class_distances` (whose column names
depend on the feature space: they become the typed ``fd``/``kd`` fields here, with the names kept
in ``feature_space``), and read by :mod:`artdl.report.gan`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from artdl.core import Provenance, Record
from artdl.gan.evaluate import DistanceComparison, Distances
from artdl.gan.memorisation import Memorisation

__all__ = [
    "DistanceRow",
    "FeatureSpaceInfo",
    "FullConfig",
    "GanRecord",
    "GanTraining",
    "PainterDistance",
    "TrainingSet",
    "full_config",
    "gan_record",
    "painters",
]


@dataclass(kw_only=True)
class TrainingSet:
    """The paintings a GAN trained on and was measured against."""

    classes: list[str]
    n_train: int
    n_held_out: int


@dataclass(kw_only=True)
class FeatureSpaceInfo:
    name: str
    description: str
    fd: str  # what the Fréchet number must be called: "FID" only on Inception-v3
    kd: str
    input_size: int


@dataclass(kw_only=True)
class GanTraining:
    steps: int
    n_critic: int
    epochs: int
    seconds: float
    steps_per_second: float
    resumed_from: int
    last_wasserstein: float | None = None  # mean of the last 10 steps; WGAN-GP only


@dataclass(kw_only=True)
class DistanceRow:
    """One set against the train paintings; ``model`` is "" for the real held-out floor. The
    ``*_low``/``*_high`` bounds are bootstrap intervals (None in a record converted from schema 1)."""

    set: str
    model: str
    feature_space: str
    n: int
    n_reference: int
    resolution: int
    fd: float
    kd: float  # ×1000
    kd_std: float  # ×1000
    steps: int
    train_seconds: float
    fd_low: float | None = None
    fd_high: float | None = None
    kd_low: float | None = None  # ×1000
    kd_high: float | None = None


@dataclass(kw_only=True)
class PainterDistance:
    painter: str
    set: str
    n: int
    n_reference: int
    fd: float
    kd: float
    kd_std: float
    fd_low: float | None = None
    fd_high: float | None = None
    kd_low: float | None = None
    kd_high: float | None = None


@dataclass(kw_only=True)
class FullConfig:
    resolution: int
    steps: dict[str, int]
    n_samples: int


@dataclass(kw_only=True)
class GanRecord(Record):
    NOTEBOOK = "06_gan"
    SCHEMA_VERSION = 3  # 3: the memorisation check of every model, with its close-sample share
    SECTIONS = ("gan",)

    dataset: str
    resolution: int
    hardware: str
    training_set: TrainingSet
    feature_space: FeatureSpaceInfo
    models: dict[str, GanTraining]
    distances: list[DistanceRow]
    per_painter: list[PainterDistance]
    memorisation: dict[str, Memorisation]  # by model
    full_config: FullConfig
    # every pair of models at equal n, and each model against the other painter, per painter;
    # None in a record converted from schema 1 (re-run 06)
    comparisons: list[DistanceComparison] | None = None
    painter_comparisons: list[DistanceComparison] | None = None


def _metric_columns(space: FeatureSpaceInfo) -> dict[str, str]:
    return {
        space.fd: "fd",
        f"{space.kd} x1000": "kd",
        f"{space.kd} std x1000": "kd_std",
        "feature space": "feature_space",
    }


def _rows(table: pd.DataFrame, space: FeatureSpaceInfo, row_type: type) -> list[Any]:
    renamed = table.rename(columns=_metric_columns(space))
    wanted = row_type.__dataclass_fields__
    return [row_type(**{k: v for k, v in r.items() if k in wanted}) for r in renamed.to_dict("records")]


def full_config(cfg_full: Any) -> FullConfig:
    """The budget of ``--config full`` (``configs/full.yaml``'s ``gan``), read at run time."""
    g = cfg_full.gan
    return FullConfig(
        resolution=int(g.resolution),
        steps={m: int(g[m].steps) for m in g.models},
        n_samples=int(g.eval.n_samples),
    )


def gan_record(
    cfg: Any,
    runs: Mapping[str, Any],
    space: Any,
    distances: Distances,
    per_painter: Distances,
    memorisation: Mapping[str, Memorisation],
    training_set: TrainingSet,
    hardware: str,
) -> GanRecord:
    """06's record; ``runs`` maps a kind to its :class:`artdl.gan.GANRun`, ``space`` is the
    :class:`artdl.gan.FeatureSpace` of the distance tables (:func:`artdl.gan.distance_rows` and
    :func:`artdl.gan.per_class_distances`, with their comparisons)."""
    from artdl.core import load_config

    g = cfg.gan
    info = FeatureSpaceInfo(
        name=space.name,
        description=space.description,
        fd=space.fd_name,
        kd=space.kd_name,
        input_size=space.input_size,
    )
    return GanRecord(
        provenance=Provenance(dataset=str(g.dataset), split="train vs held-out (val + test)"),
        dataset=str(g.dataset),
        resolution=int(g.resolution),
        hardware=hardware,
        training_set=training_set,
        feature_space=info,
        models={kind: _training(run, int(g[kind].n_critic)) for kind, run in runs.items()},
        distances=_rows(distances.table, info, DistanceRow),
        per_painter=_rows(per_painter.table, info, PainterDistance),
        memorisation=dict(memorisation),
        full_config=full_config(load_config("full")),
        comparisons=distances.comparisons,
        painter_comparisons=per_painter.comparisons,
    )


def _training(run: Any, n_critic: int) -> GanTraining:
    history: pd.DataFrame = run.history
    return GanTraining(
        steps=run.step,
        n_critic=n_critic,
        epochs=run.epoch,
        seconds=round(run.seconds, 2),
        steps_per_second=round(run.steps_per_second, 3),
        resumed_from=run.resumed_from,
        last_wasserstein=float(history["wasserstein"].tail(10).mean()) if "wasserstein" in history else None,
    )


def painters(rows: Sequence[PainterDistance]) -> list[str]:
    """The painters of the per-painter table, in table order."""
    return list(dict.fromkeys(r.painter for r in rows))
