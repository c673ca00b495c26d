"""02's results record: the task, the recipe, the kept epoch and every model's test scores.

:func:`artdl.classify.classification_record` builds it (for the notebook and for
``benchmarks/run_classify_full.py`` alike, so the CPU default and the ``full`` run report the
same fields) and :mod:`artdl.report.classify` reads it. The per-model scores are those of
:func:`artdl.classify.evaluate`, typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from artdl.core import Record
from artdl.data import DuplicateGroups

__all__ = [
    "ClassScores",
    "ClassificationRecord",
    "ConfusedPair",
    "EpochRow",
    "Kept",
    "ModelScores",
    "Recipe",
    "SplitSpec",
    "Task",
    "model_scores",
]


@dataclass(kw_only=True)
class SplitSpec:
    val: float
    test: float
    seed: int
    groups: DuplicateGroups = field(default_factory=DuplicateGroups)
    given_test: bool = False


@dataclass(kw_only=True)
class Task:
    dataset: str
    classes: list[str]
    n: dict[str, int]  # train / val / test
    split: SplitSpec


@dataclass(kw_only=True)
class Recipe:
    """The ``classify`` settings that decide the numbers, with ``cache_precision`` as resolved."""

    backbone: str
    image_size: int
    batch_size: int
    head_epochs: int
    epochs: int
    unfreeze_stages: int
    frozen_cache: bool
    cache_precision: str
    lr: float
    backbone_lr_mult: float
    warmup: float
    label_smoothing: float
    precision: str
    channels_last: bool
    cache: str
    crop_scale: tuple[float, float]
    trunk_seconds: float | None = None
    scratch_budget: str | None = None  # "time" or "steps"; None when no baseline ran
    scratch_lr: float


@dataclass(kw_only=True)
class Kept:
    """The checkpoint the fine-tune kept: the head-only epoch 0 (= the probe) or a fine-tuning epoch."""

    epoch: int | None = None
    phase: str = "finetune"
    val_acc: float | None = None


@dataclass(kw_only=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(kw_only=True)
class ModelScores:
    """One model's test scores; top-3 is ``None`` where it says nothing (4 classes or fewer)."""

    n: int
    top1: float
    top1_ci: tuple[float, float]
    chance_top1: float
    top3: float | None = None
    top3_ci: tuple[float, float] | None = None
    chance_top3: float | None = None
    macro_f1: float
    per_class_accuracy: dict[str, float | None]
    per_class: dict[str, ClassScores]
    confusion_matrix: list[list[int]]
    classes: list[str]


def model_scores(metrics: Mapping[str, Any]) -> ModelScores:
    """:class:`ModelScores` from an :func:`artdl.classify.evaluate` result."""
    intervals = {k: tuple(metrics[k]) for k in ("top1_ci", "top3_ci") if metrics.get(k) is not None}
    return ModelScores(
        **{k: v for k, v in metrics.items() if k != "per_class" and k not in intervals},
        **intervals,
        per_class={c: ClassScores(**v) for c, v in metrics["per_class"].items()},
    )


@dataclass(kw_only=True)
class ConfusedPair:
    true: str
    predicted: str
    count: int
    share_of_true: float


@dataclass(kw_only=True)
class EpochRow:
    epoch: int
    phase: str
    val_acc: float | None = None
    train_acc: float | None = None
    seconds: float = 0.0


@dataclass(kw_only=True)
class ClassificationRecord(Record):
    """A 02 run. ``models`` maps ``fine-tune``, ``fine-tune, last epoch``, ``linear probe`` and
    ``from scratch`` (those that ran) to their test scores."""

    NOTEBOOK = "02_classify"
    SCHEMA_VERSION = 2  # 2: task.split.groups counts the look-alike groups whose labels disagree
    SECTIONS = ("classify", "data")

    task: Task
    recipe: Recipe
    kept: Kept
    models: dict[str, ModelScores]
    beats_probe: bool
    optimizer_steps: dict[str, int | None]
    scratch_budget: str | None = None  # the baseline's budget in words
    seconds: dict[str, float] = field(default_factory=dict)
    most_confused: list[ConfusedPair] = field(default_factory=list)
    history: dict[str, list[EpochRow]] = field(default_factory=dict)
    overrides: list[str] = field(default_factory=list)
