"""02's experiment: loaders, the pretrained fine-tune, the comparison rows and the record.

The steps live in their own modules, each usable alone:

- :mod:`artdl.classify.finetune`: :func:`fit`, head first (= the linear probe), then the network;
- :mod:`artdl.classify.frozen_trunk`: the top stages trained on cached activations of the frozen trunk;
- :mod:`artdl.classify.scratch`: the from-scratch baselines;
- :mod:`artdl.classify.evaluation`: test metrics with intervals, ``predictions.csv``, :func:`score_folder`.

The notebook calls these pieces cell by cell; :mod:`artdl.classify.pipeline` calls them in the
same order for the shell and torchrun, so the CPU default and the ``full`` run report the same fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from artdl import data
from artdl.classify.evaluation import evaluate, most_confused_pairs, predict
from artdl.classify.finetune import fit
from artdl.classify.recipe import FitConfig, FitResult, _meta
from artdl.classify.record import (
    ClassificationRecord,
    ConfusedPair,
    EpochRow,
    Kept,
    PairedTest,
    Recipe,
    ScratchRun,
    SplitComparison,
    SplitSpec,
    Task,
    model_scores,
)
from artdl.classify.scratch import SCRATCH_MODEL, scratch_label
from artdl.core import Provenance, StatsConfig, mcnemar_exact
from artdl.data import duplicate_groups
from artdl.models import build_classifier, normalization_for

__all__ = [
    "classification_record",
    "comparison_metrics",
    "comparison_table",
    "configured_loaders",
    "finetune_pretrained",
    "make_loaders",
    "paired_tests",
    "run_seconds",
]


def make_loaders(
    table: pd.DataFrame,
    classes: Sequence[str],
    backbone: str,
    image_size: int,
    batch_size: int = 32,
    balanced: bool = False,
    num_workers: int = 0,
    seed: int = 0,
    crop_scale: Sequence[float] = (0.6, 1.0),
    jitter: float = 0.1,
    cache: str = "none",
    cache_side: int = 256,
    progress: bool = True,
) -> dict[str, Any]:
    """``train`` (augmented, shuffled or balanced), ``train_eval``, ``val`` and ``test`` loaders.

    ``cache`` decides what a step decodes: ``none`` (the original files), ``jpeg`` (copies resized
    once to a short side of ``cache_side``, :func:`artdl.data.image_cache.cache_resized`) or ``tensors`` (one
    uint8 array of ``cache_side`` squares, :func:`artdl.data.image_cache.cache_tensors`: no decoding at all).
    ``benchmarks/bench_data.py`` measures the three. Building a cache (once) shows a progress bar.
    """
    if cache not in ("none", "jpeg", "tensors"):
        raise ValueError(f"cache={cache!r}: use none, jpeg or tensors (classify.cache in the config).")
    tensors = None
    if cache == "jpeg":
        table = data.cache_resized(table, int(cache_side), progress=progress)
    elif cache == "tensors":
        table, tensors = data.cache_tensors(table, int(cache_side), progress=progress)
    as_tensors = tensors is not None
    mean, std = normalization_for(backbone)
    train_tf = data.train_transform(
        image_size, mean, std, scale=tuple(crop_scale), jitter=jitter, tensors=as_tensors
    )
    eval_tf = data.eval_transform(image_size, mean, std, tensors=as_tensors)
    parts = {s: table[table["split"] == s] for s in ("train", "val", "test")}
    for name, part in parts.items():
        if part.empty:
            raise data.DataError(f"The {name} split is empty; check data.split settings.")
    loaders = {
        "train": data.make_loader(
            data.ArtworkDataset(parts["train"], classes, train_tf, tensors),
            batch_size,
            shuffle=True,
            balanced=balanced,
            num_workers=num_workers,
            seed=seed,
            drop_last=len(parts["train"]) > batch_size,
        ),
        "train_eval": data.make_loader(
            data.ArtworkDataset(parts["train"], classes, eval_tf, tensors),
            batch_size,
            num_workers=num_workers,
        ),
    }
    for name in ("val", "test"):
        loaders[name] = data.make_loader(
            data.ArtworkDataset(parts[name], classes, eval_tf, tensors), batch_size, num_workers=num_workers
        )
    return loaders


def configured_loaders(
    cfg: Any, table: pd.DataFrame, classes: Sequence[str], progress: bool = True
) -> dict[str, Any]:
    """:func:`make_loaders` with every setting from ``cfg.classify`` and ``cfg.data``, as 02 trains."""
    c = cfg.classify
    return make_loaders(
        table, classes, c.backbone, c.image_size, c.batch_size, balanced=c.balanced,
        num_workers=cfg.data.num_workers, seed=cfg.seed, crop_scale=c.crop_scale, jitter=c.color_jitter,
        cache=c.cache, cache_side=c.cache_side, progress=progress,
    )  # fmt: skip


def finetune_pretrained(
    cfg: Any, loaders: dict[str, Any], classes: Sequence[str], device: torch.device, out_dir: str | Path,
    progress: bool = True,
) -> tuple[Any, FitResult]:  # fmt: skip
    """Build the pretrained backbone and :func:`fit` it with ``cfg.classify``'s recipe.

    Writes ``<out_dir>/best.pt`` (the best validation epoch). Returns ``(model, result)``; the
    result holds the linear probe's and the last epoch's test metrics and the kept weights' test
    scores (``test_scores``).
    """
    c = cfg.classify
    model = build_classifier(c.backbone, len(classes), pretrained=c.pretrained, weights_path=c.weights_path)
    result = fit(
        model, loaders, FitConfig.from_cfg(c, seed=cfg.seed), device, name="pretrained fine-tune",
        checkpoint=Path(out_dir) / "best.pt", meta=_meta(cfg, classes), probe_classes=classes, progress=progress,
    )  # fmt: skip
    return model, result


def paired_tests(test_metrics: dict[str, dict[str, Any]], stats: StatsConfig) -> dict[str, PairedTest]:
    """McNemar's exact test of the kept fine-tune against the probe and each baseline.

    Paired on the same test paintings (each :func:`evaluate` result's ``hits``), which is what
    can tell two models apart on one split; two intervals that overlap cannot. The tests are one
    Bonferroni family (:meth:`~artdl.core.StatsConfig.for_family`): 02's Findings state them side
    by side ("what fine-tuning adds", "what pretraining adds"), and two tests at 5% each would name
    a false winner almost 10% of the time.
    """
    hits = {name: [h == "1" for h in m["hits"]] for name, m in test_metrics.items() if m.get("hits")}
    others = [name for name in hits if name not in ("fine-tune", "fine-tune, last epoch")]
    if "fine-tune" not in hits:
        return {}
    family = stats.for_family(len(others))
    return {f"fine-tune vs {b}": PairedTest.of(mcnemar_exact(hits["fine-tune"], hits[b], family), "fine-tune", b)
            for b in others}  # fmt: skip


# The classify.* settings that define the recipe, copied into every record (cache_precision is
# recorded as resolved, by classification_record).
RECIPE_KEYS = (
    "backbone", "image_size", "batch_size", "head_epochs", "epochs", "unfreeze_stages", "frozen_cache", "lr",
    "backbone_lr_mult", "warmup", "label_smoothing", "precision", "channels_last", "cache",
)  # fmt: skip


def classification_record(
    cfg: Any,
    table: pd.DataFrame,
    classes: Sequence[str],
    finetune: FitResult,
    test_metrics: dict[str, dict[str, Any]],
    scratch: dict[str, FitResult] | None = None,
    seconds: dict[str, float] | None = None,
    split_comparison: SplitComparison | None = None,
) -> ClassificationRecord:
    """The typed record of a 02 run, as written to ``results/02_classify*.json`` and read by
    :mod:`artdl.report.classify`: task and split (with near-duplicate groups), recipe, kept epoch,
    per-model test metrics with intervals, optimizer steps, timings and the most-confused pairs.

    ``test_metrics`` maps ``fine-tune``, ``fine-tune, last epoch``, ``linear probe`` and
    ``from scratch, same time`` / ``same steps`` to :func:`evaluate` results; ``scratch`` maps each
    baseline's budget (``time``, ``steps``) to its fit; ``split_comparison`` is
    :func:`artdl.classify.compare_splits`'s result, when it ran. The notebook and :func:`run_classification`
    both build their record here, so the CPU default and the full run report the same fields.
    """
    c = cfg.classify
    scratch = dict(scratch or {})
    best = test_metrics["fine-tune"]
    pairs = most_confused_pairs(best["confusion_matrix"], classes, k=5)
    fits = {"fine-tune": finetune, **{SCRATCH_MODEL[b]: fit for b, fit in scratch.items()}}
    paired = paired_tests(test_metrics, StatsConfig.from_config(cfg))
    history_columns = ["epoch", "phase", "val_acc", "train_acc", "seconds"]
    return ClassificationRecord(
        provenance=Provenance(dataset=str(c.dataset), split="test"),
        task=Task(
            dataset=str(c.dataset),
            classes=list(classes),
            n={s: int((table["split"] == s).sum()) for s in ("train", "val", "test")},
            split=SplitSpec(
                val=cfg.data.split.val,
                test=cfg.data.split.test,
                seed=cfg.data.split.seed,
                groups=duplicate_groups(table.attrs.get("groups")),
                given_test="given_split" in table.columns,
            ),
        ),
        recipe=Recipe(
            **{k: c[k] for k in RECIPE_KEYS},
            crop_scale=tuple(c.crop_scale),
            trunk_seconds=finetune.trunk_seconds,
            cache_precision=finetune.cache_precision or c.cache_precision,  # as resolved
            trunk_precision=finetune.trunk_precision or c.trunk_precision,
            scratch_budget=c.scratch.budget if scratch else None,
            scratch_lr=c.scratch.lr,
        ),
        kept=Kept(**finetune.kept),
        models={name: model_scores(m) for name, m in test_metrics.items()},
        optimizer_steps={name: fit.optimizer_steps for name, fit in fits.items()},
        scratch_runs=[
            ScratchRun(budget=b, model=SCRATCH_MODEL[b], steps=fit.optimizer_steps, seconds=fit.seconds,
                       label=scratch_label(b, finetune, fit))
            for b, fit in scratch.items()
        ],  # fmt: skip
        paired=paired,
        seconds=dict(seconds or {}),
        most_confused=[
            ConfusedPair(true=r["true"], predicted=r["predicted"], count=int(r["count"]), share_of_true=r["share of true"])
            for r in pairs.to_dict("records")
        ],
        history={
            name: [EpochRow(**row) for row in fit.history[history_columns].to_dict("records")]
            for name, fit in fits.items()
        },
        split_comparison=split_comparison,
    )


def _keep(path: Path, result: FitResult) -> None:
    """Pickle a fit's history and results (not the weights: those are in the checkpoint)."""
    import pickle

    with open(path, "wb") as handle:
        pickle.dump(result, handle)


def comparison_metrics(
    finetune: FitResult, classes: Sequence[str], scratch: dict[str, tuple[Any, FitResult]] | None = None,
    loaders: dict[str, Any] | None = None, device: Any = "cpu", precision: str = "auto",
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """The comparison table's rows: kept fine-tune, its last epoch, the probe and each baseline
    (``scratch`` maps a budget to its ``(model, fit)``, as :func:`scratch_baselines` returns)."""
    if finetune.test_scores is None or finetune.linear_probe is None:
        raise ValueError("comparison_metrics needs a fit given probe_classes and a test loader.")
    kept = evaluate(*finetune.test_scores, classes)
    metrics = {
        "fine-tune": kept,
        "fine-tune, last epoch": finetune.last_epoch or kept,  # no fine-tuning epochs: the kept model
        "linear probe": finetune.linear_probe,
    }
    if scratch and loaders is not None:
        for budget, (model, _) in scratch.items():
            metrics[SCRATCH_MODEL[budget]] = evaluate(*predict(model, loaders["test"], device, precision), classes)
    return metrics


def comparison_table(metrics: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """:func:`comparison_metrics` as the notebook's table: top-1 and top-3 with the 95 % Wilson
    intervals :func:`evaluate` gives them, macro-F1. Top-3 is left out when the metrics have none
    (it is recorded only where guessing scores below one half, so that it says something)."""

    def with_interval(m: dict[str, Any], key: str) -> str:
        return f"{m[key]:.3f} [{m[key + '_ci'][0]:.3f}, {m[key + '_ci'][1]:.3f}]" if key in m else "–"

    table = pd.DataFrame(
        [
            {
                "model": name,
                "test top-1 [95% CI]": with_interval(m, "top1"),
                "test top-3 [95% CI]": with_interval(m, "top3"),
                "macro-F1": round(m["macro_f1"], 3),
            }
            for name, m in metrics.items()
        ]
    ).set_index("model")
    if not any("top3" in m for m in metrics.values()):
        table = table.drop(columns="test top-3 [95% CI]")
    return table


def run_seconds(finetune: FitResult, scratch: dict[str, FitResult] | None = None) -> dict[str, float]:
    """Wall seconds of each training run, by model name, as :func:`classification_record` stores them."""
    return {"fine-tune": finetune.seconds, **{r.name: r.seconds for r in (scratch or {}).values()}}
