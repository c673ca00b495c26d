"""The artist graph: influenced-by, teacher-of and friend edges between painters, on name keys.

Sources, all behind one edge table ``src, dst, type, source``:

- **PainterPalette** (``painter_palette``, the default, offline): about 10,000 painters compiled
  from WikiArt, Art500k and Wikidata, with comma-separated names in ``Influencedby``,
  ``Influencedon``, ``Teachers``, ``Pupils`` and ``FriendsandCoworkers``.
- **DBpedia** (``dbpedia``, online): ``?a dbo:influencedBy ?b`` over SPARQL (:mod:`artdl.retrieve.graph.dbpedia`).

Edges point in the direction of the influence: ``src`` influenced / taught ``dst`` (``friend``
edges have no direction; they are stored once). ``source`` names where an edge came from
(``PainterPalette:Teachers``), so a reader can check any edge that moves a result.

Nodes are name keys (:func:`artdl.retrieve.graph.names.name_key`); :func:`collection_graph` builds the
graph and matches a collection's artists onto it (:func:`artdl.retrieve.graph.names.match_artists`), and
:class:`ArtistGraph` answers the two questions re-ranking and the figures ask: how far apart two
collection artists are, and along which path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from artdl.retrieve.graph.dbpedia import EDGE_COLUMNS, dbpedia_edges
from artdl.retrieve.graph.names import birth_year, match_artists, name_key, plausible_name

__all__ = [
    "EDGE_TYPES",
    "PALETTE_FILE",
    "ArtistGraph",
    "build_graph",
    "collection_graph",
    "graph_distances",
    "load_painter_palette",
    "painter_palette_edges",
    "palette_root",
    "path_label",
]

EDGE_TYPES = ("influenced_by", "teacher_of", "friend")
PALETTE_FILE = "PainterPalette.csv"

# column -> (edge type, whether the row's painter is the edge's src)
_PALETTE_COLUMNS: dict[str, tuple[str, bool]] = {
    "Influencedby": ("influenced_by", False),  # row influenced by X: X -> row
    "Influencedon": ("influenced_by", True),  # row influenced X: row -> X
    "Teachers": ("teacher_of", False),  # X taught row
    "Pupils": ("teacher_of", True),  # row taught X
    "FriendsandCoworkers": ("friend", True),
}


# --------------------------------------------------------------------------------------------
# PainterPalette
# --------------------------------------------------------------------------------------------
def load_painter_palette(root: str | Path) -> pd.DataFrame:
    """The PainterPalette table (one row per painter) from ``<root>/PainterPalette.csv``."""
    path = Path(root)
    path = path / PALETTE_FILE if path.is_dir() else path
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing. PainterPalette is fetched like the other sets (`python -m artdl data "
            f"fetch painter_palette`), or set retrieve.influence.root to its folder."
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def painter_palette_edges(painters: pd.DataFrame) -> pd.DataFrame:
    """Edge table (``src, dst, type, source``; names as written) from PainterPalette's name columns.

    Entries that are not person names (image paths, museums, tags, which the source's scraped
    columns also hold) are dropped, as are self-loops. Each edge keeps the column it came from.
    """
    rows = []
    for painter, *cells in painters[["artist", *_PALETTE_COLUMNS]].itertuples(index=False):
        painter = str(painter).strip()
        if not painter:
            continue
        for column, cell in zip(_PALETTE_COLUMNS, cells):
            kind, painter_is_src = _PALETTE_COLUMNS[column]
            for other in str(cell or "").split(","):
                other = other.strip()
                if not plausible_name(other) or name_key(other) == name_key(painter):
                    continue
                src, dst = (painter, other) if painter_is_src else (other, painter)
                if kind == "friend" and name_key(dst) < name_key(src):
                    src, dst = dst, src
                rows.append((src, dst, kind, f"PainterPalette:{column}"))
    edges = pd.DataFrame(rows, columns=EDGE_COLUMNS)
    keys = edges.assign(k1=edges["src"].map(name_key), k2=edges["dst"].map(name_key))
    return edges[~keys.duplicated(["k1", "k2", "type"])].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# The graph
# --------------------------------------------------------------------------------------------
def build_graph(edges: pd.DataFrame, painters: pd.DataFrame | None = None) -> Any:
    """A networkx DiGraph on name keys; edge attributes ``types`` and ``sources``, node ``name``.

    Node attributes ``name`` (as written by the source), and from ``painters`` (PainterPalette rows)
    ``birth_year``, ``movement`` and ``nationality`` where known.
    """
    import networkx as nx

    graph = nx.DiGraph()
    alias = _aliases(painters) if painters is not None else {}
    if painters is not None:
        for row in painters.itertuples(index=False):
            key = alias.get(name_key(row.artist), name_key(row.artist))
            if key and key not in graph:
                year = pd.to_numeric(getattr(row, "birth_year", ""), errors="coerce")
                graph.add_node(
                    key,
                    name=str(row.artist).strip(),
                    birth_year=None if pd.isna(year) else int(year),
                    movement=str(getattr(row, "movement", "")),
                    nationality=str(getattr(row, "Nationality", "")),
                )
    for row in edges.itertuples(index=False):
        a, b = name_key(row.src), name_key(row.dst)
        a, b = alias.get(a, a), alias.get(b, b)
        if not a or not b or a == b:
            continue
        for key, name in ((a, row.src), (b, row.dst)):
            if key not in graph:
                graph.add_node(key, name=str(name).strip(), birth_year=None, movement="", nationality="")
        data = graph.get_edge_data(a, b) or {"types": (), "sources": ()}
        graph.add_edge(
            a,
            b,
            types=tuple(sorted(set(data["types"]) | {row.type})),
            sources=tuple(sorted(set(data["sources"]) | {row.source})),
        )
    return graph


def _aliases(painters: pd.DataFrame) -> dict[str, str]:
    """Source rows that are one painter ("Jean-Baptiste-Camille Corot" and "Camille Corot", both born
    1796): same last word, same birth year, one name's words inside the other's -> the shorter key.

    PainterPalette merges WikiArt, Art500k and Wikidata, so a painter can have two rows, and the
    edges sit on one of them; without this the collection's Corot would be a node with no edges.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for name, year in painters[["artist", "birth_year"]].itertuples(index=False):
        key = name_key(name)
        if key and str(year).strip():
            groups.setdefault((key.split()[-1], str(year).strip()), []).append(key)
    alias: dict[str, str] = {}
    for keys in groups.values():
        keys = sorted(set(keys), key=lambda k: (len(k.split()), k))
        for i, key in enumerate(keys):
            for shorter in keys[:i]:
                if len(shorter.split()) >= 2 and set(shorter.split()) <= set(key.split()):
                    alias[key] = alias.get(shorter, shorter)
                    break
    return alias


@dataclass
class ArtistGraph:
    """The graph and how the collection's artists map onto it (what 04, 05 and the explorer need).

    ``node_of`` maps a collection artist name to its graph node (only matched artists);
    ``matches`` is the full match table (:func:`artdl.retrieve.graph.names.match_artists`).
    """

    graph: Any
    node_of: dict[str, str]
    matches: pd.DataFrame
    edges: pd.DataFrame = field(repr=False)

    def distances(self, max_distance: int = 2) -> dict[tuple[str, str], int]:
        """Shortest undirected path lengths (<= max_distance) between collection artists."""
        return graph_distances(self.graph, self.node_of, max_distance)

    def path(self, a: str, b: str) -> str:
        """Readable shortest path between two collection artists, e.g. "Cézanne ← Pissarro"; "" if none."""
        if a not in self.node_of or b not in self.node_of:
            return ""
        return path_label(self.graph, self.node_of[a], self.node_of[b])


def graph_distances(
    graph: Any, node_of: Mapping[str, str], max_distance: int = 2
) -> dict[tuple[str, str], int]:
    """Shortest undirected path lengths (<= max_distance) between collection artists (by name)."""
    import networkx as nx

    und = graph.to_undirected(as_view=True)
    names_at: dict[str, list[str]] = {}
    for name, node in node_of.items():
        names_at.setdefault(node, []).append(name)
    out: dict[tuple[str, str], int] = {}
    for node, names in names_at.items():
        if node not in und:
            continue
        for other, d in nx.single_source_shortest_path_length(und, node, cutoff=max_distance).items():
            for a in names:
                for b in names_at.get(other, []):
                    out[(a, b)] = int(d)
    return out


_ARROWS = {"influenced_by": "←", "teacher_of": "⇐", "friend": "↔"}


def path_label(graph: Any, a: str, b: str) -> str:
    """A shortest path between nodes as text: "Cezanne ← Pissarro" (← influenced by, ⇐ taught by, ↔ friend).

    ``x ← y`` reads "x was influenced by y"; ``x → y`` "x influenced y"; ``x ⇐ y`` "x was taught by y".
    Of several shortest paths the alphabetically first (by node key) is shown: networkx's undirected
    view lists a node's neighbours from a set, so its first path changed from run to run.
    """
    import networkx as nx

    try:
        nodes = min(nx.all_shortest_paths(graph.to_undirected(as_view=True), a, b))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return ""
    parts = [_short(graph, nodes[0])]
    for x, y in zip(nodes, nodes[1:]):
        if graph.has_edge(y, x):  # y influenced / taught x
            kind = graph.edges[y, x]["types"][0]
            arrow = _ARROWS[kind]
        else:
            kind = graph.edges[x, y]["types"][0]
            arrow = {"influenced_by": "→", "teacher_of": "⇒", "friend": "↔"}[kind]
        parts.append(f"{arrow} {_short(graph, y)}")
    return " ".join(parts)


def _short(graph: Any, node: str) -> str:
    """Surname as written by the source (last word), enough for a figure caption."""
    return str(graph.nodes[node].get("name", node)).split()[-1]


def collection_graph(
    table: pd.DataFrame,
    source: str = "painter_palette",
    root: str | Path | None = None,
    overrides: Mapping[str, str] | None = None,
    dbpedia_cache: str | Path | None = None,
    endpoint: str = "https://dbpedia.org/sparql",
    fetch: bool = False,
) -> ArtistGraph:
    """Build the graph from ``source`` and match the collection's known artists onto it.

    ``table`` needs ``artist`` (and optionally ``artist_known``, ``artist_raw`` for AIC birth years).
    """
    known = table["artist_known"].to_numpy(bool) if "artist_known" in table else np.ones(len(table), bool)
    names = table.loc[known, "artist"].astype(str)
    raw = table.loc[known, "artist_raw"] if "artist_raw" in table else names
    birth = {n: birth_year(r) for n, r in zip(names, raw.astype(str)) if birth_year(r) is not None}
    if source == "painter_palette":
        if root is None:
            raise ValueError("source=painter_palette needs its folder (influence.palette_root(cfg)).")
        painters = load_painter_palette(root)
        edges = painter_palette_edges(painters)
        graph = build_graph(edges, painters)
    elif source == "dbpedia":
        if dbpedia_cache is None:
            raise ValueError("source=dbpedia needs a cache path (retrieve.influence.dbpedia_cache).")
        edges = dbpedia_edges(sorted(set(names)), dbpedia_cache, endpoint, fetch)
        graph = build_graph(edges)
    else:
        raise ValueError(f"Unknown influence source {source!r}; choose painter_palette or dbpedia.")
    matches = match_artists(names, graph, birth, overrides)
    node_of = {r.name: r.node for r in matches.itertuples(index=False) if r.node}
    return ArtistGraph(graph, node_of, matches, edges)


def palette_root(cfg: Any) -> Path:
    """PainterPalette's folder by the one data-set lookup (:func:`artdl.data.fetch.manifest.dataset_root`)."""
    from artdl.data import dataset_root

    return Path(dataset_root(cfg, "painter_palette"))
