"""How well an embedding retrieves: leave-one-out precision at k and mAP, by style and by artist.

Every painting queries all the others (:func:`leave_one_out`), ranked by
:func:`artdl.retrieve.neighbours.cosine_topk`; the per-query scores it keeps are what the paired
verdicts (:func:`artdl.retrieve.versus_baseline`) and the per-label table read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from artdl.retrieve.neighbours import cosine_topk

__all__ = [
    "RetrievalEvaluation",
    "chance_precision",
    "evaluate_retrieval",
    "leave_one_out",
    "per_label_precision",
    "retrieval_metrics",
]


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
    return _ranking_scores(ranked, _label_codes(labels), k, valid, groups, rows)


def _ranking_scores(
    ranked: np.ndarray,
    codes: np.ndarray,
    k: int,
    valid: np.ndarray | None,
    groups: np.ndarray | None,
    rows: np.ndarray | None,
) -> dict[str, Any]:
    """:func:`retrieval_metrics` of labels already encoded by :func:`_label_codes`, which
    :func:`leave_one_out` does once per label set instead of once per block of queries."""
    rows = np.arange(len(ranked)) if rows is None else np.asarray(rows)
    rel = codes[ranked] == codes[rows][:, None]
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


def _label_codes(labels: Sequence[Any]) -> np.ndarray:
    """Labels as int32 codes, equal where the labels are equal; a missing label equals no other.

    Relevance is ``labels[ranked] == labels[query]``: an (N, N) gather of the labels. Of strings
    (artist names) that is up to 160 bytes per entry, 2.7 GB per block of queries at 12,000
    paintings; of codes it is 4.
    """
    codes, _ = pd.factorize(np.asarray(labels))
    codes = codes.astype(np.int32)
    missing = codes < 0
    codes[missing] = -1 - np.arange(int(missing.sum()), dtype=np.int32)  # each its own label
    return codes


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
# hold about this many entries, so memory stays flat as the collection grows where one block of the
# whole collection grows as N^2 (benchmarks/bench_leave_one_out.py measures both).
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
    sets = {what: (_label_codes(labels), valid) for what, (labels, valid) in label_sets.items()}
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
            for what, (codes, valid) in sets.items():
                parts[what].append(_ranking_scores(ranked, codes, k, valid, groups, rows))
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
