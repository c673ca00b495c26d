"""Exact cosine retrieval (batched torch matmul, GPU when present), optional faiss, and evaluation.

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
    "RetrievalEvaluation",
    "SearchConfig",
    "SearchResult",
    "chance_precision",
    "cosine_topk",
    "evaluate_retrieval",
    "faiss_topk",
    "leave_one_out",
    "normalize",
    "per_label_precision",
    "query_by_image",
    "retrieval_metrics",
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


def retrieval_metrics(
    ranked: np.ndarray,
    labels: Sequence[Any],
    k: int = 10,
    valid: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    rows: np.ndarray | None = None,
) -> dict[str, Any]:
    """precision@k and mean average precision over full rankings (self excluded).

    ``ranked[i]`` is the full ranking of the other N-1 items for query ``rows[i]`` (by default
    query i: the whole collection; a block of rows scores a block of queries). A query only counts
    when at least one other item shares its label (and ``valid`` is true for it): a painter with
    one work cannot be retrieved by artist. AP is the mean of precision at each relevant item's
    rank. ``groups`` (near-duplicate group ids, :func:`artdl.data.dedup.dataset_groups`) removes
    every item of the query's own group from its ranking: another scan of the query is not a
    retrieval success. ``per_query`` and ``per_query_ap`` hold the counted queries' scores in row
    order, and ``counted`` marks which rows those are.
    """
    labels = np.asarray(labels)
    rows = np.arange(len(ranked)) if rows is None else np.asarray(rows)
    rel = labels[ranked] == labels[rows][:, None]
    if groups is not None:
        groups = np.asarray(groups)
        keep = groups[ranked] != groups[rows][:, None]
        order = np.argsort(~keep, axis=1, kind="stable")  # kept items first, in rank order
        rel = np.take_along_axis(rel & keep, order, axis=1)
    counted = rel.any(axis=1)
    if valid is not None:
        counted &= np.asarray(valid, dtype=bool)[rows]
    rel = rel[counted]
    prec_k = rel[:, :k].mean(axis=1)
    hits = np.cumsum(rel, axis=1)
    ranks = np.arange(1, rel.shape[1] + 1)
    ap = (rel * hits / ranks).sum(axis=1) / np.maximum(rel.sum(axis=1), 1)
    return _summary(prec_k, ap, counted)


def _summary(prec_k: np.ndarray, ap: np.ndarray, counted: np.ndarray) -> dict[str, Any]:
    some = bool(len(prec_k))
    return {
        "precision@k": float(prec_k.mean()) if some else float("nan"),
        "mAP": float(ap.mean()) if some else float("nan"),
        "queries": int(len(prec_k)),
        "per_query": prec_k,  # P@k of each counted query, for paired comparisons
        "per_query_ap": ap,
        "counted": counted,
    }


# Queries ranked at a time by :func:`leave_one_out`: a block's rankings and their relevance masks
# hold about this many entries, ~130 MB each, where a whole 12,000-painting collection would take GBs.
_LEAVE_ONE_OUT_ENTRIES = 2**24


def leave_one_out(
    features: Mapping[str, np.ndarray],
    label_sets: Mapping[str, tuple[Sequence[Any], np.ndarray | None]],
    k: int = 10,
    groups: np.ndarray | None = None,
    device: Any = "cpu",
    batch_size: int = 256,
) -> dict[str, dict[str, dict[str, Any]]]:
    """:func:`retrieval_metrics` of every embedding for every label set: ``out[what][name]`` for
    ``features[name]`` and ``label_sets[what] = (labels, valid)``.

    Every painting queries all the others (minus its near-duplicate ``groups``). Each embedding is
    ranked once for all label sets, a block of queries at a time: a full leave-one-out ranking is
    N x N, the costly part at 12,000 paintings. The counted queries depend only on the labels,
    groups and ``valid``, so the ``per_query`` vectors of all embeddings line up query by query, as
    a paired comparison needs.
    """
    sets = {what: (np.asarray(labels).astype(str), valid) for what, (labels, valid) in label_sets.items()}
    out: dict[str, dict[str, dict[str, Any]]] = {what: {} for what in sets}
    for name, feats in features.items():
        n = len(feats)
        block = max(1, _LEAVE_ONE_OUT_ENTRIES // max(n, 1))
        parts: dict[str, list[dict[str, Any]]] = {what: [] for what in sets}
        for start in range(0, n, block):
            rows = np.arange(start, min(start + block, n))
            ranked, _ = cosine_topk(
                feats[rows],
                feats,
                n - 1,
                exclude_self=True,
                batch_size=batch_size,
                device=device,
                first_row=start,
            )
            for what, (labels, valid) in sets.items():
                parts[what].append(retrieval_metrics(ranked, labels, k, valid, groups, rows))
        for what, blocks in parts.items():
            joined = (
                np.concatenate([m[key] for m in blocks]) for key in ("per_query", "per_query_ap", "counted")
            )
            out[what][name] = _summary(*joined)
    return out


@dataclass(frozen=True)
class RetrievalEvaluation:
    """:func:`evaluate_retrieval`'s table, and the P@k of each counted query behind its means.

    ``per_query["label"][source]`` and ``per_query["artist"][source]`` line up query by query across
    sources, for :func:`artdl.retrieve.versus_baseline` and bootstrap intervals; ``counted["label"]``
    marks the paintings those queries are (the same for every source), for
    :func:`per_label_precision`.
    """

    table: pd.DataFrame
    per_query: dict[str, dict[str, np.ndarray]]
    counted: dict[str, np.ndarray]


def evaluate_retrieval(
    embeddings: Mapping[str, np.ndarray],
    table: pd.DataFrame,
    k: int = 10,
    device: Any = "cpu",
    batch_size: int = 256,
    groups: np.ndarray | None = None,
) -> RetrievalEvaluation:
    """Per embedding source: precision@k and mAP for same-label and same-artist retrieval.

    Leave-one-out over the whole collection (:func:`leave_one_out`): every painting queries all the
    others, minus its own near-duplicate group when ``groups`` is given. Same-artist queries use
    only known artists with at least two works (anonymous works are not one painter).
    """
    known = table["artist_known"].to_numpy() if "artist_known" in table else None
    label_sets = {"label": (table["label"], None), "artist": (table["artist"], known)}
    scores = leave_one_out(embeddings, label_sets, k, groups, device, batch_size)
    lab, art = scores["label"], scores["artist"]
    rows = [
        {
            "source": name,
            "dim": int(feats.shape[1]),
            f"label P@{k}": lab[name]["precision@k"],
            "label mAP": lab[name]["mAP"],
            f"artist P@{k}": art[name]["precision@k"],
            "artist mAP": art[name]["mAP"],
            "label queries": lab[name]["queries"],
            "artist queries": art[name]["queries"],
        }
        for name, feats in embeddings.items()
    ]
    per_query = {what: {name: np.asarray(m["per_query"], dtype=float) for name, m in by_source.items()}
                 for what, by_source in scores.items()}  # fmt: skip
    counted = {
        what: next(iter(by_source.values()))["counted"] for what, by_source in scores.items() if by_source
    }
    return RetrievalEvaluation(pd.DataFrame(rows).set_index("source"), per_query, counted)


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


def per_label_precision(
    per_query: np.ndarray, counted: np.ndarray, labels: Sequence[Any], k: int = 10
) -> pd.DataFrame:
    """precision@k per query label, with the label's chance rate and query count.

    ``per_query`` and ``counted`` are one source's P@k of each counted query and the mask of those
    queries (:class:`RetrievalEvaluation`), so the table reuses that ranking instead of ranking
    again. Two painters (Monet, Morisot) hold most of the collection, so the overall P@k is mostly
    theirs; this table shows what each label gets against its own floor.
    """
    labels = np.asarray(labels).astype(str)
    query_labels = labels[np.asarray(counted, dtype=bool)]
    per_query = np.asarray(per_query, dtype=float)
    rows = []
    for lab in sorted(set(labels)):
        paintings = int((labels == lab).sum())
        if paintings < 2:
            continue
        mine = per_query[query_labels == lab]
        rows.append(
            {
                "label": lab,
                "paintings": paintings,
                f"P@{k}": float(mine.mean()) if len(mine) else float("nan"),
                "chance": (paintings - 1) / (len(labels) - 1),
            }
        )
    return pd.DataFrame(rows).set_index("label").sort_values("paintings", ascending=False)


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
