""" "Training the Archive" tools: latent walks, grid snapping, curator triplets and a projection head.

The curator-driven part: a curator says "for this anchor painting, this one is closer than those",
we store that as (anchor, positive, negatives) triplets in a CSV, and a small residual projection
head on top of frozen embeddings learns to agree with the curator (triplet loss on cosine
similarity). Mean rank of the positive among the candidates on held-out triplets shows whether it
learned something that generalises.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from artdl.utils import atomic_path

__all__ = [
    "ProjectionHead",
    "annotator",
    "latent_walk",
    "load_triplets",
    "mean_positive_rank",
    "project",
    "save_triplets",
    "snap_to_grid",
    "train_projection_head",
    "triplets_from_labels",
]


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
# Curator triplets
# --------------------------------------------------------------------------------------------
def triplets_from_labels(
    labels: Sequence[Any],
    n: int = 600,
    negatives: int = 5,
    seed: int = 0,
    valid: Sequence[bool] | None = None,
) -> pd.DataFrame:
    """Stand-in curator annotations: positive shares the anchor's label, negatives do not.

    Columns ``anchor, positive, negatives`` (indices; negatives as a space-separated string, the
    format the annotator writes). Real curators replace this with their own judgements.
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
    return pd.DataFrame(rows)


def save_triplets(triplets: pd.DataFrame, path: str | Path, table: pd.DataFrame | None = None) -> Path:
    """Write triplets as CSV (with the paintings' paths when ``table`` is given, for human reading)."""
    out = triplets.copy()
    if table is not None:
        out["anchor_path"] = table["path"].to_numpy()[out["anchor"]]
        out["positive_path"] = table["path"].to_numpy()[out["positive"]]
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False)
    return Path(path)


def load_triplets(path: str | Path) -> pd.DataFrame:
    """Read a triplet CSV (columns anchor, positive, negatives)."""
    df = pd.read_csv(path, dtype={"negatives": str})
    missing = {"anchor", "positive", "negatives"} - set(df.columns)
    if missing:
        raise ValueError(f"{path} lacks columns {sorted(missing)}; expected anchor,positive,negatives.")
    return df


def _neg_matrix(triplets: pd.DataFrame) -> np.ndarray:
    return np.array([[int(v) for v in str(s).split()] for s in triplets["negatives"]], dtype=int)


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


def mean_positive_rank(features: np.ndarray | torch.Tensor, triplets: pd.DataFrame) -> float:
    """Mean rank (1 = best) of the positive among {positive} + negatives by cosine to the anchor."""
    z = F.normalize(torch.as_tensor(features).float(), dim=1)
    a, p = z[torch.tensor(triplets["anchor"].to_numpy())], z[torch.tensor(triplets["positive"].to_numpy())]
    n = z[torch.as_tensor(_neg_matrix(triplets))]
    sp = (a * p).sum(-1, keepdim=True)
    sn = torch.einsum("bd,bkd->bk", a, n)
    return float((1 + (sn > sp).sum(1)).float().mean())


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
    n_idx = torch.as_tensor(_neg_matrix(triplets))
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
            loss = F.relu(margin - sp + sn).mean()
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


def annotator(
    table: pd.DataFrame, features: np.ndarray, out_csv: str | Path, candidates: int = 6, seed: int = 0
) -> Any:
    """A small ipywidgets annotator: pick which candidate is closest to the anchor; saves triplets.

    Shows a random anchor and ``candidates`` paintings (half near, half random); clicking one makes
    it the positive and the others negatives, appended to ``out_csv``. Needs a live Jupyter kernel.
    """
    import io

    import ipywidgets as W

    from artdl.retrieval import cosine_topk
    from artdl.viz import thumbnail

    rng = np.random.default_rng(seed)
    out_csv = Path(out_csv)
    state: dict[str, Any] = {}

    def png(i: int) -> bytes:
        buf = io.BytesIO()
        thumbnail(table["path"].iloc[i], 160).save(buf, "PNG")
        return buf.getvalue()

    box = W.VBox()

    def new_round(*_: Any) -> None:
        a = int(rng.integers(len(table)))
        near, _s = cosine_topk(features[a : a + 1], features, candidates // 2 + 1)
        pool = [int(i) for i in near[0] if i != a][: candidates // 2]
        pool += [int(i) for i in rng.choice(len(table), candidates - len(pool), replace=False) if i != a]
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
        negs = " ".join(str(i) for i in state["pool"] if i != pos)
        row = pd.DataFrame([{"anchor": state["anchor"], "positive": pos, "negatives": negs}])
        row.to_csv(out_csv, mode="a", header=not out_csv.is_file(), index=False)
        new_round()

    new_round()
    return box
