""" "Training the Archive" tools: latent walks, grid snapping, curator triplets and a projection head.

The curator-driven part: a curator says "for this anchor painting, this one is closer than those",
we store that as (anchor, positive, negatives) triplets in a CSV, and a small residual projection
head on top of frozen embeddings learns to agree with the curator (triplet loss on cosine
similarity). Mean rank of the positive among the candidates on held-out triplets shows whether it
learned something that generalises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from artdl.utils import atomic_path

__all__ = [
    "TRIPLET_COLUMNS",
    "ProjectionHead",
    "annotation_row",
    "annotator",
    "annotator_candidates",
    "artist_split",
    "chance_rank",
    "graph_triplet_split",
    "split_by_anchor",
    "triplets_from_graph",
    "latent_walk",
    "load_triplets",
    "mean_positive_rank",
    "positive_ranks",
    "rank_report",
    "project",
    "save_triplets",
    "snap_to_grid",
    "train_projection_head",
    "triplets_from_labels",
]


TRIPLET_COLUMNS = ["anchor", "positive", "negatives"]


def latent_walk(features: np.ndarray, start: int, end: int, steps: int = 8) -> list[int]:
    """Walk from painting ``start`` to ``end``: at each interpolation step take the nearest unused painting.

    Interpolates linearly between the two (normalised) embeddings; ``steps`` intermediate points.
    Returns collection indices, beginning with ``start`` and ending with ``end``, without repeats.
    """
    z = F.normalize(torch.as_tensor(features).float(), dim=1)
    path, used = [start], {start, end}
    for t in np.linspace(0, 1, steps + 2)[1:-1]:
        point = F.normalize((1 - t) * z[start] + t * z[end], dim=0)
        sims = z @ point
        sims[list(used)] = -float("inf")
        nxt = int(torch.argmax(sims))
        path.append(nxt)
        used.add(nxt)
    path.append(end)
    return path


def snap_to_grid(xy: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Assign 2-D points to cells of a rows x cols grid, one point per cell (Hungarian method).

    The map is scaled to the grid's extent and ``scipy.optimize.linear_sum_assignment`` minimises
    the total squared displacement, so neighbours on the map stay neighbours on the grid. Returns
    (N, 2) integer (row, col) per point; needs N <= rows * cols.
    """
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    xy = np.asarray(xy, dtype=float)
    if len(xy) > rows * cols:
        raise ValueError(f"{len(xy)} points do not fit a {rows}x{cols} grid.")
    span = np.ptp(xy, axis=0)
    unit = (xy - xy.min(axis=0)) / np.where(span > 0, span, 1)
    cells = np.array([(r, c) for r in range(rows) for c in range(cols)], dtype=float)
    target = np.stack([cells[:, 0] / max(rows - 1, 1), cells[:, 1] / max(cols - 1, 1)], axis=1)
    # point (x, y) -> (row from y top-down, col from x)
    pts = np.stack([1 - unit[:, 1], unit[:, 0]], axis=1)
    _, assigned = linear_sum_assignment(cdist(pts, target, "sqeuclidean"))
    return cells[assigned].astype(int)


# --------------------------------------------------------------------------------------------
# Triplets: in memory, rows of collection indices; on disk, paintings' paths
# --------------------------------------------------------------------------------------------
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


def _neg_matrix(triplets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
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


class ProjectionHead(nn.Module):
    """x + MLP(x), then a linear map: starts close to the identity so training only bends the space.

    The residual form matters with few annotations: an untrained head keeps the original
    neighbourhoods, and the triplet loss only moves what the curator disagreed with.
    """

    def __init__(self, dim: int, hidden: int = 128) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))
        nn.init.zeros_(self.mlp[2].weight)
        nn.init.zeros_(self.mlp[2].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(x + self.mlp(x), dim=-1)


def positive_ranks(features: np.ndarray | torch.Tensor, triplets: pd.DataFrame) -> np.ndarray:
    """Rank (1 = best) of each triplet's positive among {positive} + its negatives, by cosine to the anchor."""
    z = F.normalize(torch.as_tensor(features).float(), dim=1)
    a, p = z[torch.tensor(triplets["anchor"].to_numpy())], z[torch.tensor(triplets["positive"].to_numpy())]
    neg, mask = _neg_matrix(triplets)
    n = z[torch.as_tensor(neg)]
    sp = (a * p).sum(-1, keepdim=True)
    sn = torch.einsum("bd,bkd->bk", a, n)
    return (1 + ((sn > sp) & torch.as_tensor(mask)).sum(1)).numpy()


def mean_positive_rank(features: np.ndarray | torch.Tensor, triplets: pd.DataFrame) -> float:
    """Mean of :func:`positive_ranks` (1 = perfect; chance is :func:`chance_rank`)."""
    return float(positive_ranks(features, triplets).mean())


def rank_report(before: np.ndarray, after: np.ndarray, triplets: pd.DataFrame) -> dict[str, float]:
    """Mean rank before/after a head with standard errors, and the paired standard error of the change.

    With a couple of hundred triplets a mean rank moves by ~0.1 by chance alone; the errors say
    whether a difference is more than that.
    """
    rb, ra = positive_ranks(before, triplets), positive_ranks(after, triplets)
    n = max(len(rb), 1)
    se = lambda x: float(np.std(x, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")  # noqa: E731
    return {
        "triplets": len(rb),
        "before": float(rb.mean()),
        "after": float(ra.mean()),
        "before_se": se(rb),
        "after_se": se(ra),
        "change_se": se(ra - rb),
        "chance": chance_rank(triplets),
    }


def chance_rank(triplets: pd.DataFrame) -> float:
    """Expected mean rank of the positive under a random ordering: mean of (negatives + 2) / 2."""
    _, mask = _neg_matrix(triplets)
    return float(((mask.sum(1) + 2) / 2).mean())


def train_projection_head(
    features: np.ndarray,
    triplets: pd.DataFrame,
    epochs: int = 30,
    lr: float = 1e-3,
    hidden: int = 128,
    margin: float = 0.2,
    batch_size: int = 64,
    seed: int = 0,
) -> tuple[ProjectionHead, list[float]]:
    """Fit a :class:`ProjectionHead` with a triplet loss on cosine similarity (all negatives per anchor).

    loss = mean over negatives of max(0, margin - cos(a, p) + cos(a, n)). Inputs are normalised first
    so the head sees the same geometry as retrieval. Returns the head and the per-epoch loss.
    """
    torch.manual_seed(seed)
    x = F.normalize(torch.as_tensor(features).float(), dim=1)
    head = ProjectionHead(x.shape[1], hidden)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=1e-4)
    a_idx = torch.tensor(triplets["anchor"].to_numpy())
    p_idx = torch.tensor(triplets["positive"].to_numpy())
    neg, mask = _neg_matrix(triplets)
    n_idx, n_mask = torch.as_tensor(neg), torch.as_tensor(mask).float()
    history = []
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(a_idx), generator=gen)
        total = 0.0
        for i in range(0, len(order), batch_size):
            b = order[i : i + batch_size]
            a, p, n = head(x[a_idx[b]]), head(x[p_idx[b]]), head(x[n_idx[b]])
            sp = (a * p).sum(-1, keepdim=True)
            sn = torch.einsum("bd,bkd->bk", a, n)
            m = n_mask[b]
            loss = (F.relu(margin - sp + sn) * m).sum() / m.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(b)
        history.append(total / len(order))
    head.eval()
    return head, history


@torch.no_grad()
def project(head: ProjectionHead, features: np.ndarray) -> np.ndarray:
    """Apply a trained head to (N, D) embeddings."""
    return head(F.normalize(torch.as_tensor(features).float(), dim=1)).numpy()


def annotator_candidates(
    features: np.ndarray, anchor: int, candidates: int, rng: np.random.Generator
) -> list[int]:
    """One annotator round's candidates: half nearest, half random; distinct and never the anchor."""
    from artdl.retrieval import cosine_topk

    if candidates >= len(features):
        raise ValueError(f"{candidates} candidates need a collection of more than {candidates} paintings.")
    n_near = candidates // 2
    near, _ = cosine_topk(features[anchor : anchor + 1], features, n_near + 1)
    pool = [int(i) for i in near[0] if int(i) != anchor][:n_near]
    rest = np.setdiff1d(np.arange(len(features)), pool + [anchor])
    pool += [int(i) for i in rng.choice(rest, size=candidates - len(pool), replace=False)]
    return pool


def annotator(
    table: pd.DataFrame, features: np.ndarray, out_csv: str | Path, candidates: int = 6, seed: int = 0
) -> Any:
    """A small ipywidgets annotator: pick which candidate is closest to the anchor; saves triplets.

    Shows a random anchor and ``candidates`` distinct paintings (:func:`annotator_candidates`);
    clicking one makes it the positive and the others negatives, appended to ``out_csv`` by path
    (the format :func:`load_triplets` reads). Needs a live Jupyter kernel.
    """
    import io

    import ipywidgets as W
    from PIL import ImageOps

    from artdl.data import load_image

    rng = np.random.default_rng(seed)
    out_csv = Path(out_csv)
    paths = table["path"].astype(str).to_numpy()
    state: dict[str, Any] = {}

    def png(i: int) -> bytes:
        buf = io.BytesIO()
        ImageOps.contain(load_image(paths[i]), (160, 160)).save(buf, "PNG")
        return buf.getvalue()

    box = W.VBox()

    def new_round(*_: Any) -> None:
        a = int(rng.integers(len(table)))
        pool = annotator_candidates(features, a, candidates, rng)
        state.update(anchor=a, pool=pool)
        buttons = []
        for i in pool:
            btn = W.Button(description=str(table["title"].iloc[i])[:18], layout=W.Layout(width="170px"))
            btn.on_click(lambda _b, i=i: choose(i))
            buttons.append(W.VBox([W.Image(value=png(i), width=160), btn]))
        box.children = [
            W.HTML("<b>Anchor</b> - click the closest painting"),
            W.Image(value=png(a), width=200),
            W.HBox(buttons),
        ]

    def choose(pos: int) -> None:
        row = annotation_row(paths, state["anchor"], pos, state["pool"])
        pd.DataFrame([row]).to_csv(out_csv, mode="a", header=not out_csv.is_file(), index=False)
        new_round()

    new_round()
    return box


def annotation_row(paths: Sequence[str], anchor: int, positive: int, pool: Sequence[int]) -> dict[str, str]:
    """One annotator click as a path-based triplet row (the other candidates become negatives)."""
    negs = [paths[i] for i in pool if i != positive and i != anchor]
    return {"anchor_path": paths[anchor], "positive_path": paths[positive], "negative_paths": "|".join(negs)}
