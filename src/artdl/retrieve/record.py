"""04's results record: retrieval per embedding, per label, the influence graph and re-rank, styles.

Built by :func:`retrieval_record` from what 04 computes (each part by its own small builder, so
the notebook's last cell is one call) and read by :mod:`artdl.report.retrieve`, the README summary
and :func:`artdl.retrieve.chosen_weight` (the re-rank weight 05 and the explorer use).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from artdl.core import (
    Interval,
    MissingArtifactError,
    Provenance,
    Record,
    StatsConfig,
    Verdict,
    bootstrap_mean,
    load_record,
    paired_bootstrap,
    verdict,
)
from artdl.models import has_random_weights
from artdl.retrieve.styles import StyleRetrieval
from artdl.retrieve.tradeoff import RerankSweep, versus_chance

__all__ = [
    "Chance",
    "Coverage",
    "EmbeddingEvaluation",
    "EmbeddingScores",
    "Influence",
    "LabelPrecision",
    "MovedResult",
    "NearDuplicates",
    "RetrievalCollection",
    "RetrievalRecord",
    "Showcase",
    "Sweep",
    "SweepRow",
    "chosen_weight",
    "embedding_evaluation",
    "influence_results",
    "label_precisions",
    "near_duplicate_summary",
    "retrieval_record",
]


@dataclass(kw_only=True)
class EmbeddingScores:
    """Leave-one-out retrieval of one embedding at k, by label and by artist."""

    dim: int
    weights: str
    random_weights: bool
    label_precision: float
    label_map: float
    artist_precision: float
    artist_map: float


@dataclass(kw_only=True)
class Chance:
    label: float
    artist: float


@dataclass(kw_only=True)
class EmbeddingEvaluation:
    """Leave-one-out over the whole collection: ``label_queries`` counted queries for the label scores.

    ``vs_pixels``: each source's label P@k against the pixels floor, paired over those queries
    (:func:`artdl.retrieve.versus_baseline`); None in a record converted from schema 1 (re-run 04).
    """

    scores: dict[str, EmbeddingScores]  # by source: pixels, dae, swae, cnn, clip
    chance: Chance
    label_queries: int | None = None
    vs_pixels: dict[str, Verdict] | None = None


def embedding_evaluation(
    results: pd.DataFrame,
    described: Mapping[str, str],
    chance: Mapping[str, float],
    k: int,
    vs_pixels: Mapping[str, Verdict] | None = None,
) -> EmbeddingEvaluation:
    """From :func:`artdl.retrieve.evaluate_retrieval`'s table, the sources' descriptions, the chances
    and the verdicts of :func:`artdl.retrieve.versus_baseline` against ``pixels``."""
    queries = results["label queries"] if "label queries" in results else None
    return EmbeddingEvaluation(
        label_queries=None if queries is None else int(queries.max()),
        vs_pixels=None if vs_pixels is None else dict(vs_pixels),
        scores={
            str(s): EmbeddingScores(
                dim=int(r["dim"]),
                weights=described[s],
                random_weights=has_random_weights(described[s]),
                label_precision=float(r[f"label P@{k}"]),
                label_map=float(r["label mAP"]),
                artist_precision=float(r[f"artist P@{k}"]),
                artist_map=float(r["artist mAP"]),
            )
            for s, r in results.iterrows()
        },
        chance=Chance(label=float(chance["label"]), artist=float(chance["artist"])),
    )


@dataclass(kw_only=True)
class LabelPrecision:
    paintings: int
    precision: float
    chance: float


def label_precisions(per_label: pd.DataFrame, k: int) -> dict[str, LabelPrecision]:
    """From :func:`artdl.retrieve.per_label_precision`'s table (one row per label)."""
    return {
        str(lab): LabelPrecision(
            paintings=int(r["paintings"]), precision=float(r[f"P@{k}"]), chance=float(r["chance"])
        )
        for lab, r in per_label.iterrows()
    }


@dataclass(kw_only=True)
class NearDuplicates:
    groups_merged: int
    paintings_in_groups: int
    queries_with_removed: int
    collapsed: int


def near_duplicate_summary(groups: Mapping[str, int], search: Any) -> NearDuplicates:
    """``groups`` from :func:`artdl.data.group_summary`; ``search`` a :class:`artdl.retrieve.SearchResult`."""
    return NearDuplicates(
        groups_merged=int(groups["merged_groups"]),
        paintings_in_groups=int(groups["images_in_merged_groups"]),
        queries_with_removed=int((search.same_group_removed > 0).sum()),
        collapsed=int(search.collapsed.sum()),
    )


@dataclass(kw_only=True)
class Coverage:
    """How much of the collection the influence graph reaches (:func:`artdl.retrieve.coverage`)."""

    source: str
    graph_painters: int
    graph_edges: int
    edge_types_all: dict[str, int]
    artists: int
    artists_matched: int
    matched_exact: int
    matched_words: int
    matched_override: int
    paintings: int
    paintings_known_artist: int
    paintings_in_graph: int
    edges_among_collection: int
    edge_types_among_collection: dict[str, int]
    collection_artists_with_edges: int


@dataclass(kw_only=True)
class SweepRow:
    """One re-rank weight of the sweep, at k, over the sweep's graph queries (not the whole collection:
    ``graph_label_precision`` is not the evaluation table's label P@k). The connected shares count
    other artists within d ≤ 1 or 2; their intervals are bootstrap intervals over the queries, and
    the verdicts compare the d ≤ 1 share with a random list (``vs_chance``: paired with each query's
    own chance, Bonferroni over the sweep's weights, as the weight rule tests it) and with plain cosine
    (``gain``), and the label P@k with plain cosine (``cost``). The intervals and verdicts are None
    in a record converted from schema 1 (re-run 04)."""

    weight: float
    graph_label_precision: float
    same_artist_share: float
    connected_share_d1: float
    connected_share_d2: float
    distinct_artists: float
    connected_d1_interval: Interval | None = None
    connected_d2_interval: Interval | None = None
    vs_chance: Verdict | None = None
    gain: Verdict | None = None
    cost: Verdict | None = None


@dataclass(kw_only=True)
class Sweep:
    """The sweep on ``queries`` graph queries; ``chosen`` is the rule's weight
    (:func:`artdl.retrieve.pick_weight`: the smallest whose connected share exceeds each query's
    chance beyond the rule's interval, 0 when none does), None until 04 is re-run on a converted
    record."""

    queries: int
    rows: list[SweepRow]
    chosen: float | None
    chance_d1: float  # connected share of a random list, mean over the queries
    chance_d2: float


@dataclass(kw_only=True)
class MovedResult:
    artist: str
    path: str | None = None  # the path in the graph from the query's artist


@dataclass(kw_only=True)
class Showcase:
    """The query the re-rank changes most, and the results each weight brought in."""

    artist: str
    title: str
    weights: dict[str, list[MovedResult]]


@dataclass(kw_only=True)
class Influence:
    coverage: Coverage
    sweep: Sweep
    showcase: Showcase | None = None


def influence_results(
    coverage: Mapping[str, Any],
    sweep: RerankSweep,
    chosen: float,
    showcase: Showcase | None,
    stats: StatsConfig | None = None,
) -> Influence:
    """The graph's reach and the re-rank sweep (:func:`artdl.retrieve.rerank_sweep`), every connected
    share with its interval and chance level, every weight's gain and cost against plain cosine.

    ``vs_chance`` is the test of the weight rule (:func:`artdl.retrieve.versus_chance`: each query
    against its own chance, Bonferroni over the weights), so the record states what the rule saw."""
    levels = sweep.chance_levels()
    chance = {d: levels[f"connected share@{sweep.k} (d<={d})"] for d in (1, 2)}
    return Influence(
        coverage=Coverage(**coverage),
        sweep=Sweep(
            queries=len(sweep.queries),
            rows=[_sweep_row(sweep, float(w), chance, stats) for w in sweep.table.index],
            chosen=float(chosen),
            chance_d1=chance[1],
            chance_d2=chance[2],
        ),
        showcase=showcase,
    )


def _sweep_row(
    sweep: RerankSweep, w: float, chance: Mapping[int, float], stats: StatsConfig | None
) -> SweepRow:
    base = float(sweep.table.index[0])
    r = sweep.table.loc[w]
    k, n = sweep.k, len(sweep.queries)
    d1, label = sweep.scores(w, "connected share@k (d<=1)"), sweep.scores(w, "label P@k")
    here, cosine, connected = f"α = {w:g}", f"α = {base:g} (plain cosine)", "connected share (d ≤ 1)"
    interval = {
        d: bootstrap_mean(sweep.scores(w, f"connected share@k (d<={d})"), stats, chance[d]) for d in (1, 2)
    }
    compared = w != base
    return SweepRow(
        weight=w,
        graph_label_precision=float(r[f"label P@{k}"]),
        same_artist_share=float(r[f"same-artist share@{k}"]),
        connected_share_d1=float(r[f"connected share@{k} (d<=1)"]),
        connected_share_d2=float(r[f"connected share@{k} (d<=2)"]),
        distinct_artists=float(r[f"distinct artists@{k}"]),
        connected_d1_interval=interval[1],
        connected_d2_interval=interval[2],
        vs_chance=verdict(versus_chance(sweep, w, stats), here, "a random list", connected),
        gain=verdict(
            paired_bootstrap(d1, sweep.scores(base, "connected share@k (d<=1)"), stats),
            here,
            cosine,
            connected,
        )
        if compared
        else None,
        cost=verdict(
            paired_bootstrap(label, sweep.scores(base, "label P@k"), stats),
            here,
            cosine,
            f"label P@{k} on the {n} graph queries",
        )  # fmt: skip
        if compared
        else None,
    )


@dataclass(kw_only=True)
class RetrievalCollection:
    paintings: int
    labels: int
    artists: int


@dataclass(kw_only=True)
class RetrievalRecord(Record):
    """A 04 run. Every precision is at ``k`` (``retrieve.k``)."""

    NOTEBOOK = "04_retrieve"
    SCHEMA_VERSION = 2
    SECTIONS = ("retrieve",)

    k: int
    collection: RetrievalCollection
    evaluation: EmbeddingEvaluation
    per_label: dict[str, LabelPrecision]
    near_duplicates: NearDuplicates
    influence: Influence
    styles: StyleRetrieval
    seconds: float


def retrieval_record(
    cfg: Any,
    table: pd.DataFrame,
    evaluation: EmbeddingEvaluation,
    per_label: dict[str, LabelPrecision],
    near_duplicates: NearDuplicates,
    influence: Influence,
    styles: StyleRetrieval,
    seconds: float,
) -> RetrievalRecord:
    """04's record of the collection ``table`` (from :func:`artdl.retrieve.load_collection`)."""
    known = table["artist_known"].to_numpy(bool) if "artist_known" in table else slice(None)
    datasets = " + ".join(sorted(str(d) for d in table["dataset"].unique())) if "dataset" in table else ""
    return RetrievalRecord(
        provenance=Provenance(dataset=datasets, split="all (leave-one-out)"),
        k=int(cfg.retrieve.k),
        collection=RetrievalCollection(
            paintings=len(table),
            labels=int(table["label"].nunique()),
            artists=int(table.loc[known, "artist"].nunique()),
        ),
        evaluation=evaluation,
        per_label=per_label,
        near_duplicates=near_duplicates,
        influence=influence,
        styles=styles,
        seconds=round(float(seconds), 1),
    )


def chosen_weight(cfg: Any, config_name: str = "default") -> float:
    """The re-rank weight to use by default: the one 04's sweep picked by its stated rule
    (``results/04_retrieve.json``), else ``retrieve.influence.graph_weight`` when 04 has not run
    or its record has no chosen weight yet (a converted record waiting for a re-run of 04)."""
    try:
        chosen = load_record(RetrievalRecord, config_name).influence.sweep.chosen
    except MissingArtifactError:
        chosen = None
    return float(cfg.retrieve.influence.graph_weight) if chosen is None else chosen
