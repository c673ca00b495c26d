"""Who painted a row: the one rule for "no identified painter", and the artist groups of a split.

Anonymous works ("Artist unknown", "Unknown Artist"), workshops named by a place ("Flemish",
"Northern Italian; possibly Verona") and alternatives ("Netherlandish or German") are not one painter.
Treated as one, they would act as a prolific artist: under ``data.split.group_by=artist`` hundreds of
unrelated paintings would be forced onto one side of the split, and 04's same-artist metrics would
count two anonymous works as a match. :func:`artist_unknown` is the single rule both use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from artdl.data.sources import DataError

__all__ = ["UNKNOWN_ARTISTS", "artist_groups", "artist_unknown", "combine_groups"]

UNKNOWN_ARTIST_RULE = 2  # bump when artist_unknown changes: saved artist-disjoint splits are then rebuilt
UNKNOWN_ARTISTS = {"", "unknown artist", "unknown", "anonymous", "nan"}  # exact names, compared lower-cased
# Names that start like an anonymous attribution, hold two candidates ("X or Y", "X; Y"), or are a
# region alone (AIC's "Flemish", "Central Italian"). "Master of X" names a hand that no source links
# to a biography, so it counts as unknown too.
_NO_ARTIST = re.compile(
    r"^(artist unknown|unknown|anonymous|monogrammist|master of|the master of)\b|;|\bor\b|"
    r"^(north(ern)?|south(ern)?|central)?\s*(flemish|italian|french|dutch|german|netherlandish|bolognese|"
    r"spanish|belgian|tuscan|venetian)$",
    re.IGNORECASE,
)


def _unknown(name: Any) -> bool:
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return True
    text = str(name).strip()
    return text.lower() in UNKNOWN_ARTISTS or bool(_NO_ARTIST.search(text))


def artist_unknown(names: Iterable[Any]) -> np.ndarray:
    """A boolean per name: True where it names no one identified painter (see the module docstring).

    ``"Artist unknown"``, ``"Unknown Artist"``, ``""``, a missing value, ``"Flemish"``,
    ``"Italian; Tuscany"``, ``"Netherlandish or German"`` and ``"Master of Riglos"`` are unknown;
    ``"Claude Monet"`` and a WikiArt slug (``"claude-monet"``) are known.
    """
    return np.array([_unknown(n) for n in names], dtype=bool)


def artist_groups(table: pd.DataFrame) -> np.ndarray:
    """One group id per row: the same id for one artist's paintings, a fresh id for each unknown one.

    An unknown artist (:func:`artist_unknown`) is not one painter: grouping those would put
    thousands of unrelated paintings on one side, so each is its own group.
    """
    if "artist" not in table.columns:
        raise DataError(
            "data.split.group_by=artist needs an `artist` column, which this data set lacks "
            "(wikiart_styles7 has none; use wikiart_full, aic_paintings or a crawl), or set data.split.group_by=none."
        )
    names = table["artist"].fillna("").astype(str).str.strip()
    known = ~artist_unknown(names)
    codes = np.empty(len(table), dtype=np.int64)
    codes[known] = pd.factorize(names[known], sort=True)[0]
    n_known = int(codes[known].max() + 1) if known.any() else 0
    codes[~known] = n_known + np.arange(int((~known).sum()))
    return codes


def combine_groups(*groupings: Sequence[int] | np.ndarray) -> np.ndarray:
    """Rows that share a group in any grouping end up in one group (connected components).

    So a look-alike pair by two artists joins both artists: near-duplicates and artists alike stay on
    one side. Ids are renumbered 0..k-1 in order of first appearance.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    arrays = [np.asarray(g, dtype=np.int64) for g in groupings]
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise DataError("combine_groups needs one id per row in every grouping.")
    rows, cols, offset = [], [], n
    for ids in arrays:  # a bipartite graph: row -> (grouping, id) node
        _, inverse = np.unique(ids, return_inverse=True)
        rows.append(np.arange(n))
        cols.append(offset + inverse)
        offset += int(inverse.max()) + 1 if n else 0
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(r)), (r, c)), shape=(offset, offset))
    _, labels = connected_components(graph, directed=False)
    return pd.factorize(labels[:n])[0].astype(np.int64)
