"""03–05 · figures of a latent space: reconstructions, 2-D maps, thumbnail maps and grids, strips."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from artdl.viz.core import DISPLAY_WIDTH, MIN_FONT, _as_image, bare_axes, class_colours, fit_label, grid_cell

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
    size = grid_cell(n + 1, size)  # one column's width for the row names
    fig, axes = plt.subplots(
        len(rows), n, figsize=(n * size + 0.5, len(rows) * size), squeeze=False, layout="constrained"
    )
    for r, (name, imgs) in enumerate(rows.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(_as_image(imgs[c]))
            bare_axes(ax)
        axes[r, 0].set_ylabel(fit_label(name, size, MIN_FONT), fontsize=MIN_FONT)
    return fig


def embedding_scatter(
    xy: np.ndarray | Mapping[str, np.ndarray], labels: Sequence[str], title: str = "", ax: Any = None
) -> Any:
    """A 2-D map of the collection, one colour per label.

    ``xy`` is one map (N x 2), or several maps of the same paintings by panel title
    (``{"t-SNE of DAE codes": xy_dae, ...}``): those are drawn side by side with one legend for
    all of them, since the colours mean the same in every panel (``title`` then heads the figure).
    """
    import matplotlib.pyplot as plt

    labels = np.asarray(labels).astype(str)
    names = sorted(set(labels))
    ncol = 1 if len(names) <= 20 else 2
    if isinstance(xy, Mapping):
        if ax is not None:
            raise ValueError("several maps draw their own figure: pass ax only with a single map")
        n = len(xy)
        width = min(DISPLAY_WIDTH, 3.9 * n + 1.9 * ncol)  # wider would be shrunk on display
        fig, axes = plt.subplots(1, n, figsize=(width, 4.2), squeeze=False, layout="constrained")
        for panel, (name, one) in zip(axes[0], xy.items()):
            _scatter_labels(panel, np.asarray(one), labels, names)
            panel.set_title(fit_label(name, (width - 1.9 * ncol) / n, 9), fontsize=9)
        # one legend for every panel, beside them: the same ten names twice only took room from the maps
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside right upper", fontsize=MIN_FONT,
                   markerscale=1.5, frameon=False, ncol=ncol)  # fmt: skip
        if title:
            fig.suptitle(fit_label(title, width, 10), fontsize=10)
        return fig
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    _scatter_labels(ax, np.asarray(xy), labels, names)
    ax.set_title(fit_label(title, 5.0, 9), fontsize=9)
    # beside the map, not on it: "best" still covers points, and the classes need their names
    ax.legend(fontsize=MIN_FONT, markerscale=1.5, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False,
              ncol=ncol)  # fmt: skip
    return fig if fig is not None else ax.figure


def _scatter_labels(ax: Any, xy: np.ndarray, labels: np.ndarray, names: Sequence[str]) -> None:
    """The points of ``xy``, one colour per name of ``names``, on bare axes."""
    for lab, colour in zip(names, class_colours(len(names))):
        m = labels == lab
        ax.scatter(xy[m, 0], xy[m, 1], s=10, color=colour, label=fit_label(lab, 1.8, lines=1), alpha=0.85)
    ax.set_xticks([])
    ax.set_yticks([])


def thumbnail_scatter(
    xy: np.ndarray, images: Sequence[Any], zoom: float = 0.35, title: str = "", figsize: float = 9,
    max_thumbnails: int = 1500, seed: int = 0,
) -> Any:  # fmt: skip
    """The 2-D map drawn with the paintings themselves (images: paths or arrays).

    Beyond ``max_thumbnails`` points (``full``'s 10,800-painting collection) a seeded random share
    is drawn as thumbnails and the rest as grey dots: thousands of overlapping thumbnails take
    minutes to draw and hide each other, while the dots still show where the rest lie.
    """
    import matplotlib.pyplot as plt
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    fig, ax = plt.subplots(figsize=(figsize, figsize), layout="constrained")
    n = len(xy)
    shown = np.arange(n)
    if n > max_thumbnails:
        shown = np.sort(np.random.default_rng(seed).choice(n, size=max_thumbnails, replace=False))
        title = f"{title} (thumbnails: {max_thumbnails} drawn at random; grey dots: the other {n - max_thumbnails})"
    rest = np.setdiff1d(np.arange(n), shown)
    ax.scatter(xy[:, 0], xy[:, 1], s=0)
    ax.scatter(xy[rest, 0], xy[rest, 1], s=2, c="0.6", linewidths=0)
    for i in shown:
        ax.add_artist(AnnotationBbox(OffsetImage(_as_image(images[int(i)]), zoom=zoom), tuple(xy[i]), frameon=False))
    ax.set_title(fit_label(title, figsize - 0.5, 10), fontsize=10)
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
    size = grid_cell(ncols, size)
    fig, axes = plt.subplots(
        len(rows),
        ncols,
        figsize=(ncols * size, len(rows) * (size + 0.4)),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.flat:
        ax.axis("off")
    for r, (name, imgs, caps) in enumerate(rows):
        for c, (img, cap) in enumerate(zip(imgs, caps)):
            ax = axes[r, c]
            ax.imshow(_as_image(img))
            ax.set_title(fit_label(cap, size), fontsize=MIN_FONT)
        axes[r, 0].axis("on")
        bare_axes(axes[r, 0])
        axes[r, 0].set_ylabel(fit_label(name, size + 0.3), fontsize=MIN_FONT)
    return fig


def walk_on_map(
    xy: np.ndarray, path: Sequence[int], images: Sequence[Any], labels: Sequence[str] | None = None
) -> Any:
    """The latent walk as numbered, arrowed steps over the 2-D map, with the walked paintings as
    thumbnails.

    Each arrow stops at the edge of the thumbnails it joins (ending at the centre, its head was
    hidden under the next painting, and the walk's direction with it), and each thumbnail carries
    its step number, so a reader can follow the order where the walk folds back on itself.
    """
    import matplotlib.pyplot as plt
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    zoom = 0.28
    fig, ax = plt.subplots(figsize=(7.5, 6), layout="constrained")
    ax.scatter(xy[:, 0], xy[:, 1], s=5, c="0.8")
    # half a thumbnail's side in points (the frame adds its padding): where each arrow must stop
    side = max((max(_as_image(images[i]).shape[:2]) for i in path), default=0)
    half = side * zoom * 72 / fig.dpi / 2 + 4
    for a, b in zip(path[:-1], path[1:]):
        ax.annotate(
            "", xy=xy[b], xytext=xy[a], zorder=3,
            arrowprops={"arrowstyle": "-|>", "color": "crimson", "lw": 1.4, "shrinkA": half, "shrinkB": half,
                        "mutation_scale": 12},
        )  # fmt: skip
    for i in path:
        box = AnnotationBbox(OffsetImage(_as_image(images[i]), zoom=zoom), xy[i], frameon=True, pad=0.1)
        box.set_zorder(2)
        ax.add_artist(box)
    # Steps whose thumbnails overlap on the map share one label ("1, 2"): two labels there would
    # print on top of each other and read as another number ("12").
    ax.autoscale_view()
    points = ax.transData.transform(xy[list(path)]) * 72 / fig.dpi if len(path) else np.zeros((0, 2))
    groups: list[tuple[np.ndarray, list[int]]] = []
    for step, at in enumerate(points, start=1):
        near = next((g for g in groups if np.abs(g[0] - at).max() < 2 * half), None)
        if near is None:
            groups.append((at, [step]))
        else:
            near[1].append(step)
    for _, steps in groups:
        ax.annotate(", ".join(map(str, steps)), xy[path[steps[0] - 1]], xytext=(half, half),
                    textcoords="offset points", fontsize=MIN_FONT, fontweight="bold", color="crimson", zorder=4)  # fmt: skip
    ax.set_title("Latent walk over the 2-D map (numbers and arrows: walk order)", fontsize=9)
    ax.axis("off")
    return fig


def thumbnail_dendrogram(
    features: np.ndarray, images: Sequence[Any], method: str = "ward", labels: Sequence[str] | None = None
) -> Any:
    """Hierarchical clustering (scipy) as a dendrogram lying on its side, a thumbnail and a label per leaf.

    Leaves run down the page, one row each, so an 8-pt label gets a row's height whatever the
    number of paintings (leaves along the width left 4-pt labels for 40 paintings). The thumbnails
    are two rows tall and stand in two staggered columns (even leaves left, odd leaves right), so
    they are big enough to see while a row stays one line of text high; a thin line runs from each
    leaf through its thumbnail to its label, and the thumbnails keep their aspect ratio.
    """
    import matplotlib.pyplot as plt
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage
    from scipy.cluster.hierarchy import dendrogram, linkage

    link = linkage(np.asarray(features, dtype=float), method=method)
    n = len(features)
    row = 0.24  # inches per leaf: one 8-pt line
    thumb = 1.8 * row * 72  # points: a thumbnail's long side, nearly two rows
    gap = 4.0  # points between the two thumbnail columns and before the labels
    width, ratios = 6.6, (1.0, 1.1)
    fig, (ax, strip) = plt.subplots(
        1, 2, figsize=(width, n * row + 0.6), sharey=True, gridspec_kw={"width_ratios": ratios},
        layout="constrained",
    )  # fmt: skip
    fig.get_layout_engine().set(w_pad=0, wspace=0)  # the leaves' lines run on into the strip's
    dend = dendrogram(link, ax=ax, orientation="left", no_labels=True, color_threshold=None)
    ax.set_xticks([])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    strip.axis("off")
    strip.set_xlim(0, 1)
    text_at = 2 * (thumb + gap) + gap
    label_width = width * ratios[1] / sum(ratios) - text_at / 72 - 0.2  # inches of the strip left for a label
    for pos, leaf in enumerate(dend["leaves"]):  # scipy puts leaf ``pos`` at y = 10 * pos + 5
        y = 10 * pos + 5
        strip.annotate("", xy=(0, y), xytext=(text_at - gap / 2, 0), textcoords="offset points",
                       arrowprops={"arrowstyle": "-", "color": "0.65", "lw": 0.6, "shrinkA": 0, "shrinkB": 0},
                       annotation_clip=False, zorder=1)  # fmt: skip
        image = _as_image(images[leaf])
        box = AnnotationBbox(
            OffsetImage(image, zoom=thumb / max(image.shape[:2])), (0, y), xybox=(gap + (pos % 2) * (thumb + gap), 0),
            xycoords="data", boxcoords="offset points", box_alignment=(0, 0.5), frameon=False, annotation_clip=False,
        )  # fmt: skip
        box.set_zorder(2)
        box.set_in_layout(False)
        strip.add_artist(box)
        if labels is not None:
            strip.annotate(fit_label(labels[leaf], label_width, MIN_FONT, lines=1), (0, y), xytext=(text_at, 0),
                           textcoords="offset points", va="center", fontsize=MIN_FONT, annotation_clip=False)  # fmt: skip
    strip.set_ylim(-5, 10 * n + 5)  # room for the first and last thumbnails, which overhang their rows
    ax.set_title(f"Hierarchical clustering ({method} linkage) of {n} paintings", fontsize=10, loc="left")
    return fig
