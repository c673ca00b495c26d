"""The influence re-rank's trade-off: what a weight buys (graph-connected results) and costs
(label precision), the stated rule that picks the default weight, and the showcase query.

Numbers come from :func:`artdl.retrieve.neighbours.search` lists, so the sweep measures exactly what a user
of the search gets. The sweep keeps every query's score, not only the means, so that each
connected share is stated with a bootstrap interval beside the chance level of a random list, and
the weight is chosen by a test (:func:`pick_weight`), never by the sign of a difference that could
be noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from artdl.core import Interval, StatsConfig, paired_bootstrap

__all__ = [
    "RerankSweep",
    "connected_chance",
    "graph_queries",
    "moved_results",
    "pick_weight",
    "rerank_per_query",
    "rerank_sweep",
    "rule_stats",
    "showcase_query",
    "versus_chance",
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


def rerank_per_query(
    ranked: np.ndarray,
    queries: Sequence[int],
    table: pd.DataFrame,
    distances: Mapping[tuple[str, str], int],
    k: int = 10,
) -> dict[str, np.ndarray]:
    """Each query's score in a result list: label P@k, same-artist share, connected shares, distinct artists.

    ``connected share@k (d<=D)``: the share of the k results by another known artist within graph
    distance D of the query's artist. One value per row of ``ranked`` (the rows of ``queries``),
    so that means can carry bootstrap intervals and two weights can be compared paired.
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
        f"label P@{k}": ((lab[safe] == lab[queries][:, None]) & ok).sum(1) / k,
        f"same-artist share@{k}": same_artist.sum(1) / k,
        f"connected share@{k} (d<=1)": _connected(ranked, queries, art, known, distances, 1).mean(1),
        f"connected share@{k} (d<=2)": _connected(ranked, queries, art, known, distances, 2).mean(1),
        f"distinct artists@{k}": np.array([len(set(art[r[r >= 0]])) for r in ranked], dtype=float),
    }


def connected_chance(
    queries: Sequence[int],
    table: pd.DataFrame,
    distances: Mapping[tuple[str, str], int],
    d_max: int,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Each query's expected connected share of a random list: the share of the other paintings (its
    own near-duplicate group excluded) by another known artist within distance ``d_max``.

    Per query, because chance is not one level: a query by a painter with many graph neighbours in
    the collection has a high one. Comparing each query's list with its own chance (paired) is what
    tells a re-rank that finds neighbours from one that merely favours well-connected queries.
    """
    art = table["artist"].astype(str).to_numpy()
    known = table["artist_known"].to_numpy(bool) if "artist_known" in table else np.ones(len(table), bool)
    groups = np.arange(len(table)) if groups is None else np.asarray(groups)
    linked: dict[str, np.ndarray] = {}  # query artist -> which paintings are by a connected artist
    shares = []
    for q in np.asarray(queries, dtype=int):
        if art[q] not in linked:
            near = {b for (a, b), d in distances.items() if a == art[q] and 1 <= d <= d_max}
            linked[art[q]] = known & np.isin(art, list(near))
        others = groups != groups[q]
        shares.append(float((linked[art[q]] & others).sum() / max(others.sum(), 1)))
    return np.asarray(shares, dtype=float)


@dataclass
class RerankSweep:
    """The sweep of the re-rank weight: ``table`` (one row of means per weight, what
    :func:`artdl.viz.tradeoff_plot` draws) and ``per_query`` (weight -> score name -> one value per
    query), which the intervals and paired comparisons of the record are drawn from."""

    table: pd.DataFrame
    per_query: dict[float, dict[str, np.ndarray]]
    queries: np.ndarray
    k: int
    chance: dict[str, np.ndarray]  # "connected share@k (d<=D)" -> each query's random-list share

    def scores(self, weight: float, name: str) -> np.ndarray:
        """Per-query values of score ``name`` ("label P@k", "connected share@k (d<=1)" ...) at ``weight``."""
        return self.per_query[float(weight)][name.replace("@k", f"@{self.k}")]

    def chance_of(self, name: str) -> np.ndarray:
        """Per-query connected share of a random list (:func:`connected_chance`) for score ``name``."""
        return self.chance[name.replace("@k", f"@{self.k}")]

    def chance_levels(self) -> dict[str, float]:
        """The mean chance of each connected share, over the queries (the dotted lines of the plot)."""
        return {name: float(v.mean()) for name, v in self.chance.items()}


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
) -> RerankSweep:
    """For each re-rank weight alpha, :func:`rerank_per_query` of the re-ranked lists of ``queries``.

    Weight 0 with ``repeat_penalty`` 0 is plain cosine (the first row to compare against).
    """
    from artdl.retrieve.neighbours import SearchConfig, search

    art = table["artist"].astype(str).tolist()
    known = table["artist_known"].to_numpy(bool) if "artist_known" in table else None
    per_query: dict[float, dict[str, np.ndarray]] = {}
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
        per_query[float(w)] = rerank_per_query(res.indices, queries, table, distances, k)
    means = [{"weight": w, **{n: float(v.mean()) for n, v in s.items()}} for w, s in per_query.items()]
    return RerankSweep(
        table=pd.DataFrame(means).set_index("weight"),
        per_query=per_query,
        queries=np.asarray(queries, dtype=int),
        k=int(k),
        chance={f"connected share@{k} (d<={d})": connected_chance(queries, table, distances, d, groups) for d in (1, 2)},
    )


def rule_stats(sweep: RerankSweep, stats: StatsConfig | None = None) -> StatsConfig:
    """The stats of the weight rule's tests: Bonferroni over the sweep's weights > 0, since the rule
    tries each of them and would otherwise find a weight "beyond chance" by luck more often than 5%."""
    return (stats or StatsConfig()).for_family(sum(1 for w in sweep.per_query if w > 0))


def versus_chance(sweep: RerankSweep, weight: float, stats: StatsConfig | None = None) -> Interval:
    """The connected share (d<=1) at ``weight`` minus each query's own chance, paired over the
    queries. For a weight > 0 the interval is at :func:`rule_stats` (the test of the weight rule);
    plain cosine (weight 0) is not one of the rule's tries, so its comparison stands alone."""
    name = "connected share@k (d<=1)"
    config = rule_stats(sweep, stats) if weight > 0 else (stats or StatsConfig())
    return paired_bootstrap(sweep.scores(weight, name), sweep.chance_of(name), config)


def pick_weight(sweep: RerankSweep, stats: StatsConfig | None = None) -> float:
    """The rule for the default weight: the smallest alpha > 0 whose connected share (d<=1) exceeds
    that of a random list (:func:`versus_chance`: per query, paired, Bonferroni over the weights);
    0 (no re-rank) when no weight of the sweep does.

    A weight that only moves the share around the chance level buys nothing a random list would
    not, so it is not worth its cost in label precision (which the record states beside it).
    """
    for w in sorted(w for w in sweep.per_query if w > 0):
        if versus_chance(sweep, w, stats).low > 0:
            return float(w)
    return 0.0


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
