"""02's experiment: loaders, the pretrained fine-tune, a from-scratch baseline and the record.

The steps live in their own modules, each usable alone:

- :mod:`artdl.classify.finetune`: :func:`fit`, head first (= the linear probe), then the network;
- :mod:`artdl.classify.frozen_trunk`: the top stages trained on cached activations of the frozen trunk;
- :mod:`artdl.classify.evaluation`: test metrics with intervals, ``predictions.csv``, :func:`score_folder`.

This module puts them together the way notebooks/02_classify.ipynb and
``benchmarks/run_classify_full.py`` both run them, so the CPU default and the ``full`` run report
the same fields. ``python -m artdl.classify`` (:mod:`artdl.classify.__main__`) runs it from the shell, also
under torchrun.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from artdl import data
from artdl.classify.evaluation import evaluate, most_confused_pairs, predict, save_predictions
from artdl.classify.finetune import fit
from artdl.classify.recipe import FitConfig, FitResult
from artdl.classify.record import (
    ClassificationRecord,
    ConfusedPair,
    EpochRow,
    Kept,
    Recipe,
    SplitSpec,
    Task,
    model_scores,
)
from artdl.core import Provenance, distributed
from artdl.data import duplicate_groups
from artdl.models import build_classifier, normalization_for

__all__ = [
    "classification_record",
    "comparison_metrics",
    "finetune_pretrained",
    "make_loaders",
    "run_classification",
    "scratch_baseline",
    "scratch_epochs",
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
        raise ValueError(f"cache={cache!r}: use none, jpeg or tensors (data.cache in the config).")
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


def _meta(c: Any, classes: Sequence[str], backbone: str | None = None) -> dict[str, Any]:
    return {"backbone": backbone or c.backbone, "classes": list(classes), "image_size": c.image_size,
            "dataset": c.dataset}  # fmt: skip


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
        checkpoint=Path(out_dir) / "best.pt", meta=_meta(c, classes), probe_classes=classes, progress=progress,
    )  # fmt: skip
    return model, result


def scratch_epochs(cfg_classify: Any) -> int:
    """Epochs of a step-budget scratch baseline: ``scratch.epochs``, or the fine-tune's when 0.

    Both runs share the training loader (same images, batch size, ``drop_last``), so equal epochs
    mean an equal number of optimizer steps, every one of them over all layers of the scratch net.
    """
    n = cfg_classify.scratch.epochs
    return n if n > 0 else cfg_classify.epochs


def scratch_budget(cfg_classify: Any, finetune: FitResult) -> str:
    """What the from-scratch baseline was given, in words (for the record and the README)."""
    if cfg_classify.scratch.budget == "time":
        return f"same wall time as the fine-tune ({finetune.seconds:.0f} s), every step over all layers"
    return "same optimizer steps over all layers (same loader, batch size and epochs)"


def scratch_baseline(
    cfg: Any, loaders: dict[str, Any], classes: Sequence[str], device: torch.device, out_dir: str | Path,
    finetune: FitResult, progress: bool = True,
) -> tuple[Any, FitResult]:  # fmt: skip
    """The same architecture from random weights, every layer trained, on the fine-tune's budget.

    ``classify.scratch.budget`` is ``time`` (the fine-tune's wall time, trunk pass included: the
    fair comparison when the fine-tune trains only the top on cached activations) or ``steps``
    (its number of optimizer steps, from the same loader). Writes ``<out_dir>/scratch.pt``.
    """
    c = cfg.classify
    if c.scratch.budget not in ("time", "steps"):
        raise ValueError(f"classify.scratch.budget={c.scratch.budget!r}: use time or steps.")
    name = c.backbone if str(c.backbone).startswith("scratch") else f"scratch_{c.backbone}"
    model = build_classifier(name, len(classes))
    by_time = c.scratch.budget == "time"
    recipe = FitConfig.from_cfg(c, seed=cfg.seed).replace(
        epochs=0 if by_time else scratch_epochs(c), max_seconds=finetune.seconds if by_time else 0.0,
        head_epochs=0, unfreeze_stages=-1, lr=c.scratch.lr, backbone_lr_mult=1.0, freeze_bn=False,
        frozen_cache=False,
    )  # fmt: skip
    result = fit(
        model, loaders, recipe, device, name="from scratch", checkpoint=Path(out_dir) / "scratch.pt",
        meta=_meta(c, classes, name), progress=progress,
    )  # fmt: skip
    result.budget = scratch_budget(c, finetune)
    return model, result


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
    scratch: FitResult | None = None,
    seconds: dict[str, float] | None = None,
) -> ClassificationRecord:
    """The typed record of a 02 run, as written to ``results/02_classify*.json`` and read by
    :mod:`artdl.report.classify`: task and split (with near-duplicate groups), recipe, kept epoch,
    per-model test metrics with intervals, optimizer steps, timings and the most-confused pairs.

    ``test_metrics`` maps ``fine-tune``, ``fine-tune, last epoch``, ``linear probe`` and
    ``from scratch`` to :func:`evaluate` results. The notebook and :func:`run_classification`
    both build their record here, so the CPU default and the full run report the same fields.
    """
    c = cfg.classify
    best = test_metrics["fine-tune"]
    probe = test_metrics.get("linear probe")
    pairs = most_confused_pairs(best["confusion_matrix"], classes, k=5)
    fits = {"fine-tune": finetune, **({"from scratch": scratch} if scratch is not None else {})}
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
            scratch_budget=c.scratch.budget if scratch is not None else None,
            scratch_lr=c.scratch.lr,
        ),
        kept=Kept(**finetune.kept),
        models={name: model_scores(m) for name, m in test_metrics.items()},
        beats_probe=bool(probe is not None and best["top1"] > probe["top1"]),
        optimizer_steps={name: fit.optimizer_steps for name, fit in fits.items()},
        scratch_budget=scratch.budget if scratch is not None else None,
        seconds=dict(seconds or {}),
        most_confused=[
            ConfusedPair(true=r["true"], predicted=r["predicted"], count=int(r["count"]), share_of_true=r["share of true"])
            for r in pairs.to_dict("records")
        ],
        history={
            name: [EpochRow(**row) for row in fit.history[history_columns].to_dict("records")]
            for name, fit in fits.items()
        },
    )


def _keep(path: Path, result: FitResult) -> None:
    """Pickle a fit's history and results (not the weights: those are in the checkpoint)."""
    import pickle

    with open(path, "wb") as handle:
        pickle.dump(result, handle)


def comparison_metrics(
    finetune: FitResult, classes: Sequence[str], scratch: tuple[Any, FitResult] | None = None,
    loaders: dict[str, Any] | None = None, device: Any = "cpu", precision: str = "auto",
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """The comparison table's rows: kept fine-tune, its last epoch, the probe and the baseline."""
    if finetune.test_scores is None or finetune.linear_probe is None:
        raise ValueError("comparison_metrics needs a fit given probe_classes and a test loader.")
    kept = evaluate(*finetune.test_scores, classes)
    metrics = {
        "fine-tune": kept,
        "fine-tune, last epoch": finetune.last_epoch or kept,  # no fine-tuning epochs: the kept model
        "linear probe": finetune.linear_probe,
    }
    if scratch is not None and loaders is not None:
        metrics["from scratch"] = evaluate(*predict(scratch[0], loaders["test"], device, precision), classes)
    return metrics


def run_classification(
    cfg: Any,
    out_dir: str | Path,
    device: Any = None,
    progress: bool = False,
    log: Any = print,
    on_partial: Any = None,
) -> ClassificationRecord:
    """The training part of notebooks/02_classify.ipynb as one call, for long runs outside Jupyter.

    Same steps and functions as the notebook: the group-aware split, loaders, the fine-tune (head
    phase = linear probe), the from-scratch baseline, test metrics, ``predictions.csv`` and
    :func:`classification_record`. Checkpoints go to ``out_dir``. Returns the record (the caller
    writes it with :func:`artdl.core.results.write_results`). ``on_partial``, if given, receives the
    record without the baseline as soon as the fine-tune is scored, so a long run on a busy
    machine leaves usable numbers even if it is stopped during the baseline.
    """
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    c = cfg.classify
    device = device if device is not None else torch.device("cpu")
    table = data.load_splits(cfg, c.dataset)
    classes = data.class_names(table)
    loaders = make_loaders(
        table, classes, c.backbone, c.image_size, c.batch_size, balanced=c.balanced,
        num_workers=cfg.data.num_workers, seed=cfg.seed, crop_scale=c.crop_scale, jitter=c.color_jitter,
        cache=c.cache, cache_side=c.cache_side, progress=progress,
    )  # fmt: skip
    main = distributed.is_main()  # under torchrun, rank 0 alone writes files and talks
    log = log if main else (lambda *_: None)
    _, finetune = finetune_pretrained(cfg, loaders, classes, device, out, progress)
    if main:
        _keep(out / "finetune_fit.pkl", finetune)  # an hour of CPU is not lost to a later error
    log(f"fine-tune: best val {finetune.best_val_acc:.3f} in {finetune.seconds:.0f} s, kept {finetune.kept}")
    metrics = comparison_metrics(finetune, classes)
    assert finetune.test_scores is not None  # comparison_metrics checked it
    if main:
        save_predictions(
            out / "predictions.csv", table[table["split"] == "test"], *finetune.test_scores, classes
        )
    seconds = {"fine-tune": finetune.seconds}
    if on_partial is not None and main:
        on_partial(classification_record(cfg, table, classes, finetune, metrics, None, seconds))
    scratch = None
    if c.scratch.enabled:
        scratch = scratch_baseline(cfg, loaders, classes, device, out, finetune, progress)
        if main:
            _keep(out / "scratch_fit.pkl", scratch[1])
        metrics = comparison_metrics(finetune, classes, scratch, loaders, device, c.precision)
        seconds["from scratch"] = scratch[1].seconds
        log(f"from scratch: best val {scratch[1].best_val_acc:.3f} in {scratch[1].seconds:.0f} s")
    seconds["total"] = time.perf_counter() - started
    return classification_record(cfg, table, classes, finetune, metrics, scratch and scratch[1], seconds)
