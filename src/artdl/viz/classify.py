"""02 · figures of a classifier: training curves, the confusion matrix, metric bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from artdl.classify import SplitComparison
from artdl.viz.core import MIN_FONT, fit_label

__all__ = ["accuracy_intervals", "confusion_matrix_plot", "metric_bars", "training_history"]


def training_history(histories: dict[str, pd.DataFrame], notes: dict[str, str] | None = None) -> Any:
    """Loss and validation accuracy per epoch for one or more runs (:func:`artdl.classify.fit` histories).

    ``notes`` adds a budget to a run's label ("same 103 s, 43 steps"). A run of one or two
    evaluations (a from-scratch baseline on a wall-time budget) would be a dot lost among the
    lines: it is drawn as a large diamond and named beside it as well as in the legend.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
    notes = notes or {}
    for name, hist in histories.items():
        label = f"{name} ({notes[name]})" if name in notes else name
        short = len(hist) <= 2
        mark = {"marker": "D", "markersize": 9} if short else {"marker": "o"}
        x_epochs = _epochs_trained(hist)
        line = ax_loss.plot(x_epochs, hist["train_loss"], label=f"{label} train", **mark)[0]
        colour = line.get_color()
        ax_loss.plot(x_epochs, hist["val_loss"], ls="--", color=colour, label=f"{label} val",
                     **(mark | {"marker": "X"}))  # fmt: skip
        ax_acc.plot(x_epochs, hist["val_acc"], color=colour, label=label, **mark)
        if short:
            x, y = x_epochs.iloc[-1], hist["val_acc"].iloc[-1]
            ax_acc.annotate(fit_label(label, 1.8, keep_underscores=True), (x, y), xytext=(10, 0),
                            textcoords="offset points", fontsize=MIN_FONT, color=colour, va="center")  # fmt: skip
    last = max(int(h["epoch"].max()) for h in histories.values()) if histories else 1
    # Whole epochs only, and none past the last: a tick at 1.5, or at an epoch 5 that exists only
    # because the axis leaves room for a label, would describe training that never happened.
    ticks = [t for t in MaxNLocator(nbins=8, integer=True).tick_values(0, last) if 0 <= t <= last]
    for ax, what in ((ax_loss, "cross-entropy"), (ax_acc, "validation accuracy")):
        ax.set_xlabel("epoch (0 = head only)")
        ax.set_ylabel(what)
        ax.set_xticks(ticks)
    # One legend under both panels (same colours in each): inside a panel it covered the curves.
    fig.legend(*ax_loss.get_legend_handles_labels(), loc="outside lower center", ncol=2,
               fontsize=MIN_FONT, frameon=False)  # fmt: skip
    low, high = ax_acc.get_xlim()
    ax_acc.set_xlim(low, high + 0.3 * (high - low))  # room for a short run's name right of its marker
    ax_acc.margins(y=0.15)
    return fig


def _epochs_trained(hist: pd.DataFrame) -> pd.Series:
    """Where each history row sits on an epoch axis: a run that a time budget stopped 0.7 of the
    way through its first epoch is drawn at 0.7, not at 1 (``epoch_done``; head-only rows at 0)."""
    if "epoch_done" not in hist:
        return hist["epoch"].astype(float)
    done = hist["epoch_done"].fillna(1.0)
    return (hist["epoch"] - 1 + done).where(hist["epoch"] > 0, 0.0)


def confusion_matrix_plot(confusion: Sequence[Sequence[int]], classes: Sequence[str], title: str = "") -> Any:
    """Row-normalised confusion matrix with counts in each cell (rows = true label)."""
    import matplotlib.pyplot as plt

    cm = np.asarray(confusion, dtype=float)
    share = cm / np.clip(cm.sum(1, keepdims=True), 1, None)
    fig, ax = plt.subplots(figsize=(1.0 * len(classes) + 2.6, 0.9 * len(classes) + 2.0), layout="constrained")
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(
                j,
                i,
                f"{int(cm[i, j])}\n{share[i, j]:.0%}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if share[i, j] > 0.55 else "black",
            )
    names = [fit_label(c, 1.6, 9) for c in classes]  # two lines of style name, then "…"
    ax.set_xticks(range(len(classes)), names, rotation=90, fontsize=9)  # upright names would collide
    ax.set_yticks(range(len(classes)), names, fontsize=9)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(fit_label(title, 0.9 * len(classes) + 1.5, 10), fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return fig


def metric_bars(
    table: pd.DataFrame, metrics: Sequence[str], label_column: str = "model", title: str = ""
) -> Any:
    """Grouped bars of a few metrics per model (e.g. test top-1 and macro-F1)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.6 * len(table) + 2.5, 3.4), layout="constrained")
    width = 0.8 / len(metrics)
    x = np.arange(len(table))
    for k, metric in enumerate(metrics):
        bars = ax.bar(x + k * width, table[metric], width, label=metric)
        for b, v in zip(bars, table[metric]):
            ax.text(b.get_x() + b.get_width() / 2, v + 0.01, f"{v:.2f}", ha="center", fontsize=8)
    names = [fit_label(n, 1.5, keep_underscores=True) for n in table[label_column]]
    ax.set_xticks(x + width * (len(metrics) - 1) / 2, names, fontsize=MIN_FONT)
    ax.set_ylim(0, 1.08)
    ax.legend(fontsize=MIN_FONT)
    ax.set_title(title)
    return fig


def accuracy_intervals(
    models: dict[str, dict[str, Any]],
    title: str = "",
    keys: tuple[str, ...] = ("top1", "top3"),
    xlabels: dict[str, str] | None = None,
) -> Any:
    """Test accuracy per model as dots with 95 % interval bars, and the chance level as a line.

    ``models`` maps a name to :func:`artdl.classify.experiment.evaluate` output (``key``,
    ``key_ci``, ``chance_key`` for each of ``keys``). Intervals instead of bare bars, because on
    ~1,000 test paintings two models a point apart are not yet different. ``xlabels`` names the
    axis of a key that is not a test top-k (a retrieval precision, say).
    """
    import matplotlib.pyplot as plt

    names = list(models)
    shown = [k for k in keys if all(k in m for m in models.values())]
    fig, axes = plt.subplots(
        1,
        len(shown),
        figsize=(4.2 * len(shown), 0.55 * len(names) + 1.6),
        squeeze=False,
        layout="constrained",
    )
    for ax, key in zip(axes[0], shown):
        y = np.arange(len(names))[::-1]
        values = np.array([models[n][key] for n in names])
        lows = values - np.array([models[n][f"{key}_ci"][0] for n in names])
        highs = np.array([models[n][f"{key}_ci"][1] for n in names]) - values
        ax.errorbar(values, y, xerr=[lows, highs], fmt="o", color="tab:blue", capsize=4)
        for v, yy in zip(values, y):
            ax.text(v, yy + 0.18, f"{v:.3f}", ha="center", fontsize=8)
        chance = models[names[0]].get(f"chance_{key}")
        if chance is not None:
            ax.axvline(chance, color="grey", ls=":", lw=1)
            ax.text(chance, y.max() + 0.45, " chance", color="grey", fontsize=MIN_FONT, ha="left")
        ax.set_yticks(y, [fit_label(n, 1.8, keep_underscores=True) for n in names], fontsize=MIN_FONT)
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.6, len(names) - 0.2)
        ax.set_xlabel((xlabels or {}).get(key) or f"test {key.replace('top', 'top-')} (95 % Wilson interval)")
    if title:
        fig.suptitle(fit_label(title, 4.0 * len(shown), 10), fontsize=10)
    return fig


def split_intervals(comparison: SplitComparison, n_classes: int, title: str = "") -> Any:
    """The kept fine-tune's test top-1 on the stratified and the artist-disjoint split, with
    their Wilson intervals and the chance level: :func:`accuracy_intervals` for two splits."""
    rows = {
        f"{s.split} split (n={s.n_test})": {
            "top1": s.top1, "top1_ci": (s.top1_low, s.top1_high), "chance_top1": 1 / n_classes,
        }
        for s in comparison.scores
    }  # fmt: skip
    return accuracy_intervals(rows, title=title, keys=("top1",))
