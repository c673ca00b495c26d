"""Artist influence graph from DBpedia (``?a dbo:influencedBy ?b``) and graph-aware re-ranking.

Artists are matched by EXACT DBpedia resource URI (a name -> URI mapping), never by regex on names,
so "Claude Monet" cannot accidentally match "Claude Lorrain". The live query needs the internet;
everything else works offline from the cached CSV or a user-supplied edge list.

Re-ranking score (weights in ``retrieve.influence``) for a candidate c of query q, chosen greedily::

    score(c) = cos(q, c) + graph_weight / (1 + d(artist_q, artist_c)) - repeat_penalty * n_already(artist_c)

``d`` is the shortest-path length in the undirected influence graph (0 for the same artist; the
bonus is 0 when there is no path or an artist is unknown). ``n_already`` counts how many results of
that artist are already in the list, which dampens a list of ten Monets.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from artdl.utils import atomic_path

__all__ = [
    "DBPEDIA_RESOURCE",
    "artist_uri",
    "build_query",
    "parse_sparql_json",
    "fetch_dbpedia_edges",
    "curated_edges",
    "load_edges",
    "build_graph",
    "graph_distance",
    "rerank",
]

DBPEDIA_RESOURCE = "http://dbpedia.org/resource/"
EDGE_COLUMNS = ["source", "target", "source_name", "target_name", "origin"]


def artist_uri(name: str, mapping: dict[str, str] | None = None) -> str:
    """The DBpedia resource URI for an artist name: the mapping if given, else the Wikipedia-style title."""
    if mapping and name in mapping:
        return mapping[name]
    return DBPEDIA_RESOURCE + name.strip().replace(" ", "_")


def build_query(uris: Iterable[str]) -> str:
    """SPARQL for influence edges where BOTH ends are among ``uris`` (exact URI matching via VALUES)."""
    values = " ".join(f"<{u}>" for u in sorted(set(uris)))
    return (
        "PREFIX dbo: <http://dbpedia.org/ontology/>\n"
        "SELECT DISTINCT ?a ?b WHERE {\n"
        f"  VALUES ?a {{ {values} }}\n"
        f"  VALUES ?b {{ {values} }}\n"
        "  ?a dbo:influencedBy ?b .\n"
        "}"
    )


def parse_sparql_json(result: dict[str, Any] | str) -> pd.DataFrame:
    """SPARQL JSON results -> edge table (source influenced by target)."""
    if isinstance(result, str):
        result = json.loads(result)
    rows = []
    for b in result.get("results", {}).get("bindings", []):
        a, t = b["a"]["value"], b["b"]["value"]
        rows.append(
            {"source": a, "target": t, "source_name": _name(a), "target_name": _name(t), "origin": "dbpedia"}
        )
    return pd.DataFrame(rows, columns=EDGE_COLUMNS)


def _name(uri: str) -> str:
    return uri.rsplit("/", 1)[-1].replace("_", " ")


def fetch_dbpedia_edges(
    uris: Iterable[str], endpoint: str = "https://dbpedia.org/sparql", timeout: int = 30
) -> pd.DataFrame:
    """Run :func:`build_query` against a SPARQL endpoint (needs the internet)."""
    from SPARQLWrapper import JSON, SPARQLWrapper

    sparql = SPARQLWrapper(endpoint)
    sparql.setQuery(build_query(uris))
    sparql.setReturnFormat(JSON)
    sparql.setTimeout(timeout)
    return parse_sparql_json(sparql.query().convert())


def curated_edges() -> pd.DataFrame:
    """A small hand-curated influence list for artists in the AIC set (shipped with the package).

    It is a STAND-IN for the DBpedia result (marked ``origin=curated``), written from standard
    art-historical accounts; it was not fetched from DBpedia in this offline environment.
    """
    with resources.files("artdl.resources").joinpath("influence_edges_curated.csv").open() as fh:
        return pd.read_csv(fh)


def load_edges(
    cache: str | Path,
    user_csv: str | Path | None = None,
    uris: Iterable[str] | None = None,
    online: bool = False,
    endpoint: str = "https://dbpedia.org/sparql",
) -> pd.DataFrame:
    """Edges from, in order: a user CSV, the cache, DBpedia (if ``online``, then cached), the curated list."""
    if user_csv and Path(user_csv).exists():
        return _check(pd.read_csv(user_csv), user_csv)
    cache = Path(cache)
    if cache.exists():
        return _check(pd.read_csv(cache), cache)
    if online:
        if uris is None:
            raise ValueError("online=True needs the artist URIs to query")
        edges = fetch_dbpedia_edges(uris, endpoint)
        with atomic_path(cache) as tmp:
            edges.to_csv(tmp, index=False)
        return edges
    print("No influence cache and online=False: using the curated stand-in edge list (not DBpedia).")
    return curated_edges()


def _check(edges: pd.DataFrame, where: Any) -> pd.DataFrame:
    missing = {"source", "target"} - set(edges.columns)
    if missing:
        raise ValueError(
            f"{where}: an influence edge CSV needs columns source,target (URIs); missing {missing}"
        )
    return edges


def build_graph(edges: pd.DataFrame) -> nx.Graph:
    """Undirected graph over artist URIs (influence in either direction makes artists related)."""
    g = nx.Graph()
    g.add_edges_from(zip(edges["source"], edges["target"], strict=True))
    return g


def graph_distance(g: nx.Graph, a: str, b: str) -> float:
    """Shortest-path length; 0 if a == b; ``inf`` if either is absent or there is no path."""
    if a == b:
        return 0.0
    if a not in g or b not in g:
        return math.inf
    try:
        return float(nx.shortest_path_length(g, a, b))
    except nx.NetworkXNoPath:
        return math.inf


def rerank(
    query_uri: str,
    candidates: Sequence[int],
    cosine: Sequence[float],
    candidate_uris: Sequence[str],
    g: nx.Graph,
    k: int = 10,
    graph_weight: float = 0.1,
    repeat_penalty: float = 0.05,
) -> tuple[list[int], list[float]]:
    """Greedy re-ranking with the module docstring's formula; returns (chosen candidates, scores)."""
    base = np.array(
        [
            c + graph_weight / (1.0 + graph_distance(g, query_uri, u))
            for c, u in zip(cosine, candidate_uris, strict=True)
        ]
    )
    counts: dict[str, int] = {}
    chosen: list[int] = []
    scores: list[float] = []
    left = list(range(len(candidates)))
    while left and len(chosen) < k:
        adj = [base[j] - repeat_penalty * counts.get(candidate_uris[j], 0) for j in left]
        best = int(np.argmax(adj))
        j = left.pop(best)
        chosen.append(int(candidates[j]))
        scores.append(float(adj[best]))
        counts[candidate_uris[j]] = counts.get(candidate_uris[j], 0) + 1
    return chosen, scores
