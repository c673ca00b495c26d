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
    PairedTest,
    Recipe,
    ScratchRun,
    SplitSpec,
    Task,
    model_scores,
)
from artdl.core import Provenance, StatsConfig, distributed, mcnemar_exact
from artdl.data import duplicate_groups
from artdl.models import build_classifier, normalization_for

__all__ = [
    "classification_record",
    "comparison_metrics",
    "finetune_pretrained",
    "make_loaders",
    "paired_tests",
    "run_classification",
    "scratch_baseline",
    "scratch_baselines",
    "scratch_budgets",
    "scratch_epochs",
    "scratch_label",
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


SCRATCH_BUDGETS = ("time", "steps", "both")
SCRATCH_MODEL = {"time": "from scratch, same time", "steps": "from scratch, same steps"}


def scratch_budgets(cfg_classify: Any) -> tuple[str, ...]:
    """The budgets ``classify.scratch.budget`` asks for: ``("time",)``, ``("steps",)`` or both.

    Checked before any training, so a typo fails in a second, not after the fine-tune.
    """
    budget = cfg_classify.scratch.budget
    if budget not in SCRATCH_BUDGETS:
        raise ValueError(f"classify.scratch.budget={budget!r}: use time, steps or both.")
    return ("time", "steps") if budget == "both" else (str(budget),)


def scratch_label(budget: str, finetune: FitResult, scratch: FitResult) -> str:
    """The budget as the table names it: "same 103 s, 43 steps" or "same 612 steps, 1467 s"."""
    if budget == "time":
        return f"same {finetune.seconds:.0f} s, {scratch.optimizer_steps} steps"
    return f"same {scratch.optimizer_steps} steps, {scratch.seconds:.0f} s"


def scratch_baseline(
    cfg: Any, loaders: dict[str, Any], classes: Sequence[str], device: torch.device, out_dir: str | Path,
    finetune: FitResult, progress: bool = True, budget: str | None = None,
) -> tuple[Any, FitResult]:  # fmt: skip
    """The same architecture from random weights, every layer trained, on one of the fine-tune's budgets.

    ``budget`` (default: ``classify.scratch.budget``, which must then be one budget) is ``time``
    (the fine-tune's wall time, trunk pass included: the fair comparison when the fine-tune
    trains only the top on cached activations) or ``steps`` (its number of optimizer steps, from
    the same loader). Writes ``<out_dir>/scratch.pt`` (``scratch_steps.pt`` for ``steps``).
    """
    c = cfg.classify
    budget = budget or c.scratch.budget
    if budget not in SCRATCH_MODEL:
        raise ValueError(f"scratch budget {budget!r}: one run takes time or steps (both: scratch_baselines).")
    name = c.backbone if str(c.backbone).startswith("scratch") else f"scratch_{c.backbone}"
    model = build_classifier(name, len(classes))
    by_time = budget == "time"
    recipe = FitConfig.from_cfg(c, seed=cfg.seed).replace(
        epochs=scratch_epochs(c), max_seconds=finetune.seconds if by_time else 0.0,  # a time budget ignores epochs
        head_epochs=0, unfreeze_stages=-1, lr=c.scratch.lr, backbone_lr_mult=1.0, freeze_bn=False,
        frozen_cache=False,
    )  # fmt: skip
    checkpoint = Path(out_dir) / ("scratch.pt" if by_time else "scratch_steps.pt")
    result = fit(
        model, loaders, recipe, device, name=SCRATCH_MODEL[budget], checkpoint=checkpoint,
        meta=_meta(c, classes, name), progress=progress,
    )  # fmt: skip
    kind = "same wall time as the fine-tune" if by_time else "same optimizer steps as the fine-tune"
    result.budget = f"{kind} ({scratch_label(budget, finetune, result)}), every step over all layers"
    return model, result


def scratch_baselines(
    cfg: Any, loaders: dict[str, Any], classes: Sequence[str], device: torch.device, out_dir: str | Path,
    finetune: FitResult, progress: bool = True,
) -> dict[str, tuple[Any, FitResult]]:  # fmt: skip
    """Every baseline ``classify.scratch.budget`` asks for, by budget (``time``, ``steps``)."""
    return {
        budget: scratch_baseline(cfg, loaders, classes, device, out_dir, finetune, progress, budget)
        for budget in scratch_budgets(cfg.classify)
    }


def paired_tests(test_metrics: dict[str, dict[str, Any]], stats: StatsConfig) -> dict[str, PairedTest]:
    """McNemar's exact test of the kept fine-tune against the probe and each baseline.

    Paired on the same test paintings (each :func:`evaluate` result's ``hits``), which is what
    can tell two models apart on one split; two intervals that overlap cannot.
    """
    hits = {name: [h == "1" for h in m["hits"]] for name, m in test_metrics.items() if m.get("hits")}
    others = [name for name in hits if name not in ("fine-tune", "fine-tune, last epoch")]
    if "fine-tune" not in hits:
        return {}
    return {f"fine-tune vs {b}": PairedTest.of(mcnemar_exact(hits["fine-tune"], hits[b], stats), "fine-tune", b)
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
) -> ClassificationRecord:
    """The typed record of a 02 run, as written to ``results/02_classify*.json`` and read by
    :mod:`artdl.report.classify`: task and split (with near-duplicate groups), recipe, kept epoch,
    per-model test metrics with intervals, optimizer steps, timings and the most-confused pairs.

    ``test_metrics`` maps ``fine-tune``, ``fine-tune, last epoch``, ``linear probe`` and
    ``from scratch, same time`` / ``same steps`` to :func:`evaluate` results; ``scratch`` maps each
    baseline's budget (``time``, ``steps``) to its fit. The notebook and :func:`run_classification`
    both build their record here, so the CPU default and the full run report the same fields.
    """
    c = cfg.classify
    scratch = dict(scratch or {})
    best = test_metrics["fine-tune"]
    pairs = most_confused_pairs(best["confusion_matrix"], classes, k=5)
    fits = {"fine-tune": finetune, **{SCRATCH_MODEL[b]: fit for b, fit in scratch.items()}}
    paired = paired_tests(test_metrics, StatsConfig.from_config(cfg))
    versus_probe = paired.get("fine-tune vs linear probe")
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
            scratch_budget=c.scratch.budget if scratch else None,
            scratch_lr=c.scratch.lr,
        ),
        kept=Kept(**finetune.kept),
        models={name: model_scores(m) for name, m in test_metrics.items()},
        beats_probe=None if versus_probe is None else versus_probe.significant and versus_probe.difference > 0,
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
    budgets = scratch_budgets(c) if c.scratch.enabled else ()  # a bad budget fails before any training
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
    scratch: dict[str, tuple[Any, FitResult]] = {}
    for budget in budgets:
        scratch[budget] = scratch_baseline(cfg, loaders, classes, device, out, finetune, progress, budget)
        fitted = scratch[budget][1]
        if main:
            _keep(out / f"scratch_{budget}_fit.pkl", fitted)
        seconds[SCRATCH_MODEL[budget]] = fitted.seconds
        log(f"{SCRATCH_MODEL[budget]}: best val {fitted.best_val_acc:.3f} in {fitted.seconds:.0f} s ({fitted.budget})")
    metrics = comparison_metrics(finetune, classes, scratch, loaders, device, c.precision)
    seconds["total"] = time.perf_counter() - started
    fits = {budget: fitted for budget, (_, fitted) in scratch.items()}
    return classification_record(cfg, table, classes, finetune, metrics, fits, seconds)
