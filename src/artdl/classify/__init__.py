"""Step 02: style (and genre) classification with a fine-tuned pretrained CNN, and where it looks.

- :mod:`artdl.classify.experiment`: the experiment of notebook 02 (fine-tune, baselines, the record).
- :mod:`artdl.classify.pipeline`: ``run_classification``: notebook 02 as one call (shell, torchrun).
- :mod:`artdl.classify.scratch`: the from-scratch baseline, at the fine-tune's wall time or steps.
- :mod:`artdl.classify.splits`: the same recipe on a stratified and an artist-disjoint split.
- :mod:`artdl.classify.finetune`: ``fit`` and its phases (head, then the unfrozen stages).
- :mod:`artdl.classify.recipe`: ``FitConfig`` (what ``fit`` is told) and ``FitResult`` (what it returns).
- :mod:`artdl.classify.frozen_trunk`: the CPU recipe: the frozen trunk's activations computed once.
- :mod:`artdl.classify.evaluation`: scoring, predictions and confusions.
- :mod:`artdl.classify.cam`: CAM, Grad-CAM and their kin (pytorch-grad-cam).
"""

from __future__ import annotations

from artdl.classify.cam import (
    CAM_METHODS,
    class_activation_map,
    denormalize,
    explain,
    explanation_grid,
    overlay,
)
from artdl.classify.evaluation import evaluate, most_confused_pairs, predict, save_predictions, score_folder
from artdl.classify.experiment import (
    classification_record,
    comparison_metrics,
    comparison_table,
    configured_loaders,
    finetune_pretrained,
    make_loaders,
    paired_tests,
    run_seconds,
)
from artdl.classify.finetune import extract_pooled, fit, train_head_on_features
from artdl.classify.frozen_trunk import ActivationCache, cache_precision, split_model
from artdl.classify.pipeline import launch_finetune, run_classification
from artdl.classify.recipe import FitConfig, FitResult
from artdl.classify.record import (
    ClassificationRecord,
    ClassScores,
    ConfusedPair,
    EpochRow,
    Kept,
    ModelScores,
    PairedTest,
    Recipe,
    ScratchRun,
    ScratchStepsRecord,
    SplitComparison,
    SplitScore,
    SplitSpec,
    Task,
    model_scores,
    pair_with_finetune,
)
from artdl.classify.scratch import (
    scratch_baseline,
    scratch_baselines,
    scratch_budgets,
    scratch_epochs,
    scratch_label,
)
from artdl.classify.splits import SPLIT_NAMES, compare_splits, split_score

__all__ = [
    "ActivationCache",
    "ClassScores",
    "ClassificationRecord",
    "ConfusedPair",
    "EpochRow",
    "FitConfig",
    "FitResult",
    "Kept",
    "CAM_METHODS",
    "ModelScores",
    "PairedTest",
    "Recipe",
    "SPLIT_NAMES",
    "ScratchRun",
    "ScratchStepsRecord",
    "SplitComparison",
    "SplitScore",
    "SplitSpec",
    "Task",
    "cache_precision",
    "class_activation_map",
    "classification_record",
    "compare_splits",
    "comparison_metrics",
    "comparison_table",
    "configured_loaders",
    "denormalize",
    "evaluate",
    "explain",
    "explanation_grid",
    "extract_pooled",
    "finetune_pretrained",
    "fit",
    "launch_finetune",
    "make_loaders",
    "model_scores",
    "pair_with_finetune",
    "most_confused_pairs",
    "overlay",
    "paired_tests",
    "run_seconds",
    "predict",
    "run_classification",
    "save_predictions",
    "score_folder",
    "scratch_baseline",
    "scratch_baselines",
    "scratch_budgets",
    "scratch_epochs",
    "scratch_label",
    "split_model",
    "split_score",
    "train_head_on_features",
]
