"""Influence-aware re-ranking of retrieval results, and how much of a collection the graph reaches.

The artist graph itself lives in :mod:`artdl.retrieve.graph.artists` (PainterPalette and DBpedia edges,
:func:`collection_graph`, :class:`ArtistGraph`) and the name matching in :mod:`artdl.retrieve.graph.names`;
this module re-exports their public names, so ``from artdl.retrieve.influence import collection_graph``
keeps working for notebooks 04, 05 and the explorer.

Re-ranking: among the cosine top-N candidates of a query by artist A, results are picked greedily by

    score(c) = cos(q, c) + alpha / d(A, artist(c))  -  beta * n_before(artist(c))

where d is the shortest-path length (1 .. max_distance) in the undirected graph between two
*different* artists (no bonus for the same artist, whom cosine already favours, nor without a path)
and n_before counts results already picked from that artist, so one painter does not fill the list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from artdl.retrieve.graph.artists import (
    EDGE_TYPES,
    ArtistGraph,
)

__all__ = [
    "coverage",
    "rerank",
]


def coverage(ag: ArtistGraph, table: pd.DataFrame) -> dict[str, Any]:
    """How much of the collection the graph reaches: artists, paintings, edges among collection artists."""
    known = table["artist_known"].to_numpy(bool) if "artist_known" in table else np.ones(len(table), bool)
    artists = table.loc[known, "artist"].astype(str)
    nodes = set(ag.node_of.values())
    sub = ag.graph.subgraph(nodes)
    types: dict[str, int] = dict.fromkeys(EDGE_TYPES, 0)
    for _, _, data in sub.edges(data=True):
        for t in data["types"]:
            types[t] += 1
    how = ag.matches["how"].value_counts()
    return {
        "graph_painters": int(ag.graph.number_of_nodes()),
        "graph_edges": int(ag.graph.number_of_edges()),
        "edge_types_all": {t: int((ag.edges["type"] == t).sum()) for t in EDGE_TYPES},
        "artists": int(artists.nunique()),
        "artists_matched": len(ag.node_of),
        "matched_exact": int(how.get("exact", 0)),
        "matched_words": int(how.get("words", 0)),
        "matched_override": int(how.get("override", 0)),
        "paintings": int(len(table)),
        "paintings_known_artist": int(known.sum()),
        "paintings_in_graph": int(artists.isin(list(ag.node_of)).sum()),
        "edges_among_collection": int(sub.number_of_edges()),
        "edge_types_among_collection": types,
        "collection_artists_with_edges": int(sum(1 for n in nodes if sub.degree(n) > 0)),
    }


# --------------------------------------------------------------------------------------------
# Re-ranking
# --------------------------------------------------------------------------------------------
def rerank(
    candidates: np.ndarray,
    cosine: np.ndarray,
    query_artist: str,
    artists: Sequence[str],
    distances: Mapping[tuple[str, str], int],
    graph_weight: float = 0.05,
    repeat_penalty: float = 0.01,
    k: int = 10,
    known: Sequence[bool] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy influence-aware re-ranking of one query's candidates (formula in the module docstring).

    ``candidates`` are collection indices with their ``cosine`` scores; ``artists[i]`` is the
    artist of item i, ``known[i]`` whether that is a real attribution (unknown artists get no bonus
    and no repeat penalty). Returns (indices, final scores) of length k.
    """
    cand = np.asarray(candidates, dtype=int)
    cos = np.asarray(cosine, dtype=float)
    names = [str(artists[i]) for i in cand]
    ok = np.ones(len(cand), bool) if known is None else np.asarray(known, bool)[cand]
    bonus = np.zeros(len(cand))
    for j, name in enumerate(names):
        d = distances.get((str(query_artist), name)) if ok[j] else None
        if d:  # 1 .. max_distance; 0 (same artist) and None give nothing
            bonus[j] = graph_weight / d
    base = cos + bonus
    remaining = np.ones(len(cand), bool)
    counts: dict[str, int] = {}
    picked, scores = [], []
    for _ in range(min(k, len(cand))):
        penalty = np.array([repeat_penalty * counts.get(n, 0) if o else 0.0 for n, o in zip(names, ok)])
        score = np.where(remaining, base - penalty, -np.inf)
        best = int(np.argmax(score))
        remaining[best] = False
        if ok[best]:
            counts[names[best]] = counts.get(names[best], 0) + 1
        picked.append(int(cand[best]))
        scores.append(float(score[best]))
    return np.array(picked, dtype=int), np.array(scores, dtype=float)
