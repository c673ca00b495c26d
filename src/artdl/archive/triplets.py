"""Curator triplets (anchor, positive, negatives): drawn from labels or the artist graph, split, saved.

A triplet says "for this anchor painting, this one is closer than those". In memory a triplet table
has columns ``anchor, positive, negatives``: collection row indices, the negatives space-separated.
On disk the same rows name paintings by **path** (:func:`save_triplets`, :func:`load_triplets`), so
a file written today still means the same paintings after the collection changes.

Graph triplets are the headline data: :func:`graph_triplet_split` holds out whole artists, so the
projection head (:mod:`artdl.archive`) is scored on painters it never saw. Label triplets
(:func:`triplets_from_labels`) are a sanity check only. Every function draws from an rng of its own
(``seed``), so figure settings elsewhere cannot change which triplets a notebook gets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from artdl.core import atomic_path

__all__ = [
    "TRIPLET_COLUMNS",
    "artist_split",
    "graph_triplet_split",
    "load_triplets",
    "negative_matrix",
    "save_triplets",
    "split_by_anchor",
    "triplets_from_graph",
    "triplets_from_labels",
]


TRIPLET_COLUMNS = ["anchor", "positive", "negatives"]


def triplets_from_labels(
    labels: Sequence[Any],
    n: int = 600,
    negatives: int = 5,
    seed: int = 0,
    valid: Sequence[bool] | None = None,
) -> pd.DataFrame:
    """Label triplets: positive shares the anchor's label, negatives do not.

    A **sanity check only**: a head trained on these and scored on the same labels has learned
    the labels, which says nothing about art-historical similarity. Columns ``anchor, positive,
    negatives`` (indices; negatives space-separated).
    """
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels).astype(str)
    ok = np.ones(len(labels), bool) if valid is None else np.asarray(valid, bool)
    by_label = {lab: np.flatnonzero((labels == lab) & ok) for lab in np.unique(labels[ok])}
    anchors = [i for i in np.flatnonzero(ok) if len(by_label[labels[i]]) > 1]
    rows = []
    for _ in range(n):
        a = int(rng.choice(anchors))
        pos = int(rng.choice([j for j in by_label[labels[a]] if j != a]))
        neg = rng.choice(np.flatnonzero((labels != labels[a]) & ok), size=negatives, replace=False)
        rows.append({"anchor": a, "positive": pos, "negatives": " ".join(map(str, neg))})
    return pd.DataFrame(rows, columns=TRIPLET_COLUMNS)


def split_by_anchor(triplets: pd.DataFrame, heldout: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, held-out) with held-out anchors never used as training anchors; own seeded rng.

    Only the anchor role is held out (a held-out painting may appear as a training positive), which
    is why this split goes with the label sanity check, not with the headline number.
    """
    rng = np.random.default_rng(seed)
    anchors = np.unique(triplets["anchor"])
    held = set(rng.choice(anchors, size=int(len(anchors) * heldout), replace=False).tolist())
    mask = triplets["anchor"].isin(held)
    return triplets[~mask].reset_index(drop=True), triplets[mask].reset_index(drop=True)


def artist_split(
    artists: Sequence[str],
    distances: Mapping[tuple[str, str], int],
    heldout: float = 0.3,
    seed: int = 0,
    positive_distance: int = 1,
) -> tuple[set[str], set[str]]:
    """Split artist names into (train, held-out) so that both sides keep connected pairs.

    Graph-linked artists (a partner within ``positive_distance``) are held out a linked pair at a
    time, drawn with an rng of its own (``seed``), until ``heldout`` of them are; the other artists
    are held out at random in the same fraction. A random split of single artists would leave the
    held-out side with hardly any connected pair to test on.
    """
    rng = np.random.default_rng(seed)
    names = sorted({str(a) for a in artists})
    pairs = sorted(
        {tuple(sorted((a, b))) for (a, b), d in distances.items() if 1 <= d <= positive_distance}
        & {(a, b) for a in names for b in names if a < b}
    )
    linked = sorted({x for p in pairs for x in p})
    held: set[str] = set()
    for i in rng.permutation(len(pairs)):
        if len(held) >= round(heldout * len(linked)):
            break
        held |= set(pairs[i])
    others = [a for a in names if a not in linked]
    if others:
        held |= {str(a) for a in rng.choice(others, size=round(heldout * len(others)), replace=False)}
    return set(names) - held, held


def triplets_from_graph(
    artists: Sequence[str],
    allowed: set[str],
    distances: Mapping[tuple[str, str], int],
    n: int = 600,
    negatives: int = 5,
    seed: int = 0,
    positive_distance: int = 1,
) -> pd.DataFrame:
    """Triplets from the influence graph, not from any label: anchor by A, positive by an artist
    within ``positive_distance`` of A, negatives by artists with no path to A within the distances'
    cutoff (far). Only artists in ``allowed`` take part (one side of :func:`artist_split`).

    Anchor artists are drawn uniformly (then a painting), so the two painters who hold most of the
    collection do not make most of the triplets.
    """
    rng = np.random.default_rng(seed)
    artists = np.asarray([str(a) for a in artists])
    works = {a: np.flatnonzero(artists == a) for a in sorted(allowed)}
    works = {a: w for a, w in works.items() if len(w)}
    near = {
        a: [b for b in works if b != a and 1 <= distances.get((a, b), 0) <= positive_distance] for a in works
    }
    far = {a: [b for b in works if b != a and (a, b) not in distances] for a in works}
    anchors = [a for a in works if near[a] and sum(len(works[b]) for b in far[a]) >= negatives]
    rows = []
    for _ in range(n if anchors else 0):
        a_art = anchors[int(rng.integers(len(anchors)))]
        p_art = near[a_art][int(rng.integers(len(near[a_art])))]
        pool = np.concatenate([works[b] for b in far[a_art]])
        neg = rng.choice(pool, size=negatives, replace=False)
        rows.append(
            {
                "anchor": int(rng.choice(works[a_art])),
                "positive": int(rng.choice(works[p_art])),
                "negatives": " ".join(map(str, neg)),
            }
        )
    return pd.DataFrame(rows, columns=TRIPLET_COLUMNS)


def graph_triplet_split(
    artists: Sequence[str],
    distances: Mapping[tuple[str, str], int],
    eligible: Sequence[str],
    n: int = 600,
    negatives: int = 5,
    heldout: float = 0.3,
    seed: int = 0,
    positive_distance: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Artist-disjoint (train, held-out) graph triplets and what the split holds.

    ``eligible``: the artists in the graph (matched collection artists). Held-out triplets use
    only held-out artists in every role, so the head never saw any of their paintings. The rng is
    the function's own (``seed``), so figure settings elsewhere cannot change these numbers.
    """
    train_artists, held_artists = artist_split(eligible, distances, heldout, seed, positive_distance)
    n_held = max(1, round(n * heldout))
    train = triplets_from_graph(
        artists, train_artists, distances, n - n_held, negatives, seed, positive_distance
    )
    held = triplets_from_graph(
        artists, held_artists, distances, n_held, negatives, seed + 1, positive_distance
    )
    art = np.asarray([str(a) for a in artists])

    def used(t: pd.DataFrame) -> set[str]:
        idx = (
            list(t["anchor"]) + list(t["positive"]) + [int(v) for s in t["negatives"] for v in str(s).split()]
        )
        return set(art[idx]) if idx else set()

    info = {
        "train_artists": len(train_artists),
        "heldout_artists": len(held_artists),
        "train_triplets": len(train),
        "heldout_triplets": len(held),
        "artists_in_both": len(used(train) & used(held)),
        "heldout_anchor_artists": sorted(set(art[held["anchor"].to_numpy(int)])) if len(held) else [],
    }
    return train, held, info


def save_triplets(triplets: pd.DataFrame, path: str | Path, table: pd.DataFrame) -> Path:
    """Write triplets by painting **path** (``anchor_path, positive_path, negative_paths``, ``|``-joined).

    Paths, not row numbers: a row index changes as soon as the collection does, a path does not.
    """
    paths = table["path"].astype(str).to_numpy()
    out = pd.DataFrame(
        {
            "anchor_path": paths[triplets["anchor"].to_numpy(int)],
            "positive_path": paths[triplets["positive"].to_numpy(int)],
            "negative_paths": [
                "|".join(paths[[int(v) for v in str(s).split()]]) for s in triplets["negatives"]
            ],
        }
    )
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False)
    return Path(path)


def load_triplets(path: str | Path, table: pd.DataFrame) -> pd.DataFrame:
    """Read a path-based triplet CSV back to collection indices; rows naming a painting that is not in
    ``table`` are dropped (with a note), and negatives may differ in number per row."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"anchor_path", "positive_path", "negative_paths"} - set(df.columns)
    if missing:
        raise ValueError(
            f"{path} lacks columns {sorted(missing)}; expected anchor_path,positive_path,negative_paths."
        )
    row_of = {p: i for i, p in enumerate(table["path"].astype(str))}
    rows, dropped = [], 0
    for a, p, negs in df[["anchor_path", "positive_path", "negative_paths"]].itertuples(index=False):
        parts = [x for x in str(negs).split("|") if x]
        if a not in row_of or p not in row_of or not parts or any(x not in row_of for x in parts):
            dropped += 1
            continue
        rows.append(
            {"anchor": row_of[a], "positive": row_of[p], "negatives": " ".join(str(row_of[x]) for x in parts)}
        )
    if dropped:
        print(f"Note: {dropped} triplet(s) in {path} name paintings not in this collection; skipped.")
    return pd.DataFrame(rows, columns=TRIPLET_COLUMNS)


def negative_matrix(triplets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(T, K) negative indices and a (T, K) mask: rows may hold different numbers of negatives
    (an annotator round with fewer candidates), padded with the row's first negative, masked out."""
    lists = [[int(v) for v in str(s).split()] for s in triplets["negatives"]]
    width = max((len(x) for x in lists), default=0)
    if any(not x for x in lists):
        raise ValueError("Every triplet needs at least one negative.")
    idx = np.array([x + [x[0]] * (width - len(x)) for x in lists], dtype=int).reshape(len(lists), width)
    mask = np.array([[j < len(x) for j in range(width)] for x in lists], dtype=bool).reshape(
        len(lists), width
    )
    return idx, mask
