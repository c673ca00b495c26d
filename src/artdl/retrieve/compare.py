"""04's paired comparisons: each query's label P@k under several embeddings, and the verdicts
that every "A retrieves better than B" sentence of the Findings and the README is written from.

Two embeddings are scored on the same queries, so they are compared paired (the difference of
their per-query P@k, with a bootstrap interval over the queries): the spread between easy and
hard queries cancels, and a small real difference can be told from noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from artdl.core import StatsConfig, Verdict, paired_bootstrap, verdict
from artdl.retrieve.neighbours import cosine_topk, retrieval_metrics

__all__ = ["label_precision_per_query", "versus_baseline"]


def label_precision_per_query(
    features: Mapping[str, np.ndarray],
    labels: Sequence[Any],
    k: int = 10,
    groups: np.ndarray | None = None,
    device: Any = "cpu",
    valid: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Leave-one-out label P@k of every counted query, per embedding (``features`` by name).

    The counted queries (those with another painting of their label outside their near-duplicate
    group, and ``valid``: e.g. named artists only when the labels are artists) depend only on the
    labels, groups and ``valid``, so the vectors of all embeddings line up query by query, as a
    paired comparison needs.
    """
    labels = np.asarray(labels).astype(str)
    out = {}
    for name, feats in features.items():
        ranked, _ = cosine_topk(feats, feats, k=len(feats) - 1, exclude_self=True, device=device)
        out[name] = np.asarray(retrieval_metrics(ranked, labels, k, valid=valid, groups=groups)["per_query"], dtype=float)
    return out


def versus_baseline(
    per_query: Mapping[str, np.ndarray], baseline: str, metric: str, stats: StatsConfig | None = None
) -> dict[str, Verdict]:
    """The verdict of every other embedding against ``baseline`` (e.g. ``pixels``) in ``metric``,
    paired over the same queries; an empty dict when the baseline was not measured or no query counts."""
    if baseline not in per_query or not len(per_query[baseline]):
        return {}
    base = per_query[baseline]
    return {
        name: verdict(paired_bootstrap(scores, base, stats), f"`{name}`", f"`{baseline}`", metric)
        for name, scores in per_query.items()
        if name != baseline
    }
