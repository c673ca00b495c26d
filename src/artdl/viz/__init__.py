"""Every figure of the notebooks, one module per topic; figures only, no computation that a number depends on.

- :mod:`artdl.viz.core`: saving figures, image grids, shared styling.
- :mod:`artdl.viz.data`: the data overview of 00 and 01.
- :mod:`artdl.viz.classify`: confusion matrices, histories, CAM grids (02).
- :mod:`artdl.viz.embedding`: maps and reconstructions (03, 05).
- :mod:`artdl.viz.retrieval`: neighbours, graphs, trade-off curves (04).
- :mod:`artdl.viz.generation`: GAN and VQGAN+CLIP figures (06, 07).
"""

from __future__ import annotations

from artdl.viz.classify import (
    accuracy_intervals,
    confusion_matrix_plot,
    metric_bars,
    split_intervals,
    training_history,
)
from artdl.viz.core import (
    DISPLAY_WIDTH,
    DPI,
    MIN_FONT,
    bare_axes,
    class_colours,
    fit_label,
    grid_cell,
    image_grid,
    save_figure,
    save_photo_figure,
    spread_labels,
    thumbnail,
)
from artdl.viz.data import examples_per_label, label_distribution, look_alike_grid, years_histogram
from artdl.viz.embedding import (
    embedding_scatter,
    neighbour_strips,
    reconstruction_grid,
    thumbnail_dendrogram,
    thumbnail_grid_plot,
    thumbnail_scatter,
    walk_on_map,
)
from artdl.viz.generation import (
    distance_bars,
    gan_loss_curves,
    grid_snapshots,
    loss_curves,
    nearest_neighbour_grid,
    score_heatmap,
)
from artdl.viz.retrieval import (
    EDGE_COLOURS,
    graph_captions,
    influence_graph_plot,
    result_strips,
    retrieval_intervals,
    score_captions,
    strip_row,
    tradeoff_plot,
)

__all__ = [
    "DISPLAY_WIDTH",
    "DPI",
    "EDGE_COLOURS",
    "MIN_FONT",
    "accuracy_intervals",
    "bare_axes",
    "class_colours",
    "confusion_matrix_plot",
    "distance_bars",
    "embedding_scatter",
    "examples_per_label",
    "fit_label",
    "gan_loss_curves",
    "grid_cell",
    "grid_snapshots",
    "image_grid",
    "graph_captions",
    "influence_graph_plot",
    "label_distribution",
    "look_alike_grid",
    "loss_curves",
    "metric_bars",
    "nearest_neighbour_grid",
    "neighbour_strips",
    "reconstruction_grid",
    "result_strips",
    "retrieval_intervals",
    "save_figure",
    "save_photo_figure",
    "score_heatmap",
    "split_intervals",
    "spread_labels",
    "score_captions",
    "strip_row",
    "thumbnail",
    "thumbnail_dendrogram",
    "thumbnail_grid_plot",
    "thumbnail_scatter",
    "tradeoff_plot",
    "training_history",
    "walk_on_map",
    "years_histogram",
]
