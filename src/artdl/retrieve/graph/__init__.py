"""The artist-influence graph that 04 re-ranks with: artists, name matching, DBpedia edges."""

from __future__ import annotations

from artdl.retrieve.graph.artists import (
    EDGE_TYPES,
    PALETTE_FILE,
    ArtistGraph,
    build_graph,
    collection_graph,
    graph_distances,
    load_painter_palette,
    painter_palette_edges,
    palette_root,
    path_label,
)
from artdl.retrieve.graph.dbpedia import (
    DBPEDIA_RESOURCE,
    EDGE_COLUMNS,
    artist_uri,
    build_query,
    dbpedia_edges,
    fetch_dbpedia_edges,
    parse_results,
    uri_label,
)
from artdl.retrieve.graph.names import (
    birth_year,
    match_artists,
    name_key,
    plausible_name,
    read_overrides,
    write_unmatched,
)

__all__ = [
    "ArtistGraph",
    "DBPEDIA_RESOURCE",
    "EDGE_COLUMNS",
    "EDGE_TYPES",
    "PALETTE_FILE",
    "artist_uri",
    "birth_year",
    "build_graph",
    "build_query",
    "collection_graph",
    "dbpedia_edges",
    "fetch_dbpedia_edges",
    "graph_distances",
    "load_painter_palette",
    "match_artists",
    "name_key",
    "painter_palette_edges",
    "palette_root",
    "parse_results",
    "path_label",
    "plausible_name",
    "read_overrides",
    "uri_label",
    "write_unmatched",
]
