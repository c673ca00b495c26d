"""An artist graph (influenced-by, teacher-of, friend) and influence-aware re-ranking.

Sources, all behind one edge table ``src, dst, type, source``:

- **PainterPalette** (``painter_palette``, the default, offline): about 10,000 painters compiled
  from WikiArt, Art500k and Wikidata, with comma-separated names in ``Influencedby``,
  ``Influencedon``, ``Teachers``, ``Pupils`` and ``FriendsandCoworkers``.
- **DBpedia** (``dbpedia``, online): ``?a dbo:influencedBy ?b`` over SPARQL.

Edges point in the direction of the influence: ``src`` influenced / taught ``dst`` (``friend``
edges have no direction; they are stored once). ``source`` names where an edge came from
(``PainterPalette:Teachers``), so a reader can check any edge that moves a result.

Nodes are **normalised name keys** (:func:`name_key`): accents, punctuation, case, "Last, First",
AIC's "(French, 1840-1926)" suffix and attributions ("After", "Workshop of" ...) are removed, so
"Édouard Manet (French, 1832–1883)" and PainterPalette's "Edouard Manet" meet. A second, stricter
step (:func:`match_artists`) accepts a collection name whose words contain a graph name's words with
the same last name ("Jean-Baptiste-Camille Corot" -> "Camille Corot") only when exactly one painter
fits and the birth years, when both are known, agree. What is left unmatched goes to a CSV a user
can correct; :func:`read_overrides` reads the corrections back.

Re-ranking: among the cosine top-N candidates of a query by artist A, results are picked greedily by

    score(c) = cos(q, c) + alpha / d(A, artist(c))  -  beta * n_before(artist(c))

where d is the shortest-path length (1 .. max_distance) in the undirected graph between two
*different* artists (no bonus for the same artist, whom cosine already favours, nor without a path)
and n_before counts results already picked from that artist, so one painter does not fill the list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from artdl.dbpedia import (
    DBPEDIA_RESOURCE,
    EDGE_COLUMNS,
    artist_uri,
    build_query,
    dbpedia_edges,
    fetch_dbpedia_edges,
    parse_results,
    uri_label,
)
from artdl.utils import atomic_path

__all__ = [
    "DBPEDIA_RESOURCE",
    "EDGE_COLUMNS",
    "EDGE_TYPES",
    "ArtistGraph",
    "artist_uri",
    "build_graph",
    "build_query",
    "collection_graph",
    "coverage",
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
    "read_overrides",
    "rerank",
    "uri_label",
    "write_unmatched",
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
_ATTRIBUTION = re.compile(
    r"^(after|attributed to|circle of|follower of|followers of|workshop of|school of|studio of|"
    r"copy after|imitator of|style of|manner of|and workshop|possibly)\s+",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(
    r"[/\\@]|\.(jpe?g|png)$|\d|museum|collection|gallery|galerie|palace|church|cathedral|chapel|"
    r"academy|academie|institute|school|society|university|movement|group|private",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------
def name_key(name: Any) -> str:
    """One spelling for every way a painter's name is written; ``""`` for no name.

    ``"After Édouard Manet (French, 1832–1883)"``, ``"Manet, Edouard"``, ``"edouard-manet"`` ->
    ``"edouard manet"``. Only the first line of a multi-line AIC attribution counts.
    """
    text = str(name or "").split("\n")[0].strip()
    text = re.sub(r"\s*\(.*$", "", text)  # AIC: "Name (Nationality, 1840-1926)"
    for _ in range(2):  # "Attributed to Workshop of X"
        text = _ATTRIBUTION.sub("", text.strip())
    text = re.sub(r"\s+(workshop|and workshop|studio)$", "", text, flags=re.IGNORECASE)
    text = re.sub(r",?\s+(the younger|the elder|jr\.?|sr\.?|i{1,3}|iv)$", "", text, flags=re.IGNORECASE)
    text = re.sub(r",\s*(the younger|the elder|i{1,3}|iv)$", "", text, flags=re.IGNORECASE)
    if text.count(",") == 1:  # "Last, First"
        last, first = (p.strip() for p in text.split(","))
        text = f"{first} {last}"
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w]+", " ", text.lower().replace("_", " "))
    return " ".join(text.split())


def _plausible_name(text: str) -> bool:
    """PainterPalette's name columns also hold image paths, museums and tags; keep person names."""
    text = text.strip()
    words = text.split()
    return (
        1 <= len(words) <= 6
        and not _NOT_A_NAME.search(text)
        and any(ch.isupper() for ch in text)
        and not (text == text.lower() and "-" in text)  # WikiArt tag slugs: "boats-and-ships"
    )


def _years(raw: Any) -> int | None:
    """Birth year from an AIC suffix "(French, 1840–1926)"; None for "active ..." or no dates."""
    m = re.search(r"\(([^)]*)\)", str(raw or ""))
    if not m or "active" in m.group(1).lower():
        return None
    y = re.search(r"(\d{4})\s*[–-]", m.group(1))
    return int(y.group(1)) if y else None


# --------------------------------------------------------------------------------------------
# Sources
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
                if not _plausible_name(other) or name_key(other) == name_key(painter):
                    continue
                src, dst = (painter, other) if painter_is_src else (other, painter)
                if kind == "friend" and name_key(dst) < name_key(src):
                    src, dst = dst, src
                rows.append((src, dst, kind, f"PainterPalette:{column}"))
    edges = pd.DataFrame(rows, columns=EDGE_COLUMNS)
    keys = edges.assign(k1=edges["src"].map(name_key), k2=edges["dst"].map(name_key))
    return edges[~keys.duplicated(["k1", "k2", "type"])].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Graph
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
    ``matches`` is the full match table (:func:`match_artists`).
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


def match_artists(
    names: Iterable[str],
    graph: Any,
    birth_years: Mapping[str, int | None] | None = None,
    overrides: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Match collection artist names to graph nodes: ``name, key, node, how`` (how: override/exact/words/"").

    ``words``: the graph name's words are a subset of the collection name's, with the same last word,
    exactly one such painter exists, and the birth years (when both known) differ by at most 2; a
    graph name with *more* words ("Adolphe Joseph Thomas Monticelli") only with agreeing birth years.
    ``overrides`` maps a collection name to a graph name (from :func:`read_overrides`).
    """
    overrides = {name_key(k): name_key(v) for k, v in (overrides or {}).items()}
    years = {str(k): v for k, v in (birth_years or {}).items()}
    by_last: dict[str, list[str]] = {}
    for node in graph.nodes:
        words = node.split()
        if len(words) >= 2:
            by_last.setdefault(words[-1], []).append(node)
    rows = []
    for name in dict.fromkeys(str(n) for n in names):
        key = name_key(name)
        node, how = "", ""
        if key in overrides and overrides[key] in graph:
            node, how = overrides[key], "override"
        elif key in graph:
            node, how = key, "exact"
        elif key:
            words = set(key.split())
            year = years.get(name)
            born = {n: graph.nodes[n].get("birth_year") for n in by_last.get(key.split()[-1], [])}
            agree = {n for n, y in born.items() if year is not None and y is not None and abs(y - year) <= 2}
            fits = [
                n
                for n, y in born.items()
                if (set(n.split()) <= words and (year is None or y is None or n in agree))
                or (words <= set(n.split()) and n in agree)  # graph name longer: only with matching years
            ]
            if len(fits) == 1:
                node, how = fits[0], "words"
        rows.append({"name": name, "key": key, "node": node, "how": how})
    return pd.DataFrame(rows, columns=["name", "key", "node", "how"])


def read_overrides(path: str | Path | None) -> dict[str, str]:
    """User corrections ``name -> graph_name`` from a CSV with those columns; empty when absent.

    The file :func:`write_unmatched` writes has both columns: fill in ``graph_name`` and point
    ``retrieve.influence.overrides`` at it.
    """
    if not path or not Path(path).is_file():
        return {}
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if not {"name", "graph_name"} <= set(df.columns):
        raise ValueError(f"{path} needs columns name,graph_name.")
    return {r.name: r.graph_name for r in df.itertuples(index=False) if str(r.graph_name).strip()}


def write_unmatched(matches: pd.DataFrame, counts: Mapping[str, int], path: str | Path) -> Path:
    """CSV of unmatched collection artists (``name, paintings, graph_name``), most paintings first."""
    out = matches.loc[matches["node"] == "", ["name"]].copy()
    out["paintings"] = [int(counts.get(n, 0)) for n in out["name"]]
    out["graph_name"] = ""
    out = out.sort_values(["paintings", "name"], ascending=[False, True])
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False)
    return Path(path)


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
    """
    import networkx as nx

    try:
        nodes = nx.shortest_path(graph.to_undirected(as_view=True), a, b)
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
    birth = {n: _years(r) for n, r in zip(names, raw.astype(str)) if _years(r) is not None}
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
    """PainterPalette's folder by the one data-set lookup (:func:`artdl.fetch.dataset_root`)."""
    from artdl.fetch import dataset_root

    return Path(dataset_root(cfg, "painter_palette"))


def coverage(ag: ArtistGraph, table: pd.DataFrame) -> dict[str, Any]:
    """How much of the collection the graph reaches: artists, paintings, edges among collection artists."""
    known = table["artist_known"].to_numpy(bool) if "artist_known" in table else np.ones(len(table), bool)
    artists = table.loc[known, "artist"].astype(str)
    nodes = set(ag.node_of.values())
    sub = ag.graph.subgraph(nodes)
    types: dict[str, int] = dict.fromkeys(EDGE_TYPES, 0)
    for _, _, data in sub.edges(data=True):
        for t in data["types"]:
            types[t] += 1
    how = ag.matches["how"].value_counts()
    return {
        "graph_painters": int(ag.graph.number_of_nodes()),
        "graph_edges": int(ag.graph.number_of_edges()),
        "edge_types_all": {t: int((ag.edges["type"] == t).sum()) for t in EDGE_TYPES},
        "artists": int(artists.nunique()),
        "artists_matched": len(ag.node_of),
        "matched_exact": int(how.get("exact", 0)),
        "matched_words": int(how.get("words", 0)),
        "matched_override": int(how.get("override", 0)),
        "paintings": int(len(table)),
        "paintings_known_artist": int(known.sum()),
        "paintings_in_graph": int(artists.isin(list(ag.node_of)).sum()),
        "edges_among_collection": int(sub.number_of_edges()),
        "edge_types_among_collection": types,
        "collection_artists_with_edges": int(sum(1 for n in nodes if sub.degree(n) > 0)),
    }


# --------------------------------------------------------------------------------------------
# Re-ranking
# --------------------------------------------------------------------------------------------
def rerank(
    candidates: np.ndarray,
    cosine: np.ndarray,
    query_artist: str,
    artists: Sequence[str],
    distances: Mapping[tuple[str, str], int],
    graph_weight: float = 0.05,
    repeat_penalty: float = 0.01,
    k: int = 10,
    known: Sequence[bool] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy influence-aware re-ranking of one query's candidates (formula in the module docstring).

    ``candidates`` are collection indices with their ``cosine`` scores; ``artists[i]`` is the
    artist of item i, ``known[i]`` whether that is a real attribution (unknown artists get no bonus
    and no repeat penalty). Returns (indices, final scores) of length k.
    """
    cand = np.asarray(candidates, dtype=int)
    cos = np.asarray(cosine, dtype=float)
    names = [str(artists[i]) for i in cand]
    ok = np.ones(len(cand), bool) if known is None else np.asarray(known, bool)[cand]
    bonus = np.zeros(len(cand))
    for j, name in enumerate(names):
        d = distances.get((str(query_artist), name)) if ok[j] else None
        if d:  # 1 .. max_distance; 0 (same artist) and None give nothing
            bonus[j] = graph_weight / d
    base = cos + bonus
    remaining = np.ones(len(cand), bool)
    counts: dict[str, int] = {}
    picked, scores = [], []
    for _ in range(min(k, len(cand))):
        penalty = np.array([repeat_penalty * counts.get(n, 0) if o else 0.0 for n, o in zip(names, ok)])
        score = np.where(remaining, base - penalty, -np.inf)
        best = int(np.argmax(score))
        remaining[best] = False
        if ok[best]:
            counts[names[best]] = counts.get(names[best], 0) + 1
        picked.append(int(cand[best]))
        scores.append(float(score[best]))
    return np.array(picked, dtype=int), np.array(scores, dtype=float)
