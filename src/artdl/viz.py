"""Figures shared by the notebooks: saving PNGs, image grids, label distributions.

Figures are saved to ``images/<step>/<name>.png`` at a modest dpi so the committed notebooks and
the README stay small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from artdl.paths import images_dir

__all__ = ["DPI", "examples_per_label", "image_grid", "label_distribution", "save_figure", "thumbnail"]

DPI = 110


def save_figure(fig: Any, step: str, name: str, dpi: int = DPI) -> Path:
    """Save ``fig`` as ``images/<step>/<name>.png`` and return the path."""
    path = images_dir(step) / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight", facecolor="white")
    return path


def thumbnail(path: str | Path, size: int = 128) -> Any:
    """An RGB thumbnail (long side ``size``) as a PIL image."""
    from artdl.data import load_image

    image = load_image(path)
    image.thumbnail((size, size))
    return image


def image_grid(
    images: Sequence[Any],
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    size: float = 1.8,
    suptitle: str | None = None,
) -> Any:
    """A grid of images (paths, PIL images or HxWxC arrays) with optional short titles."""
    import matplotlib.pyplot as plt

    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.1), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, img in enumerate(images):
        ax = axes.flat[i]
        if isinstance(img, (str, Path)):
            img = thumbnail(img, 192)
        ax.imshow(np.asarray(img))
        if titles is not None:
            ax.set_title(str(titles[i])[:28], fontsize=7)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def label_distribution(table: pd.DataFrame, by_split: bool = True, title: str = "Images per label") -> Any:
    """Horizontal bar chart of images per label, stacked by split when there is a ``split`` column."""
    import matplotlib.pyplot as plt

    if by_split and "split" in table.columns:
        counts = table.groupby(["label", "split"]).size().unstack(fill_value=0)
        counts = counts[[c for c in ("train", "val", "test") if c in counts.columns]]
    else:
        counts = table["label"].value_counts().to_frame("images")
    counts = counts.loc[counts.sum(axis=1).sort_values().index]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(counts) + 1.2))
    counts.plot.barh(
        stacked=True, ax=ax, width=0.8, color=["#4c72b0", "#dd8452", "#55a868"][: counts.shape[1]]
    )
    for i, total in enumerate(counts.sum(axis=1)):
        ax.text(total + 0.5, i, str(int(total)), va="center", fontsize=8)
    ax.set_xlabel("images")
    ax.set_ylabel("")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def examples_per_label(table: pd.DataFrame, per_label: int = 6, seed: int = 0, size: float = 1.6) -> Any:
    """One row of random example paintings per label, the label written on the left."""
    import matplotlib.pyplot as plt

    labels = sorted(table["label"].unique())
    fig, axes = plt.subplots(
        len(labels), per_label, figsize=(per_label * size, len(labels) * size), squeeze=False
    )
    rng = np.random.default_rng(seed)
    for r, label in enumerate(labels):
        rows = table[table["label"] == label]
        pick = rows.iloc[rng.permutation(len(rows))[:per_label]]
        for c in range(per_label):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_visible(False)
            if c < len(pick):
                ax.imshow(np.asarray(thumbnail(pick.iloc[c]["path"], 160)))
            if c == 0:
                ax.set_ylabel(str(label).replace("_", " "), rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    return fig


# --- 02 classify ----------------------------------------------------------------------------
def training_history(histories: dict[str, pd.DataFrame]) -> Any:
    """Loss and validation accuracy per epoch for one or more runs (``artdl.train.fit`` histories)."""
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.2))
    for name, hist in histories.items():
        line = ax_loss.plot(hist["epoch"], hist["train_loss"], marker="o", label=f"{name} train")[0]
        ax_loss.plot(
            hist["epoch"], hist["val_loss"], marker="x", ls="--", color=line.get_color(), label=f"{name} val"
        )
        ax_acc.plot(hist["epoch"], hist["val_acc"], marker="o", color=line.get_color(), label=name)
    ax_loss.set_xlabel("epoch (0 = head only)")
    ax_loss.set_ylabel("cross-entropy")
    ax_acc.set_xlabel("epoch (0 = head only)")
    ax_acc.set_ylabel("validation accuracy")
    ax_loss.legend(fontsize=7)
    ax_acc.legend(fontsize=7)
    fig.tight_layout()
    return fig


def confusion_matrix_plot(confusion: Sequence[Sequence[int]], classes: Sequence[str], title: str = "") -> Any:
    """Row-normalised confusion matrix with counts in each cell (rows = true label)."""
    import matplotlib.pyplot as plt

    cm = np.asarray(confusion, dtype=float)
    share = cm / np.clip(cm.sum(1, keepdims=True), 1, None)
    fig, ax = plt.subplots(figsize=(1.0 * len(classes) + 2.2, 0.9 * len(classes) + 1.6))
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
    ax.set_xticks(range(len(classes)), classes, rotation=35, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def metric_bars(
    table: pd.DataFrame, metrics: Sequence[str], label_column: str = "model", title: str = ""
) -> Any:
    """Grouped bars of a few metrics per model (e.g. test top-1 and macro-F1)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.6 * len(table) + 2.5, 3.2))
    width = 0.8 / len(metrics)
    x = np.arange(len(table))
    for k, metric in enumerate(metrics):
        bars = ax.bar(x + k * width, table[metric], width, label=metric)
        for b, v in zip(bars, table[metric]):
            ax.text(b.get_x() + b.get_width() / 2, v + 0.01, f"{v:.2f}", ha="center", fontsize=8)
    ax.set_xticks(x + width * (len(metrics) - 1) / 2, table[label_column], fontsize=8)
    ax.set_ylim(0, 1.08)
    ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return fig


# --- 03-05 autoencode / retrieve ------------------------------------------------------------
def _as_image(img: Any) -> Any:
    """A path, PIL image, HxWxC array or CxHxW tensor/array (uint8 or [0, 1]) as an HxWxC array."""
    if isinstance(img, (str, Path)):
        return np.asarray(thumbnail(img, 96))
    arr = np.asarray(img.detach().cpu() if hasattr(img, "detach") else img)
    if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = arr.transpose(1, 2, 0)
    if arr.dtype != np.uint8:
        arr = (np.clip(arr, 0, 1) * 255).astype(np.uint8)
    return arr


def reconstruction_grid(originals: Any, reconstructions: dict[str, Any], size: float = 1.2) -> Any:
    """Rows: originals, then one row per model's reconstruction of the same paintings."""
    import matplotlib.pyplot as plt

    rows = {"original": originals, **reconstructions}
    n = len(originals)
    fig, axes = plt.subplots(len(rows), n, figsize=(n * size, len(rows) * size), squeeze=False)
    for r, (name, imgs) in enumerate(rows.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(_as_image(imgs[c]))
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, fontsize=8)
    fig.tight_layout()
    return fig


def embedding_scatter(xy: np.ndarray, labels: Sequence[str], title: str = "", ax: Any = None) -> Any:
    """A 2-D map of the collection, one colour per label."""
    import matplotlib.pyplot as plt

    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 5))
    labels = np.asarray(labels).astype(str)
    cmap = plt.get_cmap("tab20")
    for i, lab in enumerate(sorted(set(labels))):
        m = labels == lab
        ax.scatter(xy[m, 0], xy[m, 1], s=8, color=cmap(i % 20), label=lab, alpha=0.8)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=6, markerscale=1.5, loc="best", frameon=False)
    return fig if fig is not None else ax.figure


def thumbnail_scatter(
    xy: np.ndarray, images: Sequence[Any], zoom: float = 0.35, title: str = "", figsize: float = 9
) -> Any:
    """The 2-D map drawn with the paintings themselves (images: paths or arrays)."""
    import matplotlib.pyplot as plt
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    fig, ax = plt.subplots(figsize=(figsize, figsize))
    ax.scatter(xy[:, 0], xy[:, 1], s=0)
    for (x, y), img in zip(xy, images):
        ax.add_artist(AnnotationBbox(OffsetImage(_as_image(img), zoom=zoom), (x, y), frameon=False))
    ax.set_title(title, fontsize=10)
    ax.axis("off")
    return fig


def thumbnail_grid_plot(
    cells: np.ndarray, images: Sequence[Any], rows: int, cols: int, size: float = 0.7
) -> Any:
    """Paintings placed on the grid cells from ``archive.snap_to_grid`` (one per cell)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for (r, c), img in zip(cells, images):
        axes[r, c].imshow(_as_image(img))
    fig.subplots_adjust(wspace=0.02, hspace=0.02)
    return fig


def neighbour_strips(rows: Sequence[tuple[str, Sequence[Any], Sequence[str]]], size: float = 1.3) -> Any:
    """One strip per row: (row title, images, captions); the first image is usually the query."""
    import matplotlib.pyplot as plt

    ncols = max(len(r[1]) for r in rows)
    fig, axes = plt.subplots(len(rows), ncols, figsize=(ncols * size, len(rows) * size * 1.25), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for r, (name, imgs, caps) in enumerate(rows):
        for c, (img, cap) in enumerate(zip(imgs, caps)):
            ax = axes[r, c]
            ax.imshow(_as_image(img))
            ax.set_title(str(cap)[:22], fontsize=5.5)
        axes[r, 0].text(
            -0.1, 0.5, name, transform=axes[r, 0].transAxes, rotation=90, va="center", ha="right", fontsize=7
        )
    fig.tight_layout()
    return fig


def walk_on_map(
    xy: np.ndarray, path: Sequence[int], images: Sequence[Any], labels: Sequence[str] | None = None
) -> Any:
    """The latent walk as arrows over the 2-D map, with the walked paintings as thumbnails."""
    import matplotlib.pyplot as plt
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    fig, ax = plt.subplots(figsize=(7.5, 6))
    ax.scatter(xy[:, 0], xy[:, 1], s=5, c="0.8")
    for a, b in zip(path[:-1], path[1:]):
        ax.annotate(
            "", xy=xy[b], xytext=xy[a], arrowprops={"arrowstyle": "->", "color": "crimson", "lw": 1.4}
        )
    for i in path:
        ax.add_artist(
            AnnotationBbox(OffsetImage(_as_image(images[i]), zoom=0.28), xy[i], frameon=True, pad=0.1)
        )
    ax.set_title("Latent walk over the 2-D map (arrows: walk order)", fontsize=9)
    ax.axis("off")
    return fig


def thumbnail_dendrogram(
    features: np.ndarray, images: Sequence[Any], method: str = "ward", labels: Sequence[str] | None = None
) -> Any:
    """Hierarchical clustering (scipy) drawn as a dendrogram with a thumbnail under each leaf."""
    import matplotlib.pyplot as plt
    from scipy.cluster.hierarchy import dendrogram, linkage

    link = linkage(np.asarray(features, dtype=float), method=method)
    n = len(features)
    fig = plt.figure(figsize=(max(8, n * 0.42), 5))
    ax = fig.add_axes((0.02, 0.3, 0.96, 0.65))
    dend = dendrogram(link, ax=ax, no_labels=True, color_threshold=None)
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    width = 0.96 / n
    for pos, leaf in enumerate(dend["leaves"]):
        sub = fig.add_axes((0.02 + pos * width, 0.12, width * 0.95, 0.17))
        sub.imshow(_as_image(images[leaf]))
        sub.axis("off")
        if labels is not None:
            sub.set_title(str(labels[leaf])[:10], fontsize=4, rotation=90, y=-0.9)
    ax.set_title(f"Hierarchical clustering ({method} linkage) of {n} paintings", fontsize=9)
    return fig


def save_photo_figure(fig: Any, step: str, name: str, dpi: int = DPI, colors: int = 256) -> Path:
    """Like :func:`save_figure`, then re-encode the PNG with a ``colors`` palette.

    Figures made of painting thumbnails compress badly as true-colour PNG (1 MB+); a 256-colour
    palette keeps them readable at a third of the size, so the repository and notebooks stay small.
    """
    from PIL import Image

    path = save_figure(fig, step, name, dpi)
    with Image.open(path) as image:
        quantized = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    quantized.save(path, optimize=True)
    return path


# --- 06 GAN ---
def gan_loss_curves(histories: dict[str, pd.DataFrame], smooth: int = 10, note: str = "") -> Any:
    """One panel per GAN: critic and generator losses; for WGAN-GP the critic's Wasserstein estimate.

    The Wasserstein estimate ``E[D(real)] - E[D(fake)]`` is the curve worth watching: it should
    fall as samples improve, while DCGAN losses mostly show the two players' balance.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(histories), figsize=(5.2 * len(histories), 3.4), squeeze=False)
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
        ax.set_title(name, fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    if note:
        fig.suptitle(note, fontsize=9)
    fig.tight_layout()
    return fig


def grid_snapshots(
    rows: dict[str, tuple[Sequence[np.ndarray], Sequence[int]]], n: int = 5, note: str = "", size: float = 2.3
) -> Any:
    """``n`` fixed-noise grids per GAN, evenly spaced over training, labelled with their epoch."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), n, figsize=(size * n, (size + 0.2) * len(rows)), squeeze=False)
    for r, (name, (grids, epochs)) in enumerate(rows.items()):
        picks = np.unique(np.linspace(0, len(grids) - 1, n).round().astype(int))
        for c, ax in enumerate(axes[r]):
            ax.axis("off")
            if c < len(picks):
                ax.imshow(grids[picks[c]], interpolation="nearest")
                ax.set_title(f"{name} · epoch {epochs[picks[c]]}", fontsize=8)
    if note:
        fig.suptitle(note, fontsize=9)
    fig.tight_layout()
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
    fig, axes = plt.subplots(
        len(queries), k + 1, figsize=((k + 1) * size, len(queries) * size * 1.1), squeeze=False
    )
    for r, (q, nbs) in enumerate(zip(queries, neighbours)):
        for ax in axes[r]:
            ax.axis("off")
        axes[r, 0].imshow(q, interpolation="nearest")
        axes[r, 0].set_title(query_titles[r] if query_titles else "generated", fontsize=7, color="#c44e52")
        for c, nb in enumerate(nbs):
            axes[r, c + 1].imshow(nb, interpolation="nearest")
            axes[r, c + 1].set_title(f"train #{c + 1} · d={distances[r, c]:.2f}", fontsize=7)
    if note:
        fig.suptitle(note, fontsize=8)
    fig.tight_layout()
    return fig


def distance_bars(table: pd.DataFrame, metric: str, note: str = "") -> Any:
    """Horizontal bars of one distance column per row of ``table`` (lower is closer to real)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(table) + 1.4))
    labels = [f"{s} (n={n})" for s, n in zip(table["set"], table["n"])]
    colors = ["#55a868" if str(s).startswith("real") else "#4c72b0" for s in table["set"]]
    ax.barh(labels, table[metric], color=colors)
    for i, v in enumerate(table[metric]):
        ax.text(v, i, f" {v:.1f}", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"{metric} to the training paintings (lower = closer)")
    if note:
        ax.set_title(note, fontsize=8)
    fig.tight_layout()
    return fig


# --- 07 VQGAN+CLIP -------------------------------------------------------------------------


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
    fig, ax = plt.subplots(figsize=(1.1 * len(col_labels) + 2.2, 0.6 * len(row_labels) + 1.6))
    im = ax.imshow(scores, cmap="viridis")
    ax.set_xticks(range(len(col_labels)), col_labels, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(row_labels)), row_labels, fontsize=8)
    mid = (scores.max() + scores.min()) / 2
    for r in range(scores.shape[0]):
        for c in range(scores.shape[1]):
            ax.text(
                c,
                r,
                format(scores[r, c], fmt),
                ha="center",
                va="center",
                fontsize=7,
                color="black" if scores[r, c] > mid else "white",
            )
        best = int(scores[r].argmax())
        ax.add_patch(Rectangle((best - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.5))
    fig.colorbar(im, ax=ax, fraction=0.04)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def loss_curves(curves: dict[str, Sequence[float]], title: str = "", ylabel: str = "loss") -> Any:
    """One line per named curve (e.g. the VQGAN+CLIP loss per iteration of each prompt set)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, label=name, linewidth=1.2)
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
