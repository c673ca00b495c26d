"""Top-k neighbours for the explorer's side panel: plain cosine and influence-aware re-ranked.

The influence graph is being rebuilt (PainterPalette instead of DBpedia), so every call into
``artdl.influence`` / ``artdl.retrieval``'s re-ranking sits in :func:`influence_reranked` and
nowhere else: when that API changes, this is the one function to adapt. The site builder itself
only ever sees two (N, k) index arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["cosine_neighbours", "influence_reranked"]


def cosine_neighbours(features: np.ndarray, k: int = 10, device: Any = "cpu") -> np.ndarray:
    """(N, k) indices of each painting's k most cosine-similar others (``artdl.retrieval.cosine_topk``)."""
    from artdl.retrieval import cosine_topk

    if len(features) < 2:
        return np.zeros((len(features), 0), dtype=int)
    idx, _ = cosine_topk(features, features, k=k, exclude_self=True, batch_size=1024, device=device)
    return idx.astype(np.int64)


def _distances(table: pd.DataFrame, cfg: Any) -> dict[tuple[str, str], int]:
    """Graph distances between the collection's artists, from whichever influence API is present."""
    from artdl import influence

    ic = cfg.retrieve.influence
    max_d = int(ic.get("max_distance", 2))
    if hasattr(influence, "collection_graph"):  # PainterPalette-based graph (2026-12)
        source = str(ic.get("source", "painter_palette"))
        root = influence.palette_root(cfg) if source == "painter_palette" else None
        graph = influence.collection_graph(table, source=source, root=root)
        return graph.distances(max_d)
    edges = influence.load_edges(ic.edges, ic.get("fixture"))  # DBpedia edge CSV (before 2026-12)
    graph = influence.build_graph(edges)
    return influence.graph_distances(graph, sorted(set(table["artist"].astype(str))), max_d)


def influence_reranked(
    features: np.ndarray, table: pd.DataFrame, cfg: Any, k: int = 10, progress: bool = True
) -> np.ndarray | None:
    """(N, k) influence-aware re-ranked neighbours, or None (with a printed reason) when unavailable.

    THE one place that calls the re-ranking: candidates are the cosine top-``candidates`` (config
    ``retrieve.influence``), re-ranked greedily by ``artdl.influence.rerank`` (through
    ``artdl.retrieval.search`` when that exists). A missing graph is a note, not a failed build.
    """
    from tqdm.auto import tqdm

    from artdl import influence, retrieval

    ic = cfg.retrieve.influence
    artists = table["artist"].fillna("").astype(str).to_numpy()
    known = table["artist_known"].to_numpy(bool) if "artist_known" in table else artists != ""
    if not known.any():
        print("Note: no known artists in this collection; influence re-ranking skipped.")
        return None
    try:
        dist = _distances(table, cfg)
    except (ImportError, AttributeError, TypeError, KeyError, ValueError, OSError) as err:
        print(f"Note: influence graph unavailable ({type(err).__name__}: {err}); re-ranking skipped.")
        return None
    # The weight 04's sweep chose by its stated rule (results/04_retrieve.json), so the map's toggle
    # shows the same re-rank that 04 reports; the config's graph_weight only before 04 has run.
    weight, penalty = retrieval.chosen_weight(cfg), float(ic.repeat_penalty)
    pool = int(ic.get("candidates", 50))
    if hasattr(retrieval, "search"):
        res = retrieval.search(
            features, np.arange(len(features)), k, pool=pool, artists=list(artists), known=known,
            distances=dist, graph_weight=weight, repeat_penalty=penalty, batch_size=1024,
        )  # fmt: skip
        return res.indices.astype(np.int64)
    cand, cos = retrieval.cosine_topk(features, features, k=min(pool, len(features) - 1), exclude_self=True)
    out = np.stack(
        [
            influence.rerank(cand[i], cos[i], artists[i], artists, dist, weight, penalty, k, known)[0]
            for i in tqdm(range(len(features)), desc="re-rank", disable=not progress, leave=False)
        ]
    )
    return out.astype(np.int64)
