"""Step 05: "Training the Archive": a triplet head trained from curator annotations, walks, grids, the explorer.

- :mod:`artdl.archive.head`: the projection head trained on triplets.
- :mod:`artdl.archive.triplets`: triplets from labels, the artist graph or annotations, and their splits.
- :mod:`artdl.archive.annotate`: the annotation widget's candidates and rows.
- :mod:`artdl.archive.arrange`: latent walks and grid layouts of thumbnails.
- :mod:`artdl.archive.explorer`: the static, zoomable collection explorer.
"""

from __future__ import annotations

from artdl.archive.annotate import annotation_row, annotator, annotator_candidates
from artdl.archive.arrange import latent_walk, snap_to_grid
from artdl.archive.head import (
    ProjectionHead,
    chance_rank,
    clustered_se,
    mean_positive_rank,
    positive_ranks,
    project,
    rank_report,
    rank_results,
    train_projection_head,
)
from artdl.archive.record import (
    ArchiveRecord,
    ArtistSplit,
    GraphTriplets,
    RankResult,
    TripletResults,
    archive_record,
)
from artdl.archive.triplets import (
    TRIPLET_COLUMNS,
    artist_split,
    graph_triplet_split,
    load_triplets,
    negative_matrix,
    save_triplets,
    split_by_anchor,
    triplets_from_graph,
    triplets_from_labels,
)

__all__ = [
    "ArchiveRecord",
    "ArtistSplit",
    "GraphTriplets",
    "ProjectionHead",
    "RankResult",
    "TRIPLET_COLUMNS",
    "TripletResults",
    "annotation_row",
    "annotator",
    "annotator_candidates",
    "archive_record",
    "artist_split",
    "chance_rank",
    "clustered_se",
    "graph_triplet_split",
    "latent_walk",
    "load_triplets",
    "mean_positive_rank",
    "negative_matrix",
    "positive_ranks",
    "project",
    "rank_report",
    "rank_results",
    "save_triplets",
    "snap_to_grid",
    "split_by_anchor",
    "train_projection_head",
    "triplets_from_graph",
    "triplets_from_labels",
]
