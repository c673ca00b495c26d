"""Artist influence graph (DBpedia ``dbo:influencedBy``) and influence-aware re-ranking.

Artists are matched by exact DBpedia resource URI (``http://dbpedia.org/resource/Claude_Monet``),
never by fuzzy or first-name matching: a wrong match would invent influence. The live query is
cached to ``data/processed/influence_edges.csv``; offline the graph is built from that cache or a
user-supplied edge CSV with columns ``influenced, influencer`` (URIs) and optional ``source``.

Re-ranking (documented in 04_retrieve.ipynb): among the cosine top-N candidates of a query by
artist A, results are picked greedily by

    score(c) = cos(q, c) + alpha / (1 + d(A, artist(c)))  -  beta * n_before(artist(c))

where d is the shortest-path length in the undirected influence graph (0 for the same artist; no
bonus when there is no path or d > max_distance) and n_before counts results already picked from
the same artist, so one prolific painter does not fill the whole list.
"""

from __future__ import annotations

import shutil
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import pandas as pd

from artdl.utils import atomic_path

__all__ = [
    "DBPEDIA_RESOURCE",
    "artist_uri",
    "build_graph",
    "build_query",
    "fetch_dbpedia_edges",
    "graph_distances",
    "load_edges",
    "parse_results",
    "rerank",
    "uri_label",
]

DBPEDIA_RESOURCE = "http://dbpedia.org/resource/"


def artist_uri(name: str) -> str:
    """DBpedia's resource IRI for an artist name (spaces -> underscores, Unicode kept as is).

    This is the exact-match key: "Paul Cezanne" and DBpedia's "Paul_Cézanne" do NOT match, on
    purpose; fix such names in the data or in the edge CSV rather than guessing.
    """
    return DBPEDIA_RESOURCE + unicodedata.normalize("NFC", str(name).strip().replace(" ", "_"))


def uri_label(uri: str) -> str:
    """Readable name of a DBpedia resource URI."""
    return unquote(str(uri).rsplit("/", 1)[-1]).replace("_", " ")


def build_query(uris: Sequence[str]) -> str:
    """SPARQL for all ``dbo:influencedBy`` edges touching the given artist URIs (exact URIs)."""
    values = " ".join(f"<{u}>" for u in sorted(set(uris)))
    return (
        "PREFIX dbo: <http://dbpedia.org/ontology/>\n"
        "SELECT DISTINCT ?a ?b WHERE {\n"
        f"  VALUES ?x {{ {values} }}\n"
        "  { ?a dbo:influencedBy ?b . FILTER(?a = ?x) } UNION { ?a dbo:influencedBy ?b . FILTER(?b = ?x) }\n"
        "}"
    )


def parse_results(results: dict[str, Any]) -> pd.DataFrame:
    """SPARQL JSON results (``?a dbo:influencedBy ?b``) -> edge table ``influenced, influencer, source``."""
    rows = []
    for binding in results.get("results", {}).get("bindings", []):
        a, b = binding.get("a", {}), binding.get("b", {})
        if a.get("type") == "uri" and b.get("type") == "uri":
            rows.append({"influenced": a["value"], "influencer": b["value"], "source": "dbpedia"})
    return pd.DataFrame(rows, columns=["influenced", "influencer", "source"]).drop_duplicates()


def fetch_dbpedia_edges(
    artists: Sequence[str], endpoint: str = "https://dbpedia.org/sparql", chunk: int = 50, timeout: int = 60
) -> pd.DataFrame:
    """Query DBpedia live for the influence edges of ``artists`` (names), in chunks."""
    from SPARQLWrapper import JSON, SPARQLWrapper

    uris = sorted({artist_uri(a) for a in artists if str(a).strip()})
    frames = []
    for i in range(0, len(uris), chunk):
        sparql = SPARQLWrapper(endpoint, agent="artdl/0.1 (research; influence graph)")
        sparql.setQuery(build_query(uris[i : i + chunk]))
        sparql.setReturnFormat(JSON)
        sparql.setTimeout(timeout)
        frames.append(parse_results(sparql.query().convert()))
    return pd.concat(frames, ignore_index=True).drop_duplicates() if frames else parse_results({})


def load_edges(
    cache: str | Path,
    fixture: str | Path | None = None,
    artists: Sequence[str] = (),
    fetch: bool = False,
    endpoint: str = "https://dbpedia.org/sparql",
) -> pd.DataFrame:
    """Edge table from the cache; else fetched live (``fetch``) or copied from ``fixture``.

    Raises a clear error when none is available, rather than silently using an empty graph.
    """
    cache = Path(cache)
    if fetch:
        edges = fetch_dbpedia_edges(artists, endpoint)
        with atomic_path(cache) as tmp:
            edges.to_csv(tmp, index=False)
    elif not cache.is_file():
        if fixture is None or not Path(fixture).is_file():
            raise FileNotFoundError(
                f"No influence edges at {cache}. Set retrieve.influence.fetch=true (needs internet, "
                f"queries DBpedia) or put a CSV with columns influenced,influencer (DBpedia URIs) there."
            )
        with atomic_path(cache) as tmp:
            shutil.copyfile(fixture, tmp)
    edges = pd.read_csv(cache, comment="#")
    missing = {"influenced", "influencer"} - set(edges.columns)
    if missing:
        raise ValueError(f"{cache} lacks columns {sorted(missing)}; expected influenced,influencer[,source].")
    for col in ("influenced", "influencer"):  # percent-encoded URIs and IRIs compare equal
        edges[col] = [unicodedata.normalize("NFC", unquote(str(u)).strip()) for u in edges[col]]
    if "source" not in edges:
        edges["source"] = "user"
    return edges


def build_graph(edges: pd.DataFrame) -> Any:
    """A directed networkx graph influenced -> influencer (node = DBpedia URI, attribute ``name``)."""
    import networkx as nx

    graph = nx.DiGraph()
    for row in edges.itertuples(index=False):
        graph.add_edge(row.influenced, row.influencer, source=getattr(row, "source", ""))
    for node in graph.nodes:
        graph.nodes[node]["name"] = uri_label(node)
    return graph


def graph_distances(graph: Any, artists: Sequence[str], max_distance: int = 3) -> dict[tuple[str, str], int]:
    """Shortest undirected path lengths (<= max_distance) between artist names, by exact URI."""
    import networkx as nx

    und = graph.to_undirected()
    names = {str(a) for a in artists}
    by_uri = {artist_uri(a): a for a in names}
    out: dict[tuple[str, str], int] = {(a, a): 0 for a in names}
    for uri, name in by_uri.items():
        if uri not in und:
            continue
        for other, d in nx.single_source_shortest_path_length(und, uri, cutoff=max_distance).items():
            if other in by_uri:
                out[(name, by_uri[other])] = int(d)
    return out


def rerank(
    candidates: np.ndarray,
    cosine: np.ndarray,
    query_artist: str,
    artists: Sequence[str],
    distances: dict[tuple[str, str], int],
    graph_weight: float = 0.15,
    repeat_penalty: float = 0.05,
    k: int = 10,
    known: Sequence[bool] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy influence-aware re-ranking of one query's candidates (see the module docstring).

    ``candidates`` are collection indices with their ``cosine`` scores; ``artists[i]`` is the
    artist of collection item i, ``known[i]`` whether that name is a real attribution (unknown
    artists get no graph bonus and no repeat penalty). Returns (indices, final scores) of length k.
    """
    remaining = list(range(len(candidates)))
    counts: dict[str, int] = {}
    picked, scores = [], []
    for _ in range(min(k, len(candidates))):
        best, best_score = -1, -np.inf
        for j in remaining:
            item = int(candidates[j])
            artist = str(artists[item])
            ok = True if known is None else bool(known[item])
            d = distances.get((str(query_artist), artist)) if ok else None
            bonus = graph_weight / (1 + d) if d is not None else 0.0
            penalty = repeat_penalty * counts.get(artist, 0) if ok else 0.0
            score = float(cosine[j]) + bonus - penalty
            if score > best_score:
                best, best_score = j, score
        remaining.remove(best)
        item = int(candidates[best])
        if known is None or bool(known[item]):
            counts[str(artists[item])] = counts.get(str(artists[item]), 0) + 1
        picked.append(item)
        scores.append(best_score)
    return np.array(picked, dtype=int), np.array(scores, dtype=float)
