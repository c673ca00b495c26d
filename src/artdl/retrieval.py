"""Exact cosine retrieval (batched torch matmul, GPU if present), farthest-k, and evaluation.

For collections of thousands of paintings an exact search is a single matrix product and cheaper
than building an index; ``faiss_topk`` is there for much larger crawls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

__all__ = ["normalise", "cosine_topk", "faiss_topk", "neighbours", "evaluate_retrieval", "evaluation_table"]


def normalise(x: Any) -> torch.Tensor:
    """Rows scaled to unit length (float32), so a dot product is the cosine similarity."""
    t = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    return t / t.norm(dim=1, keepdim=True).clamp_min(1e-12)


def cosine_topk(
    queries: Any,
    keys: Any,
    k: int = 10,
    largest: bool = True,
    exclude_self: bool = False,
    batch_size: int = 1024,
    device: Any = "cpu",
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (``largest``) or bottom-k cosine similarities of each query row against all key rows.

    ``exclude_self`` assumes queries and keys are the same collection and drops i == i matches.
    Returns (scores, indices), each (n_queries, k), best first.
    """
    q, kk = normalise(queries).to(device), normalise(keys).to(device)
    k = min(k, len(kk) - int(exclude_self))
    scores, idx = [], []
    for s in range(0, len(q), batch_size):
        sim = q[s : s + batch_size] @ kk.T
        if exclude_self:
            rows = torch.arange(len(sim), device=sim.device)
            sim[rows, rows + s] = float("-inf") if largest else float("inf")
        v, i = torch.topk(sim, k, dim=1, largest=largest)
        scores.append(v.cpu())
        idx.append(i.cpu())
    return torch.cat(scores).numpy(), torch.cat(idx).numpy()


def faiss_topk(queries: Any, keys: Any, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Same as :func:`cosine_topk` (largest) through a faiss inner-product index, for big collections."""
    import faiss

    kk = normalise(keys).numpy()
    index = faiss.IndexFlatIP(kk.shape[1])
    index.add(kk)
    return index.search(normalise(queries).numpy(), min(k, len(kk)))


def neighbours(emb: Any, i: int, k: int = 10, device: Any = "cpu") -> dict[str, np.ndarray]:
    """Nearest-k and farthest-k of collection item ``i`` (itself excluded)."""
    e = normalise(emb)
    mask = np.arange(len(e)) != i
    keys_idx = np.flatnonzero(mask)
    ns, ni = cosine_topk(e[i : i + 1], e[mask], k, True, device=device)
    fs, fi = cosine_topk(e[i : i + 1], e[mask], k, False, device=device)
    return {
        "nearest": keys_idx[ni[0]],
        "nearest_scores": ns[0],
        "farthest": keys_idx[fi[0]],
        "farthest_scores": fs[0],
    }


def evaluate_retrieval(emb: Any, labels: Sequence[Any], k: int = 10, device: Any = "cpu") -> dict[str, float]:
    """Leave-one-out precision@k and mean average precision with ``labels`` as relevance.

    Each item queries all others. Items whose label occurs only once have no relevant item and are
    skipped (and counted in ``n_queries``). AP is computed over the full ranking.
    """
    labels = np.asarray([str(x) for x in labels])
    e = normalise(emb).to(device)
    sim = (e @ e.T).cpu()
    sim.fill_diagonal_(float("-inf"))
    order = torch.argsort(sim, dim=1, descending=True)[:, :-1].numpy()
    precs, aps = [], []
    for i in range(len(labels)):
        rel = labels[order[i]] == labels[i]
        if not rel.any():
            continue
        precs.append(rel[:k].mean())
        hits = np.cumsum(rel)
        aps.append(float((hits[rel] / (np.flatnonzero(rel) + 1)).mean()))
    return {
        f"precision@{k}": float(np.mean(precs)) if precs else float("nan"),
        "mAP": float(np.mean(aps)) if aps else float("nan"),
        "n_queries": len(precs),
    }


def evaluation_table(
    embeddings: dict[str, Any], table: pd.DataFrame, k: int = 10, device: Any = "cpu"
) -> pd.DataFrame:
    """precision@k and mAP for same-label and same-artist retrieval, one row per embedding source.

    Labels are prefixed with the data set so that e.g. AIC collections and WikiArt artists never
    count as the same label. Artists that are empty or "unknown" are not relevance targets.
    """
    lab = (table["dataset"].astype(str) + ":" + table["label"].astype(str)).to_numpy()
    art = table["artist"].astype(str).to_numpy()
    known = np.array([a.strip() != "" and "unknown" not in a.lower() for a in art])
    rows = []
    for name, emb in embeddings.items():
        e = np.asarray(emb)
        r_lab = evaluate_retrieval(e, lab, k, device)
        r_art = evaluate_retrieval(e[known], art[known], k, device)
        rows.append(
            {
                "source": name,
                f"label P@{k}": r_lab[f"precision@{k}"],
                "label mAP": r_lab["mAP"],
                f"artist P@{k}": r_art[f"precision@{k}"],
                "artist mAP": r_art["mAP"],
                "label queries": r_lab["n_queries"],
                "artist queries": r_art["n_queries"],
                "dim": e.shape[1],
            }
        )
    return pd.DataFrame(rows).set_index("source")
