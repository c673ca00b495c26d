"""Figures of 04 and 05: the collection's artist graph, the re-rank trade-off, result strips.

Kept apart from :mod:`artdl.viz` so the retrieval figures can change with the retrieval code;
every function returns a matplotlib figure and saves nothing (the notebooks save through
``artdl.viz.save_figure`` / ``save_photo_figure``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from artdl.viz.classify import accuracy_intervals
from artdl.viz.core import MIN_FONT, _as_image, bare_axes, class_colours, fit_label, grid_cell, spread_labels

__all__ = [
    "EDGE_COLOURS",
    "graph_captions",
    "influence_graph_plot",
    "result_strips",
    "retrieval_intervals",
    "score_captions",
    "strip_row",
    "tradeoff_plot",
]

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
    # nodes and edges in sorted order: a networkx subgraph lists its nodes from a set, and the layout
    # (and so the figure) would change from run to run with Python's string hashing
    linked = ag.graph.subgraph(name_of)
    sub = nx.DiGraph()
    sub.add_nodes_from(sorted(n for n in linked if linked.degree(n) > 0))
    sub.add_edges_from(sorted(linked.edges(data=True), key=lambda e: (e[0], e[1])))
    fig, ax = plt.subplots(figsize=(10, 7.5), layout="constrained")
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
    ax.margins(0.12)
    ax.axis("off")
    fig.canvas.draw()  # final limits, so a node's radius can be turned into data units
    to_data, lifts = ax.transData.inverted(), [(np.sqrt(s) / 2 + 2) * fig.dpi / 72 for s in sizes]
    # each label just above its node's disc, then pushed apart (adjustText) so no two names overlap
    texts = [
        ax.text(*to_data.transform(ax.transData.transform(pos[n]) + (0, lift)),
                f"{fit_label(name_of[n], 1.6, MIN_FONT)} ({counts.get(name_of[n], 0)})",
                fontsize=MIN_FONT, ha="center", va="bottom",
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 0.6})  # edges pass behind
        for n, lift in zip(sub, lifts)
    ]  # fmt: skip
    handles = [Line2D([0], [0], color=c, lw=2, label=_EDGE_NAMES[k]) for k, c in EDGE_COLOURS.items()]
    ax.legend(handles=handles, fontsize=MIN_FONT, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3,
              frameon=False)  # fmt: skip
    ax.set_title(
        title or "Influence graph among the collection's artists (paintings in brackets)", fontsize=10
    )
    spread_labels(texts, ax, points=np.array([pos[n] for n in sub]))
    return fig


def tradeoff_plot(sweep: pd.DataFrame, chosen: float, chance: Mapping[str, float], k: int = 10) -> Any:
    """Left: label P@k and connected shares against the re-rank weight (chance dashed), the chosen
    weight marked. Right: connected share (d<=1) against label P@k, one point per weight."""
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    x = np.arange(len(sweep))
    names = [f"label P@{k}", f"connected share@{k} (d<=1)", f"connected share@{k} (d<=2)"]
    series = list(zip(names, class_colours(3)))
    for col, colour in series:
        ax.plot(x, sweep[col], "o-", color=colour, label=col, linewidth=1.4, markersize=4)
        if col in chance:
            ax.axhline(chance[col], color=colour, linestyle=":", linewidth=1)
    ax.axvline(list(sweep.index).index(chosen), color="0.3", linestyle="--", linewidth=1)
    ax.set_xticks(x, [f"{w:g}" for w in sweep.index], fontsize=MIN_FONT, rotation=0 if len(x) <= 10 else 90)
    ax.set_xlabel("re-rank weight alpha (0 = cosine only)\nticks at the swept values, not to scale")
    ax.set_ylabel(f"share of the top {k}")
    ax.set_ylim(0, 1)
    # under both panels, where no curve runs (inside, it covered the curves whatever the corner)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=MIN_FONT,
               frameon=False)  # fmt: skip
    ax.set_title(f"Trade-off (dotted: chance; dashed: chosen alpha = {chosen:g})", fontsize=9)
    conn = f"connected share@{k} (d<=1)"
    ax2.plot(sweep[f"label P@{k}"], sweep[conn], "o-", color=class_colours(5)[4])
    weights = [
        ax2.text(row[f"label P@{k}"], row[conn], f" {w:g}", fontsize=MIN_FONT) for w, row in sweep.iterrows()
    ]
    ax2.plot(sweep.loc[chosen, f"label P@{k}"], sweep.loc[chosen, conn], "o", ms=10, mfc="none", mec="0.2")
    ax2.set_xlabel(f"label P@{k}")
    ax2.set_ylabel(conn)
    ax2.margins(0.15)
    ax2.set_title("What each weight buys and costs (points: alpha)", fontsize=9)
    spread_labels(weights, ax2)  # neighbouring weights often sit on one spot
    return fig


def retrieval_intervals(
    intervals: Mapping[str, Mapping[str, Any]],
    chance: Mapping[str, float],
    k: int = 10,
    random: Collection[str] = (),
    title: str = "",
) -> Any:
    """Same-label and same-artist P@k per embedding as dots with their bootstrap intervals over the
    queries, and the chance level of each: which embedding retrieves better, and by more than the
    spread between queries.

    ``intervals[source][what]`` is an :class:`artdl.core.Interval` (``bootstrap_mean`` of the
    per-query P@k) for each ``what`` in ``chance`` (``label``, ``artist``). ``random`` names the
    sources with random weights: they are marked so on the axis, as a wiring check, not a result.
    """
    whats = [w for w in chance if all(w in v for v in intervals.values())]
    rows = {}
    for source, by_what in intervals.items():
        name = f"{source} (random weights)" if source in random else source
        rows[name] = {}
        for w in whats:
            iv = by_what[w]
            rows[name] |= {w: iv.value, f"{w}_ci": (iv.low, iv.high), f"chance_{w}": chance[w]}
    n = {w: next(iter(intervals.values()))[w].n for w in whats}
    xlabels = {w: f"{w} P@{k} ({n[w]} queries; 95 % bootstrap interval)" for w in whats}
    return accuracy_intervals(rows, title=title, keys=tuple(whats), xlabels=xlabels)


def result_strips(
    rows: Sequence[tuple[str, Sequence[Any], Sequence[str], Sequence[bool]]], size: float = 1.45
) -> Any:
    """One strip per (row title, images, captions, highlighted): highlighted results get a red frame
    (e.g. the ones a re-rank brought in) and captions may have two lines (artist, graph path), each
    wrapped to at most three."""
    import matplotlib.pyplot as plt

    ncols = max(len(r[1]) for r in rows)
    size = grid_cell(ncols, size)
    # Each caption line (artist, graph path) may wrap to three: a graph path of three names, or a
    # "Jean-Baptiste-Camille Corot", cut at two lines lost the part that says who it is.
    wrapped = [["\n".join(fit_label(line, size, MIN_FONT, lines=3) for line in str(cap).split("\n"))
                for cap in r[2]] for r in rows]  # fmt: skip
    lines = max(cap.count("\n") + 1 for caps in wrapped for cap in caps)
    fig, axes = plt.subplots(
        len(rows), ncols, figsize=(ncols * size, len(rows) * (size + 0.14 * lines) + 0.2), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    for ax in axes.flat:
        ax.axis("off")
    for r, (name, imgs, _, marks) in enumerate(rows):
        for c, (img, caption, mark) in enumerate(zip(imgs, wrapped[r], marks)):
            ax = axes[r, c]
            ax.imshow(_as_image(img))
            ax.set_title(caption, fontsize=MIN_FONT, color="tab:red" if mark else "black")
            if mark:
                ax.axis("on")
                bare_axes(ax)
                for spine in ax.spines.values():
                    spine.set_visible(True)
                    spine.set_edgecolor("tab:red")
                    spine.set_linewidth(2)
        axes[r, 0].axis("on")
        bare_axes(axes[r, 0])
        axes[r, 0].set_ylabel(fit_label(name, size + 0.3, MIN_FONT), fontsize=MIN_FONT)
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


def score_captions(artists: Sequence[str], indices: Sequence[int], scores: Sequence[float]) -> list[str]:
    """Each result's artist and cosine similarity, for :func:`strip_row`."""
    return [f"{artists[int(i)]}\n{float(s):.2f}" for i, s in zip(indices, scores)]


def graph_captions(ag: Any, artists: Sequence[str], query: int, indices: Sequence[int]) -> list[str]:
    """Each result's artist and its path in the artist graph from the query's artist
    (:meth:`artdl.retrieve.ArtistGraph.path`), or "same artist", for :func:`strip_row`."""
    mine = artists[int(query)]
    return [
        f"{artists[int(i)]}\n{ag.path(mine, artists[int(i)]) if artists[int(i)] != mine else 'same artist'}"
        for i in indices
    ]
