"""Notebook 02 as one call (:func:`run_classification`), for long runs outside Jupyter.

``python -m artdl.classify`` (also under torchrun), ``benchmarks/run_classify_full.py`` and
``benchmarks/bench_seeds.py`` run it; the notebook runs the same functions cell by cell, so both
write the same record.
"""

from __future__ import annotations

import pickle
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from artdl import data
from artdl.classify.evaluation import save_predictions
from artdl.classify.experiment import (
    _keep,
    classification_record,
    comparison_metrics,
    configured_loaders,
    finetune_pretrained,
)
from artdl.classify.recipe import FitResult
from artdl.classify.record import ClassificationRecord
from artdl.classify.scratch import SCRATCH_MODEL, scratch_baseline, scratch_budgets
from artdl.classify.splits import compare_splits
from artdl.core import distributed, models_dir
from artdl.models import load_classifier

__all__ = ["launch_finetune", "run_classification"]


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
    loaders = configured_loaders(cfg, table, classes, progress)
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
        log(
            f"{SCRATCH_MODEL[budget]}: best val {fitted.best_val_acc:.3f} in {fitted.seconds:.0f} s ({fitted.budget})"
        )
    metrics = comparison_metrics(finetune, classes, scratch, loaders, device, c.precision)
    splits = None
    if c.split_comparison:  # the same recipe on the split this run did not use (stratified / by artist)
        split_started = time.perf_counter()
        splits = compare_splits(cfg, table, metrics["fine-tune"], classes, device, out, progress)
        seconds["other split"] = time.perf_counter() - split_started
        log(splits.verdict().sentence)
    seconds["total"] = time.perf_counter() - started
    fits = {budget: fitted for budget, (_, fitted) in scratch.items()}
    return classification_record(cfg, table, classes, finetune, metrics, fits, seconds, splits)


def launch_finetune(
    cfg: Any, config_name: str, overrides: Sequence[str], out_dir: str | Path, device: Any = "cpu"
) -> tuple[Any, FitResult]:
    """02's fine-tune on ``distributed.nproc`` processes (torchrun, one per GPU), from a notebook.

    Runs ``python -m artdl.classify`` under :func:`artdl.core.distributed.launch` with the
    notebook's config and overrides, the baselines and the split comparison switched off (the
    notebook runs those itself), then loads what rank 0 wrote: the fit (``finetune_fit.pkl``,
    history, probe and test scores) and the kept weights, copied to ``<out_dir>/best.pt`` where a
    one-process run leaves them. Returns ``(model, fit)``, as :func:`finetune_pretrained` does.
    """
    name = f"{config_name}-ddp"
    distributed.launch("artdl.classify", int(cfg.distributed.nproc), [
        "--config", config_name, "--name", name, *overrides, "distributed.nproc=1",
        "classify.scratch.enabled=false", "classify.split_comparison=false",
    ])  # fmt: skip
    run_dir = models_dir("classifier") / name
    with open(run_dir / "finetune_fit.pkl", "rb") as handle:  # written just now by this launch's rank 0
        fitted: FitResult = pickle.load(handle)  # noqa: S301
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dir / "best.pt", out / "best.pt")
    model, _ = load_classifier(out / "best.pt")
    return model.to(device), fitted
