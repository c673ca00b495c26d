"""The influence re-rank's trade-off: what a weight buys (graph-connected results) and costs
(label precision), the stated rule that picks the default weight, and the showcase query.

Numbers come from :func:`artdl.retrieve.neighbours.search` lists, so the sweep measures exactly what a user
of the search gets. The functions are re-exported by :mod:`artdl.retrieve.neighbours`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "chosen_weight",
    "connected_chance",
    "graph_queries",
    "moved_results",
    "pick_weight",
    "rerank_summary",
    "rerank_sweep",
    "showcase_query",
]


def _connected(
    ranked: np.ndarray,
    queries: np.ndarray,
    artists: np.ndarray,
    known: np.ndarray,
    distances: Mapping,
    d_max: int,
) -> np.ndarray:
    """(Q, k) bool: result by a known *other* artist within graph distance 1..d_max of the query's."""
    out = np.zeros(ranked.shape, bool)
    for r, q in enumerate(queries):
        for c, item in enumerate(ranked[r]):
            if item >= 0 and known[item]:
                d = distances.get((artists[q], artists[item]))
                out[r, c] = d is not None and 1 <= d <= d_max
    return out


def rerank_summary(
    ranked: np.ndarray,
    queries: Sequence[int],
    table: pd.DataFrame,
    distances: Mapping[tuple[str, str], int],
    k: int = 10,
) -> dict[str, float]:
    """What a result list gives: label P@k, same-artist share, distinct artists, connected shares.

    ``connected share@k (d<=D)``: results by another known artist within graph distance D of the
    query's artist. All numbers are means over ``queries`` (rows of ``ranked``).
    """
    queries = np.asarray(queries, dtype=int)
    ranked = np.asarray(ranked)[:, :k]
    lab = table["label"].astype(str).to_numpy()
    art = table["artist"].astype(str).to_numpy()
    known = table["artist_known"].to_numpy(bool) if "artist_known" in table else np.ones(len(table), bool)
    ok = ranked >= 0
    safe = np.where(ok, ranked, 0)
    same_artist = (art[safe] == art[queries][:, None]) & ok & known[queries][:, None]
    return {
        f"label P@{k}": float(((lab[safe] == lab[queries][:, None]) & ok).sum(1).mean() / k),
        f"same-artist share@{k}": float(same_artist.sum(1).mean() / k),
        f"connected share@{k} (d<=1)": float(_connected(ranked, queries, art, known, distances, 1).mean()),
        f"connected share@{k} (d<=2)": float(_connected(ranked, queries, art, known, distances, 2).mean()),
        f"distinct artists@{k}": float(np.mean([len(set(art[r[r >= 0]])) for r in ranked])),
    }


def connected_chance(
    queries: Sequence[int],
    table: pd.DataFrame,
    distances: Mapping[tuple[str, str], int],
    d_max: int,
    groups: np.ndarray | None = None,
) -> float:
    """Expected connected share of a random list: per query, the share of other paintings (its own
    near-duplicate group excluded) by another artist within distance ``d_max``; mean over queries."""
    art = table["artist"].astype(str).to_numpy()
    known = table["artist_known"].to_numpy(bool) if "artist_known" in table else np.ones(len(table), bool)
    groups = np.arange(len(table)) if groups is None else np.asarray(groups)
    shares = []
    for q in np.asarray(queries, dtype=int):
        others = groups != groups[q]
        conn = np.array(
            [
                bool(known[j]) and (d := distances.get((art[q], art[j]))) is not None and 1 <= d <= d_max
                for j in range(len(table))
            ]
        )
        shares.append(float((conn & others).sum() / max(others.sum(), 1)))
    return float(np.mean(shares)) if shares else float("nan")


def rerank_sweep(
    features: np.ndarray,
    queries: Sequence[int],
    table: pd.DataFrame,
    distances: Mapping[tuple[str, str], int],
    weights: Sequence[float],
    k: int = 10,
    repeat_penalty: float = 0.0,
    pool: int = 50,
    groups: np.ndarray | None = None,
    device: Any = "cpu",
) -> pd.DataFrame:
    """One row per re-rank weight alpha: :func:`rerank_summary` of the re-ranked lists of ``queries``.

    Weight 0 with ``repeat_penalty`` 0 is plain cosine (the first row to compare against).
    """
    from artdl.retrieve.neighbours import SearchConfig, search

    art = table["artist"].astype(str).tolist()
    known = table["artist_known"].to_numpy(bool) if "artist_known" in table else None
    rows = []
    for w in weights:
        config = SearchConfig(
            k=k, pool=pool, graph_weight=float(w), repeat_penalty=repeat_penalty if w > 0 else 0.0
        )
        res = search(
            features,
            queries,
            config,
            groups=groups,
            artists=art,
            known=known,
            distances=distances,
            device=device,
        )
        rows.append({"weight": float(w), **rerank_summary(res.indices, queries, table, distances, k)})
    return pd.DataFrame(rows).set_index("weight")


def pick_weight(sweep: pd.DataFrame, max_label_drop: float = 0.01, k: int = 10) -> float:
    """The rule for the default weight: the one with the highest connected share (d<=1) among the
    weights whose label P@k is at most ``max_label_drop`` below plain cosine (weight 0); ties go to
    the smaller weight. A stated, computed rule, so a re-run on other data re-derives it."""
    base = float(sweep[f"label P@{k}"].iloc[0])
    ok = sweep[sweep[f"label P@{k}"] >= base - max_label_drop - 1e-12]
    col = f"connected share@{k} (d<=1)"
    best = ok[col].max()
    return float(ok.index[ok[col] >= best - 1e-12].min())


def moved_results(before: np.ndarray, after: np.ndarray) -> list[int]:
    """Items in the re-ranked list that were not in the cosine list (in re-ranked order)."""
    old = set(int(i) for i in before)
    return [int(i) for i in after if int(i) not in old and int(i) >= 0]


def showcase_query(
    before: np.ndarray,
    after: np.ndarray,
    queries: Sequence[int],
    table: pd.DataFrame,
    distances: Mapping[tuple[str, str], int],
) -> int:
    """The query whose re-ranked list brings in the most results by graph-connected other artists
    (ties: the most changed list, then the first row); returns a row of ``before``/``after``."""
    art = table["artist"].astype(str).to_numpy()
    best, key = 0, (-1, -1)
    for r, q in enumerate(np.asarray(queries, dtype=int)):
        moved = moved_results(before[r], after[r])
        linked = sum(1 for i in moved if art[i] != art[q] and distances.get((art[q], art[i])) is not None)
        if (linked, len(moved)) > key:
            best, key = r, (linked, len(moved))
    return best


def graph_queries(
    table: pd.DataFrame, distances: Mapping[tuple[str, str], int], d_max: int = 2
) -> np.ndarray:
    """Rows whose (known) artist has another collection artist within graph distance ``d_max``:
    the only queries a graph re-rank can change, so the trade-off is measured on them."""
    art = table["artist"].astype(str).to_numpy()
    known = table["artist_known"].to_numpy(bool) if "artist_known" in table else np.ones(len(table), bool)
    linked = {a for (a, b), d in distances.items() if 1 <= d <= d_max}
    return np.flatnonzero(known & np.isin(art, sorted(linked)))


def chosen_weight(cfg: Any, config_name: str = "default") -> float:
    """The re-rank weight to use by default: the one 04's sweep picked by its stated rule
    (``results/04_retrieve.json``), else ``retrieve.influence.graph_weight`` when 04 has not run."""
    from artdl.core import MissingArtifactError, load_record
    from artdl.retrieve.record import RetrievalRecord

    try:
        return load_record(RetrievalRecord, config_name).influence.sweep.chosen
    except MissingArtifactError:
        return cfg.retrieve.influence.graph_weight
