"""06–07 · figures of generative models: loss curves, sample grids, nearest neighbours, distances, CLIP scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from artdl.viz.core import DISPLAY_WIDTH, MIN_FONT, bare_axes, class_colours, fit_label, grid_cell

__all__ = [
    "distance_bars",
    "gan_loss_curves",
    "grid_snapshots",
    "loss_curves",
    "nearest_neighbour_grid",
    "score_heatmap",
]


def gan_loss_curves(histories: dict[str, pd.DataFrame], smooth: int = 10, note: str = "") -> Any:
    """One panel per GAN: critic and generator losses; for WGAN-GP the critic's Wasserstein estimate.

    The Wasserstein estimate ``E[D(real)] - E[D(fake)]`` is the curve worth watching: it should
    fall as samples improve, while DCGAN losses mostly show the two players' balance.
    """
    import matplotlib.pyplot as plt

    width = min(DISPLAY_WIDTH, 5.0 * len(histories))
    fig, axes = plt.subplots(1, len(histories), figsize=(width, 3.4), squeeze=False, layout="constrained")
    for ax, (name, hist) in zip(axes.flat, histories.items()):

        def roll(col: str, h: pd.DataFrame = hist) -> pd.Series:
            return h[col].rolling(smooth, min_periods=1).mean()

        if "wasserstein" in hist.columns:
            ax.plot(hist["step"], roll("wasserstein"), label="critic W estimate", color="#4c72b0")
            ax.plot(hist["step"], roll("gp"), label="gradient penalty", color="#c44e52", lw=0.8)
            ax.set_ylabel("critic estimate")
        else:
            ax.plot(hist["step"], roll("loss_d"), label="critic loss", color="#4c72b0")
            ax.plot(hist["step"], roll("loss_g"), label="generator loss", color="#dd8452")
            ax.set_ylabel("loss")
        ax.set_xlabel("generator step")
        ax.set_title(fit_label(name, width / len(histories), 10, keep_underscores=True), fontsize=10)
        ax.legend(fontsize=MIN_FONT)
        ax.grid(alpha=0.3)
    if note:
        fig.suptitle(fit_label(note, width, 9), fontsize=9)
    return fig


def grid_snapshots(
    rows: dict[str, tuple[Sequence[np.ndarray], Sequence[int]]], n: int = 5, note: str = "", size: float = 2.3
) -> Any:
    """``n`` fixed-noise grids per GAN, evenly spaced over training, labelled with their epoch.

    The GAN's name is the row's label and each column says only its epoch: a name in every title
    ran into its neighbour's ("train imagesreal · 32 pxude-monet").
    """
    import matplotlib.pyplot as plt

    size = grid_cell(n + 1, size)
    fig, axes = plt.subplots(
        len(rows),
        n,
        figsize=(size * n + 0.6, (size + 0.3) * len(rows) + 0.3),
        squeeze=False,
        layout="constrained",
    )
    for r, (name, (grids, epochs)) in enumerate(rows.items()):
        picks = np.unique(np.linspace(0, len(grids) - 1, n).round().astype(int))
        for c, ax in enumerate(axes[r]):
            bare_axes(ax)
            if c < len(picks):
                ax.imshow(grids[picks[c]], interpolation="nearest")
                ax.set_title(f"epoch {epochs[picks[c]]}", fontsize=MIN_FONT)
        axes[r, 0].set_ylabel(fit_label(name, size + 0.2, 9, lines=3, keep_underscores=True), fontsize=9)
    if note:
        fig.suptitle(fit_label(note, size * n, 9), fontsize=9)
    return fig


def nearest_neighbour_grid(
    queries: Sequence[np.ndarray],
    neighbours: Sequence[Sequence[np.ndarray]],
    distances: np.ndarray,
    query_titles: Sequence[str] | None = None,
    note: str = "",
    size: float = 1.5,
) -> Any:
    """Each row: a generated image, then its nearest training images with their cosine distance."""
    import matplotlib.pyplot as plt

    k = len(neighbours[0])
    size = grid_cell(k + 1, size)
    fig, axes = plt.subplots(
        len(queries), k + 1, figsize=((k + 1) * size, len(queries) * (size + 0.5) + 0.3), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    for r, (q, nbs) in enumerate(zip(queries, neighbours)):
        for ax in axes[r]:
            ax.axis("off")
        axes[r, 0].imshow(q, interpolation="nearest")
        query = fit_label(query_titles[r] if query_titles else "generated", size, keep_underscores=True)
        axes[r, 0].set_title(query, fontsize=MIN_FONT, color="#c44e52")
        for c, nb in enumerate(nbs):
            axes[r, c + 1].imshow(nb, interpolation="nearest")
            axes[r, c + 1].set_title(f"train #{c + 1}\nd = {distances[r, c]:.2f}", fontsize=MIN_FONT)
    if note:
        fig.suptitle(fit_label(note, size * (k + 1), 9), fontsize=9)
    return fig


def distance_bars(table: pd.DataFrame, metric: str, note: str = "") -> Any:
    """Horizontal bars of one distance column per row of ``table`` (lower is closer to real), with
    the bootstrap interval of each as an error bar when the table has it: ``fd_low``/``fd_high``
    for a Fréchet distance (``metric`` "FD-…"), ``kd_low``/``kd_high`` for a kernel distance, as
    :func:`artdl.gan.distance_rows` names them."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(table) + 1.4), layout="constrained")
    labels = [
        fit_label(f"{s} (n={n})", 2.4, lines=2, keep_underscores=True)
        for s, n in zip(table["set"], table["n"])
    ]
    real, generated = class_colours(3)[2], class_colours(1)[0]
    colors = [real if str(s).startswith("real") else generated for s in table["set"]]
    values = table[metric].to_numpy(float)
    low, high = f"{metric[:2].lower()}_low", f"{metric[:2].lower()}_high"
    if low in table and high in table:  # a bar's height alone would hide that another draw moves it by tens
        lo, hi = table[low].to_numpy(float), table[high].to_numpy(float)
        err = np.vstack([np.clip(values - lo, 0, None), np.clip(hi - values, 0, None)])
        ax.barh(labels, values, color=colors, xerr=err, error_kw={"ecolor": "0.2", "capsize": 3, "lw": 1})
        right = float(np.nanmax(np.maximum(hi, values)))
        ax.set_xlabel(f"{metric} to the training paintings (lower = closer)\nwhiskers: 95 % bootstrap interval")
    else:
        ax.barh(labels, values, color=colors)
        right = float(np.nanmax(values))
        ax.set_xlabel(f"{metric} to the training paintings (lower = closer)")
    for i, v in enumerate(values):
        ax.text(v, i - 0.3, f" {v:.1f}", va="bottom", fontsize=MIN_FONT)
    ax.set_xlim(0, right * 1.15)
    ax.invert_yaxis()
    if note:
        ax.set_title(fit_label(note, 5.5, 9), fontsize=9)
    return fig


def score_heatmap(
    scores: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    title: str = "",
    fmt: str = ".3f",
) -> Any:
    """A matrix of scores (e.g. CLIP image-vs-prompt similarity) with values written in the cells.

    The best column of each row is outlined, so a dominant diagonal is visible at a glance.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    scores = np.asarray(scores)
    fig, ax = plt.subplots(
        figsize=(1.1 * len(col_labels) + 3.0, 0.6 * len(row_labels) + 2.2), layout="constrained"
    )
    im = ax.imshow(scores, cmap="viridis")
    cols = [fit_label(c, 1.6, MIN_FONT) for c in col_labels]
    ax.set_xticks(range(len(col_labels)), cols, rotation=90, fontsize=MIN_FONT)  # slanted names collide
    ax.set_yticks(
        range(len(row_labels)), [fit_label(r, 2.4, MIN_FONT) for r in row_labels], fontsize=MIN_FONT
    )
    mid = (scores.max() + scores.min()) / 2
    for r in range(scores.shape[0]):
        for c in range(scores.shape[1]):
            ax.text(
                c,
                r,
                format(scores[r, c], fmt),
                ha="center",
                va="center",
                fontsize=MIN_FONT,
                color="black" if scores[r, c] > mid else "white",
            )
        best = int(scores[r].argmax())
        ax.add_patch(Rectangle((best - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.5))
    fig.colorbar(im, ax=ax, fraction=0.04)
    if title:
        ax.set_title(fit_label(title, 1.1 * len(col_labels) + 1.0, 9), fontsize=9)
    return fig


def loss_curves(
    curves: dict[str, Sequence[float]],
    title: str = "",
    ylabel: str = "loss",
    xlabel: str = "iteration",
    log: bool = False,
) -> Any:
    """One line per named curve, over iterations or epochs counted from 1 (e.g. the VQGAN+CLIP loss
    per iteration of each prompt set, an autoencoder's losses per epoch).

    The x ticks are whole numbers: a tick at epoch 2.5 would describe training that never
    happened. ``log`` puts the losses on a log scale, for curves that differ by orders of magnitude.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(8, 3.4), layout="constrained")
    for (name, values), colour in zip(curves.items(), class_colours(len(curves))):
        ax.plot(range(1, len(values) + 1), values, label=fit_label(name, 2.2), linewidth=1.2, color=colour)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=MIN_FONT, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    if title:
        ax.set_title(fit_label(title, 5.0, 9), fontsize=9)
    return fig
