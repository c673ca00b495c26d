"""Exact cosine retrieval (batched torch matmul, GPU when present), optional faiss, and search.

For a few thousand paintings an exact search is both the fastest and the honest choice: one
matrix product per block of queries, no approximation to explain. faiss (``IndexFlatIP``) is
offered for collections that no longer fit comfortably in one matmul.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from artdl.core import SectionConfig

__all__ = [
    "SearchConfig",
    "SearchResult",
    "cosine_topk",
    "faiss_topk",
    "normalize",
    "query_by_image",
    "search",
]


def normalize(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Rows scaled to unit length (float32), so a dot product is the cosine similarity."""
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).float()
    return torch.nn.functional.normalize(t, dim=1)


@torch.no_grad()
def cosine_topk(
    queries: np.ndarray | torch.Tensor,
    collection: np.ndarray | torch.Tensor,
    k: int = 10,
    farthest: bool = False,
    exclude_self: bool = False,
    batch_size: int = 256,
    device: Any = "cpu",
    first_row: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine scores (Q, k) of the k most (or least, ``farthest``) similar rows.

    ``exclude_self`` assumes the queries are collection rows (query i = item ``first_row + i``: the
    whole collection, or a block of it) and removes each item from its own result list. Queries
    are processed in blocks of ``batch_size`` so memory stays O(batch x N).
    """
    device = torch.device(device)
    c = normalize(collection).to(device)
    q_all = normalize(queries)
    k = min(k, len(c) - (1 if exclude_self else 0))
    idx_out, sc_out = [], []
    for start in range(0, len(q_all), batch_size):
        q = q_all[start : start + batch_size].to(device)
        sims = q @ c.T
        if exclude_self:
            rows = torch.arange(len(q), device=device)
            sims[rows, rows + first_row + start] = float("inf") if farthest else float("-inf")
        scores, idx = torch.topk(sims, k, dim=1, largest=not farthest)
        idx_out.append(idx.cpu())
        sc_out.append(scores.cpu())
    return torch.cat(idx_out).numpy(), torch.cat(sc_out).numpy()


def faiss_topk(queries: np.ndarray, collection: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Same contract as :func:`cosine_topk` (nearest only) with a faiss inner-product index."""
    import faiss

    c = normalize(collection).numpy()
    index = faiss.IndexFlatIP(c.shape[1])
    index.add(c)
    scores, idx = index.search(normalize(queries).numpy(), min(k, len(c)))
    return idx, scores


def query_by_image(
    path: str | Path,
    embed_fn: Callable[[torch.Tensor], np.ndarray],
    collection: np.ndarray,
    size: int,
    k: int = 10,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest and farthest k for an image file that is not in the collection.

    ``embed_fn`` maps a uint8 (1, 3, size, size) tensor to a (1, D) embedding in the collection's
    space. Returns (near_idx, near_scores, far_idx, far_scores), each of length k.
    """
    from artdl.retrieve.embed import collection_images

    image = collection_images(pd.DataFrame({"path": [str(path)]}), size, cache=False, progress=False)
    q = embed_fn(image)
    near, ns = cosine_topk(q, collection, k)
    far, fs = cosine_topk(q, collection, k, farthest=True)
    return near[0], ns[0], far[0], fs[0]


# --------------------------------------------------------------------------------------------
# Search: cosine top-k, near-duplicates, influence re-ranking
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchConfig(SectionConfig):
    """How :func:`search` ranks: list length, candidate pool, duplicates, re-rank weights.

    ``SearchConfig.from_cfg(cfg.retrieve)`` reads ``retrieve.k``, ``retrieve.batch_size`` and the
    ``retrieve.influence`` keys; a caller changes one field with ``from_cfg(..., k=K - 1)`` or
    :func:`dataclasses.replace`. The defaults are a plain cosine search (no folding of look-alikes,
    no re-rank), what ``search(features, queries)`` has always done; the re-rank weights only act
    when :func:`search` is also given the artists and their graph distances.
    """

    SECTION: ClassVar[str] = "retrieve"
    KEYS: ClassVar[dict[str, str]] = {
        "pool": "influence.candidates",
        "collapse": "influence.collapse_duplicates",
        "graph_weight": "influence.graph_weight",
        "repeat_penalty": "influence.repeat_penalty",
    }

    k: int = 10  # results per query
    pool: int = 50  # cosine top-N that the filters and the re-rank choose from
    collapse: bool = False  # keep only the first of each near-duplicate group in a result list
    graph_weight: float = 0.0  # alpha: bonus alpha / d for an artist at graph distance d
    repeat_penalty: float = 0.0  # beta: minus beta per earlier result by the same artist
    batch_size: int = 256  # queries per matmul block


@dataclass
class SearchResult:
    """Top-k per query: ``indices`` and ``scores`` (Q, k; -1 / NaN where fewer than k remain).

    ``same_group_removed``: other scans of the query itself dropped (per query);
    ``collapsed``: look-alike results folded into an earlier one (per query; ``collapse=True``).
    """

    indices: np.ndarray
    scores: np.ndarray
    same_group_removed: np.ndarray
    collapsed: np.ndarray


def search(
    features: np.ndarray,
    queries: Sequence[int],
    config: SearchConfig | None = None,
    *,
    groups: np.ndarray | None = None,
    artists: Sequence[str] | None = None,
    known: Sequence[bool] | None = None,
    distances: Mapping[tuple[str, str], int] | None = None,
    device: Any = "cpu",
) -> SearchResult:
    """The one retrieval entry point: top-k neighbours of collection rows, with or without re-ranking.

    1. cosine top-``config.pool`` of each query row (the query itself excluded);
    2. items in the query's near-duplicate group (``groups``) removed: another scan of the query
       painting is not a neighbour; with ``config.collapse`` only the first item of each group is kept;
    3. with ``graph_weight`` or ``repeat_penalty`` > 0 (and ``artists``, ``distances``), the
       influence re-ranking :func:`artdl.retrieve.influence.rerank`; else plain cosine order.
    """
    from artdl.retrieve.influence import rerank

    c = config or SearchConfig()
    k, collapse, graph_weight, repeat_penalty = c.k, c.collapse, c.graph_weight, c.repeat_penalty
    queries = np.asarray(queries, dtype=int)
    pool = min(max(c.pool, k), len(features) - 1)
    cand, cos = cosine_topk(features[queries], features, pool + 1, batch_size=c.batch_size, device=device)
    use_graph = (graph_weight > 0 or repeat_penalty > 0) and artists is not None
    out_idx = np.full((len(queries), k), -1, dtype=int)
    out_sc = np.full((len(queries), k), np.nan)
    removed = np.zeros(len(queries), dtype=int)
    folded = np.zeros(len(queries), dtype=int)
    for row, q in enumerate(queries):
        keep = cand[row] != q
        if groups is not None:
            same = (groups[cand[row]] == groups[q]) & keep
            removed[row] = int(same.sum())
            keep &= ~same
            if collapse:
                seen: set[Any] = set()
                for j in np.flatnonzero(keep):
                    g = groups[cand[row, j]]
                    if g in seen:
                        keep[j] = False
                        folded[row] += 1
                    seen.add(g)
        ids, sims = cand[row][keep], cos[row][keep]
        if use_graph:
            ids, sims = rerank(
                ids, sims, str(artists[q]), artists, distances or {}, graph_weight, repeat_penalty, k, known
            )
        out_idx[row, : min(k, len(ids))] = ids[:k]
        out_sc[row, : min(k, len(sims))] = sims[:k]
    return SearchResult(out_idx, out_sc, removed, folded)
