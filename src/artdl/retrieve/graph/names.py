"""Painter names: one spelling per painter, and matching a collection's artists onto a graph's.

Nodes of the artist graph (:mod:`artdl.retrieve.graph.artists`) are **normalised name keys**
(:func:`name_key`): accents, punctuation, case, "Last, First", AIC's "(French, 1840-1926)" suffix and
attributions ("After", "Workshop of" ...) are removed, so "Édouard Manet (French, 1832–1883)" and
PainterPalette's "Edouard Manet" meet. A second, stricter step (:func:`match_artists`) accepts a
collection name whose words contain a graph name's words with the same last name
("Jean-Baptiste-Camille Corot" -> "Camille Corot") only when exactly one painter fits and the birth
years, when both are known, agree. What is left unmatched goes to a CSV a user can correct
(:func:`write_unmatched`); :func:`read_overrides` reads the corrections back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from artdl.core import atomic_path

__all__ = [
    "birth_year",
    "match_artists",
    "name_key",
    "plausible_name",
    "read_overrides",
    "write_unmatched",
]

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


def plausible_name(text: str) -> bool:
    """PainterPalette's name columns also hold image paths, museums and tags; keep person names."""
    text = text.strip()
    words = text.split()
    return (
        1 <= len(words) <= 6
        and not _NOT_A_NAME.search(text)
        and any(ch.isupper() for ch in text)
        and not (text == text.lower() and "-" in text)  # WikiArt tag slugs: "boats-and-ships"
    )


def birth_year(raw: Any) -> int | None:
    """Birth year from an AIC suffix "(French, 1840–1926)"; None for "active ..." or no dates."""
    m = re.search(r"\(([^)]*)\)", str(raw or ""))
    if not m or "active" in m.group(1).lower():
        return None
    y = re.search(r"(\d{4})\s*[–-]", m.group(1))
    return int(y.group(1)) if y else None


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
