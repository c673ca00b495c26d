"""Top-k neighbours for the explorer's side panel: plain cosine and influence-aware re-ranked.

Every call into 04's re-ranking (:func:`artdl.retrieve.neighbours`) sits in :func:`influence_reranked`,
so the map shows the same re-rank that 04 reports. The site builder itself only ever sees two
(N, k) index arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from artdl.retrieve import SearchConfig, chosen_weight, cosine_topk, search
from artdl.retrieve.graph import collection_graph, palette_root

__all__ = ["cosine_neighbours", "influence_reranked"]


def cosine_neighbours(features: np.ndarray, k: int = 10, device: Any = "cpu") -> np.ndarray:
    """(N, k) indices of each painting's k most cosine-similar others (``artdl.retrieve.neighbours.cosine_topk``)."""

    if len(features) < 2:
        return np.zeros((len(features), 0), dtype=int)
    idx, _ = cosine_topk(features, features, k=k, exclude_self=True, batch_size=1024, device=device)
    return idx.astype(np.int64)


def _distances(table: pd.DataFrame, cfg: Any) -> dict[tuple[str, str], int]:
    """Graph distances between the collection's artists, within ``retrieve.influence.max_distance``."""
    ic = cfg.retrieve.influence
    source = str(ic.get("source", "painter_palette"))
    root = palette_root(cfg) if source == "painter_palette" else None
    return collection_graph(table, source=source, root=root).distances(int(ic.get("max_distance", 2)))


def influence_reranked(
    features: np.ndarray, table: pd.DataFrame, cfg: Any, k: int = 10, progress: bool = True
) -> np.ndarray | None:
    """(N, k) influence-aware re-ranked neighbours, or None (with a printed reason) when unavailable.

    THE one place that calls the re-ranking: candidates are the cosine top-``candidates`` (config
    ``retrieve.influence``), re-ranked greedily by :func:`artdl.retrieve.neighbours`. A missing graph is a note, not a failed build.
    """
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
    weight, penalty = chosen_weight(cfg), float(ic.repeat_penalty)
    pool = int(ic.get("candidates", 50))
    config = SearchConfig(k=k, pool=pool, graph_weight=weight, repeat_penalty=penalty, batch_size=1024)
    res = search(
        features, np.arange(len(features)), config, artists=list(artists), known=known, distances=dist
    )
    return res.indices.astype(np.int64)
