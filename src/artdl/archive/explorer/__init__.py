"""A PixPlot-like collection explorer: every painting on one zoomable, searchable map (issue #16).

``python -m artdl explore`` or :func:`build_explorer` writes a self-contained static site
(``index.html``, hand-written canvas JS, atlas sprite sheets, ``data.js``); :func:`build_site` is
the lower-level writer for precomputed layouts, thumbnails and neighbours.
"""

from __future__ import annotations

from artdl.archive.explorer.atlas import atlas_cell, atlas_layout, decode_collection, write_atlases
from artdl.archive.explorer.browser import chromium_available, headless_chromium, serve, wait_for
from artdl.archive.explorer.build import (
    build_explorer,
    collection_table,
    explorer_dir,
    load_features,
    saved_features,
    with_prediction_columns,
)
from artdl.archive.explorer.layouts import (
    LAYOUTS,
    compute_layouts,
    grid_layout,
    grid_shape,
    map_settings,
    normalize_layout,
    snap_grid,
    timeline_layout,
)
from artdl.archive.explorer.neighbours import cosine_neighbours, influence_reranked
from artdl.archive.explorer.predict import classifier_predictions
from artdl.archive.explorer.site import (
    DATA_PREFIX,
    STATIC_FILES,
    build_site,
    encode_column,
    read_site_data,
    staged_dir,
    write_site,
)

__all__ = [
    "DATA_PREFIX",
    "LAYOUTS",
    "STATIC_FILES",
    "atlas_cell",
    "atlas_layout",
    "build_explorer",
    "build_site",
    "chromium_available",
    "classifier_predictions",
    "collection_table",
    "compute_layouts",
    "cosine_neighbours",
    "decode_collection",
    "encode_column",
    "explorer_dir",
    "grid_layout",
    "grid_shape",
    "headless_chromium",
    "influence_reranked",
    "load_features",
    "map_settings",
    "normalize_layout",
    "read_site_data",
    "saved_features",
    "serve",
    "snap_grid",
    "staged_dir",
    "timeline_layout",
    "wait_for",
    "with_prediction_columns",
    "write_atlases",
    "write_site",
]
