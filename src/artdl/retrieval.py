"""Exact cosine retrieval (batched torch matmul, GPU when present), optional faiss, and evaluation.

For a few thousand paintings an exact search is both the fastest and the honest choice: one
matrix product per block of queries, no approximation to explain. faiss (``IndexFlatIP``) is
offered for collections that no longer fit comfortably in one matmul.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

__all__ = [
    "chance_precision",
    "cosine_topk",
    "evaluate_retrieval",
    "faiss_topk",
    "normalize",
    "query_by_image",
    "retrieval_metrics",
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
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine scores (Q, k) of the k most (or least, ``farthest``) similar rows.

    ``exclude_self`` assumes the queries are the collection itself (row i = item i) and removes
    each item from its own result list. Queries are processed in blocks of ``batch_size`` so memory
    stays O(batch x N).
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
            sims[rows, rows + start] = float("inf") if farthest else float("-inf")
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
    from artdl.embed import collection_images

    image = collection_images(pd.DataFrame({"path": [str(path)]}), size, cache=False, progress=False)
    q = embed_fn(image)
    near, ns = cosine_topk(q, collection, k)
    far, fs = cosine_topk(q, collection, k, farthest=True)
    return near[0], ns[0], far[0], fs[0]


def retrieval_metrics(
    ranked: np.ndarray, labels: Sequence[Any], k: int = 10, valid: np.ndarray | None = None
) -> dict[str, float]:
    """precision@k and mean average precision over full rankings (self excluded).

    ``ranked[i]`` is the full ranking of the other N-1 items for query i. A query only counts when
    at least one other item shares its label (and ``valid[i]`` is true): a painter with one work
    cannot be retrieved by artist. AP is the mean of precision at each relevant item's rank.
    """
    labels = np.asarray(labels)
    rel = labels[ranked] == labels[:, None]
    has = rel.any(axis=1)
    if valid is not None:
        has &= np.asarray(valid, dtype=bool)
    rel = rel[has]
    if not len(rel):
        return {"precision@k": float("nan"), "mAP": float("nan"), "queries": 0}
    prec_k = rel[:, :k].mean(axis=1)
    hits = np.cumsum(rel, axis=1)
    ranks = np.arange(1, rel.shape[1] + 1)
    ap = (rel * hits / ranks).sum(axis=1) / rel.sum(axis=1)
    return {"precision@k": float(prec_k.mean()), "mAP": float(ap.mean()), "queries": int(len(rel))}


def evaluate_retrieval(
    embeddings: dict[str, np.ndarray],
    table: pd.DataFrame,
    k: int = 10,
    device: Any = "cpu",
    batch_size: int = 256,
) -> pd.DataFrame:
    """One row per embedding source: precision@k and mAP for same-label and same-artist retrieval.

    Leave-one-out over the whole collection: every painting queries all the others. Same-artist
    queries use only known artists with at least two works (anonymous works are not one painter).
    """
    rows = []
    known = table["artist_known"].to_numpy() if "artist_known" in table else None
    for name, feats in embeddings.items():
        ranked, _ = cosine_topk(
            feats, feats, k=len(feats) - 1, exclude_self=True, batch_size=batch_size, device=device
        )
        lab = retrieval_metrics(ranked, table["label"].astype(str).to_numpy(), k)
        art = retrieval_metrics(ranked, table["artist"].astype(str).to_numpy(), k, valid=known)
        rows.append(
            {
                "source": name,
                "dim": int(feats.shape[1]),
                f"label P@{k}": lab["precision@k"],
                "label mAP": lab["mAP"],
                f"artist P@{k}": art["precision@k"],
                "artist mAP": art["mAP"],
                "label queries": lab["queries"],
                "artist queries": art["queries"],
            }
        )
    return pd.DataFrame(rows).set_index("source")


def chance_precision(labels: Sequence[Any], valid: np.ndarray | None = None) -> float:
    """Expected precision of a random ranking: mean over counted queries of (same-label others) / (N - 1).

    The floor to read the evaluation table against; with two large painters in the collection it is
    far from 1 / (number of labels).
    """
    labels = np.asarray(labels).astype(str)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    others = counts[inverse] - 1
    keep = others > 0
    if valid is not None:
        keep &= np.asarray(valid, dtype=bool)
    return float((others[keep] / (len(labels) - 1)).mean()) if keep.any() else float("nan")
