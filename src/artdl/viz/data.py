"""00 · figures of a data set: how many paintings per label and split, and what they look like."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from artdl.viz.core import MIN_FONT, bare_axes, class_colours, fit_label, thumbnail

__all__ = ["examples_per_label", "label_distribution", "look_alike_grid", "years_histogram"]

DISAGREE = "labels disagree"  # the caption of a look-alike whose copies carry different labels
DISAGREE_COLOUR = "#c62828"  # a red that reads on white and is not one of class_colours' first shades


def label_distribution(table: pd.DataFrame, by_split: bool = True, title: str = "Images per label") -> Any:
    """Horizontal bar chart of images per label, stacked by split when there is a ``split`` column."""
    import matplotlib.pyplot as plt

    if by_split and "split" in table.columns:
        counts = table.groupby(["label", "split"]).size().unstack(fill_value=0)
        counts = counts[[c for c in ("train", "val", "test") if c in counts.columns]]
    else:
        counts = table["label"].value_counts().to_frame("images")
    counts = counts.loc[counts.sum(axis=1).sort_values().index]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(counts) + 1.4), layout="constrained")
    counts.plot.barh(stacked=True, ax=ax, width=0.8, color=class_colours(3)[: counts.shape[1]])
    for i, total in enumerate(counts.sum(axis=1)):
        ax.text(total, i, f" {int(total)}", va="center", fontsize=MIN_FONT)
    ax.set_yticks(range(len(counts)), [fit_label(n, 2.2, 9, lines=1) for n in counts.index], fontsize=9)
    ax.set_xlim(0, counts.sum(axis=1).max() * 1.12)
    ax.set_xlabel("images")
    ax.set_ylabel("")
    ax.legend(fontsize=MIN_FONT, loc="lower right")
    ax.set_title(title)
    return fig


def examples_per_label(table: pd.DataFrame, per_label: int = 6, seed: int = 0, size: float = 1.6) -> Any:
    """One row of random example paintings per label, the label written on the left."""
    import matplotlib.pyplot as plt

    labels = sorted(table["label"].unique())
    fig, axes = plt.subplots(
        len(labels), per_label, figsize=(per_label * size + 1.6, len(labels) * size), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    rng = np.random.default_rng(seed)
    for r, label in enumerate(labels):
        rows = table[table["label"] == label]
        pick = rows.iloc[rng.permutation(len(rows))[:per_label]]
        for c in range(per_label):
            ax = axes[r, c]
            bare_axes(ax)
            if c < len(pick):
                ax.imshow(np.asarray(thumbnail(pick.iloc[c]["path"], 160)))
            if c == 0:
                ax.set_ylabel(fit_label(label, 1.5, 9), rotation=0, ha="right", va="center", fontsize=9)
    return fig


def years_histogram(table: pd.DataFrame, decade: int = 10) -> Any:
    """Paintings per decade, the labels stacked in one bar per decade; undated paintings are left out.

    Stacked, not overlaid: translucent histograms drawn over each other hid the labels that share
    decades (the 1850s-1890s collections of the AIC set), and stacking keeps every label's share
    visible while the bar's height is the decade's total. Returns ``None`` when no painting
    carries a year, so a notebook can say so instead of plotting an empty axis.
    """
    import matplotlib.pyplot as plt

    dated = table.dropna(subset=["year"])
    if dated.empty:
        return None
    start, stop = int(dated["year"].min()) // decade * decade, int(dated["year"].max()) + 2 * decade
    groups = list(dated.groupby("label"))
    fig, ax = plt.subplots(figsize=(8, 3.2), layout="constrained")
    ax.hist(
        [rows["year"].to_numpy() for _, rows in groups], bins=range(start, stop, decade), stacked=True,
        color=class_colours(len(groups)), edgecolor="white", linewidth=0.4,
        label=[fit_label(label, 2.0, lines=1) for label, _ in groups],
    )  # fmt: skip
    ax.set_xlabel("year")
    ax.set_ylabel("paintings")
    handles, names = ax.get_legend_handles_labels()  # top of the legend = top of the stack
    ax.legend(handles[::-1], names[::-1], fontsize=MIN_FONT, loc="upper left", bbox_to_anchor=(1.01, 1),
              frameon=False)  # fmt: skip
    ax.set_title(f"{len(dated)} of {len(table)} paintings carry a year ({decade}-year bins, labels stacked)")
    return fig


def look_alike_grid(
    table: pd.DataFrame, max_images: int = 8, ncols: int = 4, size: float = 2.0, suptitle: str | None = None
) -> Any:
    """Look-alike groups side by side, each painting captioned with its label and split.

    ``table`` has ``path`` (a path, PIL image or array), ``label``, ``split`` and ``group`` (the
    near-duplicate ids of :func:`artdl.data.load_splits`). Groups whose copies carry different
    labels come first and are captioned in red, "labels disagree": they are labelling conflicts
    (one scan filed under two styles), which ``data.split.conflicting_duplicates`` keeps out of
    the test split, and the reader should see them rather than find them. Whole groups are shown,
    up to ``max_images`` paintings (at least one group).
    """
    import matplotlib.pyplot as plt

    merged = table[table["group"].duplicated(keep=False)]
    if merged.empty:
        raise ValueError("The table has no look-alike groups (no `group` id is shared by two rows).")
    n_labels = merged.groupby("group")["label"].transform("nunique")
    merged = merged.assign(disagrees=n_labels > 1).sort_values(["disagrees", "group"], ascending=[False, True])
    sizes = merged.groupby("group", sort=False).size()
    keep = sizes.index[(sizes.cumsum() <= max_images) | (np.arange(len(sizes)) == 0)]
    shown = merged[merged["group"].isin(keep)]
    ncols = max(1, min(ncols, len(shown)))
    nrows = int(np.ceil(len(shown) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * size, nrows * (size + 0.35) + 0.3), squeeze=False, layout="constrained"
    )
    for ax in axes.flat:
        ax.axis("off")
    for ax, row in zip(axes.flat, shown.itertuples()):
        image = row.path
        ax.imshow(np.asarray(thumbnail(image, 192) if isinstance(image, (str, Path)) else image))
        second = f"({row.split}) · {DISAGREE}" if row.disagrees else f"({row.split})"
        caption = fit_label(row.label, size, MIN_FONT, lines=1) + "\n" + fit_label(second, size, MIN_FONT, 1)
        ax.set_title(caption, fontsize=MIN_FONT, color=DISAGREE_COLOUR if row.disagrees else "black")
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig
