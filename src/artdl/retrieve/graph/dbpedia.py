"""DBpedia as an online source of influence edges (``?a dbo:influencedBy ?b`` over SPARQL).

It returns the same edge table as PainterPalette (``src, dst, type, source``; ``src`` influenced
``dst``), so :func:`artdl.retrieve.influence.collection_graph` treats both alike. Live queries need the
internet; the tests run them against a local imitation on 127.0.0.1. Results are cached to a CSV.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pandas as pd

from artdl.core import atomic_path

__all__ = [
    "DBPEDIA_RESOURCE",
    "EDGE_COLUMNS",
    "artist_uri",
    "build_query",
    "dbpedia_edges",
    "fetch_dbpedia_edges",
    "parse_results",
    "uri_label",
]

DBPEDIA_RESOURCE = "http://dbpedia.org/resource/"
EDGE_COLUMNS = ["src", "dst", "type", "source"]  # the edge table every influence source returns


def artist_uri(name: str) -> str:
    """DBpedia's resource IRI for an artist name (spaces -> underscores, Unicode kept as is)."""
    return DBPEDIA_RESOURCE + unicodedata.normalize("NFC", str(name).strip().replace(" ", "_"))


def uri_label(uri: str) -> str:
    """Readable name of a DBpedia resource URI."""
    return unquote(str(uri).rsplit("/", 1)[-1]).replace("_", " ")


def build_query(uris: Sequence[str]) -> str:
    """SPARQL for all ``dbo:influencedBy`` edges touching the given artist URIs."""
    values = " ".join(f"<{u}>" for u in sorted(set(uris)))
    return (
        "PREFIX dbo: <http://dbpedia.org/ontology/>\n"
        "SELECT DISTINCT ?a ?b WHERE {\n"
        f"  VALUES ?x {{ {values} }}\n"
        "  { ?a dbo:influencedBy ?b . FILTER(?a = ?x) } UNION { ?a dbo:influencedBy ?b . FILTER(?b = ?x) }\n"
        "}"
    )


def parse_results(results: Mapping[str, Any]) -> pd.DataFrame:
    """SPARQL JSON (``?a dbo:influencedBy ?b``) -> edge table with readable names, ``src`` = influencer."""
    rows = []
    for binding in results.get("results", {}).get("bindings", []):
        a, b = binding.get("a", {}), binding.get("b", {})
        if a.get("type") == "uri" and b.get("type") == "uri":
            rows.append((uri_label(b["value"]), uri_label(a["value"]), "influenced_by", "dbpedia"))
    return pd.DataFrame(rows, columns=EDGE_COLUMNS).drop_duplicates().reset_index(drop=True)


def fetch_dbpedia_edges(
    artists: Sequence[str], endpoint: str = "https://dbpedia.org/sparql", chunk: int = 50, timeout: int = 60
) -> pd.DataFrame:
    """Query a SPARQL endpoint live for the influence edges of ``artists`` (names), in chunks."""
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


def dbpedia_edges(
    artists: Sequence[str], cache: str | Path, endpoint: str, fetch: bool = False
) -> pd.DataFrame:
    """DBpedia edges from ``cache``, or fetched live (``fetch``) and cached; same table as PainterPalette's."""
    cache = Path(cache)
    if fetch:
        edges = fetch_dbpedia_edges(artists, endpoint)
        with atomic_path(cache) as tmp:
            edges.to_csv(tmp, index=False)
        return edges
    if not cache.is_file():
        raise FileNotFoundError(
            f"No DBpedia edges cached at {cache}. Set retrieve.influence.fetch=true (needs internet) or "
            f"use retrieve.influence.source=painter_palette (offline)."
        )
    edges = pd.read_csv(cache, dtype=str, keep_default_na=False)
    missing = set(EDGE_COLUMNS) - set(edges.columns)
    if missing:
        raise ValueError(f"{cache} lacks columns {sorted(missing)}; expected {EDGE_COLUMNS}.")
    return edges[EDGE_COLUMNS]
