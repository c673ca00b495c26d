"""Figures of 04 and 05: the collection's artist graph, the re-rank trade-off, result strips.

Kept apart from :mod:`artdl.viz` so the retrieval figures can change with the retrieval code;
every function returns a matplotlib figure and saves nothing (the notebooks save through
``artdl.viz.save_figure`` / ``save_photo_figure``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["EDGE_COLOURS", "influence_graph_plot", "result_strips", "strip_row", "tradeoff_plot"]

EDGE_COLOURS = {"influenced_by": "tab:blue", "teacher_of": "tab:green", "friend": "tab:orange"}
_EDGE_NAMES = {
    "influenced_by": "influenced (arrow: influencer -> influenced)",
    "teacher_of": "taught",
    "friend": "friend",
}


def influence_graph_plot(ag: Any, counts: Mapping[str, int], seed: int = 0, title: str = "") -> Any:
    """The collection's artists that have an edge among themselves; edge colour = edge type.

    ``ag`` is an :class:`artdl.retrieve.influence.ArtistGraph`; ``counts`` maps a collection artist to its
    number of paintings (node size). Labels use the collection's spelling.
    """
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.lines import Line2D

    name_of: dict[str, str] = {}
    for name, node in ag.node_of.items():  # one collection name per node (the most painted)
        if counts.get(name, 0) >= counts.get(name_of.get(node, ""), -1):
            name_of[node] = name
    sub = ag.graph.subgraph(name_of).copy()
    sub.remove_nodes_from([n for n in list(sub) if sub.degree(n) == 0])
    fig, ax = plt.subplots(figsize=(9, 6.5))
    if not len(sub):
        ax.text(0.5, 0.5, "no edges among the collection's artists", ha="center")
        ax.axis("off")
        return fig
    pos = nx.kamada_kawai_layout(sub.to_undirected()) if len(sub) > 2 else nx.spring_layout(sub, seed=seed)
    sizes = [60 + 12 * np.sqrt(counts.get(name_of[n], 1)) ** 1.5 for n in sub]
    nx.draw_networkx_nodes(sub, pos, ax=ax, node_size=sizes, node_color="0.85", edgecolors="0.4")
    for kind, colour in EDGE_COLOURS.items():
        edges = [(a, b) for a, b, d in sub.edges(data=True) if kind in d["types"]]
        nx.draw_networkx_edges(
            sub, pos, edgelist=edges, ax=ax, edge_color=colour, width=1.6, arrows=True,
            arrowstyle="-|>" if kind != "friend" else "-", arrowsize=11, node_size=sizes,
            connectionstyle="arc3,rad=0.08",
        )  # fmt: skip
    labels = {n: f"{name_of[n]}\n({counts.get(name_of[n], 0)})" for n in sub}
    nx.draw_networkx_labels(sub, pos, labels=labels, ax=ax, font_size=6.5)
    handles = [Line2D([0], [0], color=c, lw=2, label=_EDGE_NAMES[k]) for k, c in EDGE_COLOURS.items()]
    ax.legend(handles=handles, fontsize=7, loc="lower left", frameon=False)
    ax.set_title(
        title or "Influence graph among the collection's artists (paintings in brackets)", fontsize=9
    )
    ax.axis("off")
    fig.tight_layout()
    return fig


def tradeoff_plot(sweep: pd.DataFrame, chosen: float, chance: Mapping[str, float], k: int = 10) -> Any:
    """Left: label P@k and connected shares against the re-rank weight (chance dashed), the chosen
    weight marked. Right: connected share (d<=1) against label P@k, one point per weight."""
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    x = np.arange(len(sweep))
    series = [
        (f"label P@{k}", "tab:blue"),
        (f"connected share@{k} (d<=1)", "tab:orange"),
        (f"connected share@{k} (d<=2)", "tab:green"),
    ]
    for col, colour in series:
        ax.plot(x, sweep[col], "o-", color=colour, label=col, linewidth=1.4, markersize=4)
        if col in chance:
            ax.axhline(chance[col], color=colour, linestyle=":", linewidth=1)
    ax.axvline(list(sweep.index).index(chosen), color="0.3", linestyle="--", linewidth=1)
    ax.set_xticks(x, [f"{w:g}" for w in sweep.index])
    ax.set_xlabel("re-rank weight alpha (0 = cosine only)")
    ax.set_ylabel("share of the top 10")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="center right")
    ax.set_title(f"Trade-off (dotted: chance; dashed: chosen alpha = {chosen:g})", fontsize=9)
    conn = f"connected share@{k} (d<=1)"
    ax2.plot(sweep[f"label P@{k}"], sweep[conn], "o-", color="tab:purple")
    for w, row in sweep.iterrows():
        ax2.annotate(
            f"{w:g}", (row[f"label P@{k}"], row[conn]), fontsize=7, xytext=(3, 3), textcoords="offset points"
        )
    ax2.plot(sweep.loc[chosen, f"label P@{k}"], sweep.loc[chosen, conn], "o", ms=10, mfc="none", mec="0.2")
    ax2.set_xlabel(f"label P@{k}")
    ax2.set_ylabel(conn)
    ax2.set_title("What each weight buys and costs", fontsize=9)
    fig.tight_layout()
    return fig


def result_strips(
    rows: Sequence[tuple[str, Sequence[Any], Sequence[str], Sequence[bool]]], size: float = 1.45
) -> Any:
    """One strip per (row title, images, captions, highlighted): highlighted results get a red frame
    (e.g. the ones a re-rank brought in) and captions may have two lines (artist, graph path)."""
    import matplotlib.pyplot as plt

    from artdl.viz.core import _as_image

    ncols = max(len(r[1]) for r in rows)
    fig, axes = plt.subplots(len(rows), ncols, figsize=(ncols * size, len(rows) * size * 1.45), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for r, (name, imgs, caps, marks) in enumerate(rows):
        for c, (img, cap, mark) in enumerate(zip(imgs, caps, marks)):
            ax = axes[r, c]
            ax.imshow(_as_image(img))
            ax.set_title(str(cap), fontsize=5.2, color="tab:red" if mark else "black")
            if mark:
                ax.axis("on")
                ax.set_xticks([])
                ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_edgecolor("tab:red")
                    spine.set_linewidth(2)
        axes[r, 0].text(
            -0.1, 0.5, name, transform=axes[r, 0].transAxes, rotation=90, va="center", ha="right", fontsize=7
        )
    fig.tight_layout()
    return fig


def strip_row(
    title: str,
    query: Any,
    indices: Sequence[int],
    paths: Sequence[str],
    captions: Sequence[str],
    query_caption: str = "QUERY",
    marks: Sequence[bool] | None = None,
) -> tuple[str, list[Any], list[str], list[bool]]:
    """One :func:`result_strips` row: the query (a row index or an image path) then its results.

    ``indices`` are collection rows (-1 = no result, skipped); ``captions`` one per index.
    """
    keep = [j for j, i in enumerate(indices) if int(i) >= 0]
    q_img = paths[int(query)] if isinstance(query, (int, np.integer)) else query
    marks = [False] * len(indices) if marks is None else list(marks)
    return (
        title,
        [q_img] + [paths[int(indices[j])] for j in keep],
        [query_caption] + [captions[j] for j in keep],
        [False] + [bool(marks[j]) for j in keep],
    )
