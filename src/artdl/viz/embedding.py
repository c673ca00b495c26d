"""03–05 · figures of a latent space: reconstructions, 2-D maps, thumbnail maps and grids, strips."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from artdl.viz.core import _as_image

__all__ = [
    "embedding_scatter",
    "neighbour_strips",
    "reconstruction_grid",
    "thumbnail_dendrogram",
    "thumbnail_grid_plot",
    "thumbnail_scatter",
    "walk_on_map",
]


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
