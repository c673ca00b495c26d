"""A PixPlot-like collection explorer: every painting on one zoomable, searchable map (issue #16).

``python -m artdl explore`` or :func:`build_explorer` writes a self-contained static site
(``index.html``, hand-written canvas JS, atlas sprite sheets, ``data.js``); :func:`build_site` is
the lower-level writer for precomputed layouts, thumbnails and neighbours.
"""

from artdl.explorer.build import build_explorer, collection_table, explorer_dir, load_features, main
from artdl.explorer.layouts import LAYOUTS, compute_layouts
from artdl.explorer.neighbours import cosine_neighbours, influence_reranked
from artdl.explorer.site import build_site, read_site_data, write_site

__all__ = [
    "LAYOUTS",
    "build_explorer",
    "build_site",
    "collection_table",
    "compute_layouts",
    "cosine_neighbours",
    "explorer_dir",
    "influence_reranked",
    "load_features",
    "main",
    "read_site_data",
    "write_site",
]
