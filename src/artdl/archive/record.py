"""05's results record: graph triplets split by artist (the test) and label triplets (a sanity check).

Built by :func:`archive_record` from :func:`artdl.archive.graph_triplet_split`'s split summary
and :func:`artdl.archive.rank_report` results, and read by :mod:`artdl.report.archive`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from artdl.core import Provenance, Record

__all__ = ["ArchiveRecord", "ArtistSplit", "GraphTriplets", "RankResult", "TripletResults", "archive_record"]


@dataclass(kw_only=True)
class RankResult:
    """Mean rank of the positive among 1 + negatives (1 = best), before and after the head, with SEs.

    The SEs are cluster-robust over ``clusters`` groups of triplets (``clustered_by``: the anchor's
    artist or painting); ``value ± critical * se`` is an interval at ``confidence`` (t, clusters - 1
    df; the config's ``stats.confidence``, 95% in records written before it was stored).
    """

    triplets: int
    before: float
    after: float
    before_se: float
    after_se: float
    change_se: float
    chance: float
    clusters: int
    clustered_by: str
    critical: float
    confidence: float = 0.95

    def half_width(self, se: float) -> float:
        """Half the width of the ``confidence`` interval of a value with standard error ``se``."""
        return self.critical * se


@dataclass(kw_only=True)
class TripletResults:
    train: RankResult
    heldout: RankResult


@dataclass(kw_only=True)
class ArtistSplit:
    train_artists: int
    heldout_artists: int
    train_triplets: int
    heldout_triplets: int
    artists_in_both: int
    heldout_anchor_artists: list[str]


@dataclass(kw_only=True)
class GraphTriplets(TripletResults):
    positive_distance: int
    far_distance: int
    negatives: int
    split: ArtistSplit
    head_epochs: int


@dataclass(kw_only=True)
class ArchiveRecord(Record):
    NOTEBOOK = "05_archive"
    SCHEMA_VERSION = 2  # 2: cluster-robust errors (clusters, clustered_by, critical)
    SECTIONS = ("retrieve",)

    source: str  # the frozen embedding the head projects
    graph: GraphTriplets
    labels: TripletResults
    seconds: float


def archive_record(
    cfg: Any,
    split: Mapping[str, Any],
    graph_result: Mapping[str, Mapping[str, Any]],
    label_result: Mapping[str, Mapping[str, Any]],
    seconds: float,
) -> ArchiveRecord:
    """05's record; the results map ``train``/``heldout`` to :func:`artdl.archive.rank_report`."""
    AR = cfg.retrieve.archive
    return ArchiveRecord(
        provenance=Provenance(dataset=str(AR.source), split="held-out artists"),
        source=str(AR.source),
        graph=GraphTriplets(
            positive_distance=int(AR.positive_distance),
            far_distance=int(cfg.retrieve.influence.max_distance),
            negatives=int(AR.negatives),
            split=ArtistSplit(**split),
            head_epochs=int(AR.head_epochs),
            train=RankResult(**graph_result["train"]),
            heldout=RankResult(**graph_result["heldout"]),
        ),
        labels=TripletResults(
            train=RankResult(**label_result["train"]), heldout=RankResult(**label_result["heldout"])
        ),
        seconds=round(float(seconds), 1),
    )
