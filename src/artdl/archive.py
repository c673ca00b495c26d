""" "Training the Archive" tools: latent walks, grid layouts, clustering, curator-driven similarity.

The curator part learns a small residual projection head on top of frozen embeddings from
(anchor, positive, negatives) triplets, so "similar" can follow a curator's judgement instead of
whatever the embedding happened to learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from artdl.retrieval import normalise
from artdl.utils import atomic_path

__all__ = [
    "latent_walk",
    "grid_snap",
    "linkage",
    "ProjectionHead",
    "triplets_from_labels",
    "save_triplets",
    "read_triplets",
    "triplet_cosine_loss",
    "train_projection",
    "positive_ranks",
    "annotator",
]


def latent_walk(emb: Any, start: int, end: int, steps: int = 8) -> list[int]:
    """Interpolate linearly between two items' embeddings; at each step take the nearest unused item.

    The result starts at ``start`` and ends at ``end`` and never repeats an image, so it reads as a
    visual path through the collection.
    """
    e = normalise(emb)
    used = {start, end}
    path = [start]
    for t in np.linspace(0, 1, steps)[1:-1]:
        point = (1 - t) * e[start] + t * e[end]
        sim = e @ (point / point.norm().clamp_min(1e-12))
        sim[list(used)] = float("-inf")
        j = int(torch.argmax(sim))
        used.add(j)
        path.append(j)
    return [*path, end]


def grid_snap(xy: Any, nrows: int, ncols: int) -> np.ndarray:
    """Assign 2-D points to distinct cells of an ``nrows x ncols`` grid minimising squared distance.

    Points are rescaled to the grid's extent, then the Hungarian method
    (``scipy.optimize.linear_sum_assignment``) gives each point its own cell: one image per cell.
    Returns (N, 2) integer (row, col) cells. Needs N <= nrows * ncols.
    """
    from scipy.optimize import linear_sum_assignment

    xy = np.asarray(xy, dtype=float)
    if len(xy) > nrows * ncols:
        raise ValueError(f"{len(xy)} points do not fit in a {nrows}x{ncols} grid")
    lo, hi = xy.min(0), xy.max(0)
    unit = (xy - lo) / np.where(hi - lo > 0, hi - lo, 1.0)
    rr, cc = np.meshgrid(np.linspace(0, 1, nrows), np.linspace(0, 1, ncols), indexing="ij")
    cells = np.stack([cc.ravel(), 1 - rr.ravel()], 1)  # x -> column, y -> row (top = high y)
    cost = ((unit[:, None, :] - cells[None, :, :]) ** 2).sum(-1)
    rows, cols = linear_sum_assignment(cost)
    out = np.zeros((len(xy), 2), dtype=int)
    out[rows] = np.stack(np.divmod(cols, ncols), 1)
    return out


def linkage(emb: Any, method: str = "average") -> np.ndarray:
    """Hierarchical clustering (scipy) on cosine distances of the embeddings."""
    from scipy.cluster.hierarchy import linkage as _linkage

    return _linkage(normalise(emb).numpy().astype(np.float64), method=method, metric="cosine")


class ProjectionHead(nn.Module):
    """x + MLP(x): starts close to the identity (last layer zero-initialised) so training can only
    improve on the original embedding's notion of similarity rather than start from scratch."""

    def __init__(self, dim: int, hidden: int = 256) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.normalize(x, dim=-1)
        return nn.functional.normalize(x + self.mlp(x), dim=-1)


def triplets_from_labels(
    labels: Sequence[Any], n: int = 200, n_negatives: int = 5, seed: int = 0
) -> pd.DataFrame:
    """Stand-in curator annotations: positive shares the anchor's label, negatives do not.

    Columns: anchor, positive, negatives (item indices; negatives joined by ';').
    """
    rng = np.random.default_rng(seed)
    labels = np.asarray([str(x) for x in labels])
    groups = {lab: np.flatnonzero(labels == lab) for lab in np.unique(labels)}
    anchors = [i for i in range(len(labels)) if len(groups[labels[i]]) > 1]
    rows = []
    for a in rng.choice(anchors, size=min(n, len(anchors)), replace=False):
        pos = rng.choice([j for j in groups[labels[a]] if j != a])
        neg = rng.choice(np.flatnonzero(labels != labels[a]), size=n_negatives, replace=False)
        rows.append({"anchor": int(a), "positive": int(pos), "negatives": ";".join(map(str, neg))})
    return pd.DataFrame(rows)


def save_triplets(triplets: pd.DataFrame, path: str | Path, table: pd.DataFrame | None = None) -> Path:
    """Write triplets atomically; with ``table`` also write the image paths so a CSV stays readable."""
    out = triplets.copy()
    if table is not None:
        paths = table["path"].astype(str).to_numpy()
        out["anchor_path"] = paths[out["anchor"]]
        out["positive_path"] = paths[out["positive"]]
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False)
    return Path(path)


def read_triplets(path: str | Path) -> pd.DataFrame:
    """Read a triplet CSV (anchor, positive, negatives) with a clear error for a bad file."""
    t = pd.read_csv(path, dtype={"negatives": str})
    missing = {"anchor", "positive", "negatives"} - set(t.columns)
    if missing:
        raise ValueError(f"{path}: triplet CSV needs columns anchor, positive, negatives; missing {missing}")
    return t


def _arrays(triplets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    neg = np.array([[int(x) for x in str(s).split(";")] for s in triplets["negatives"]])
    return triplets["anchor"].to_numpy(int).copy(), triplets["positive"].to_numpy(int).copy(), neg


def triplet_cosine_loss(
    a: torch.Tensor, p: torch.Tensor, n: torch.Tensor, margin: float = 0.2
) -> torch.Tensor:
    """mean relu(margin - cos(a, p) + cos(a, n)) over all negatives; inputs are unit vectors, n is (B, K, D)."""
    pos = (a * p).sum(-1, keepdim=True)
    neg = torch.einsum("bd,bkd->bk", a, n)
    return torch.relu(margin - pos + neg).mean()


def train_projection(
    emb: Any,
    triplets: pd.DataFrame,
    epochs: int = 50,
    lr: float = 1e-3,
    margin: float = 0.2,
    hidden: int = 256,
    seed: int = 0,
) -> tuple[ProjectionHead, list[float]]:
    """Fit a :class:`ProjectionHead` on frozen embeddings with the triplet cosine loss (full batch)."""
    torch.manual_seed(seed)
    e = normalise(emb)
    a, p, n = _arrays(triplets)
    head = ProjectionHead(e.shape[1], hidden)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=1e-4)
    history = []
    for _ in tqdm(range(epochs), desc="projection head", leave=False):
        z = head(e)
        loss = triplet_cosine_loss(z[a], z[p], z[torch.as_tensor(n)], margin)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    return head.eval(), history


@torch.no_grad()
def positive_ranks(emb: Any, triplets: pd.DataFrame, head: ProjectionHead | None = None) -> np.ndarray:
    """Rank (1 = best) of the positive among positive + negatives by cosine to the anchor."""
    e = normalise(emb)
    if head is not None:
        e = head(e)
    a, p, n = _arrays(triplets)
    pos = (e[a] * e[p]).sum(-1)
    neg = torch.einsum("bd,bkd->bk", e[a], e[torch.as_tensor(n)])
    return (1 + (neg > pos[:, None]).sum(1)).numpy()


def annotator(
    table: pd.DataFrame,
    candidates: int = 4,
    out_csv: str | Path = "data/processed/curator_triplets.csv",
    seed: int = 0,
) -> Any:
    """A small ipywidgets annotator: shows an anchor and candidates; the curator picks the most similar.

    Each click appends (anchor, chosen positive, the other candidates as negatives) to ``out_csv``.
    """
    import io

    import ipywidgets as w

    from artdl.paths import resolve
    from artdl.viz import thumbnail

    rng = np.random.default_rng(seed)
    out_csv = resolve(out_csv)
    state: dict[str, Any] = {}

    def img(i: int) -> Any:
        buf = io.BytesIO()
        thumbnail(table["path"].iloc[i], 160).save(buf, format="PNG")
        return w.Image(value=buf.getvalue(), width=160)

    box = w.VBox()

    def new_round(*_: Any) -> None:
        idx = rng.choice(len(table), size=candidates + 1, replace=False)
        state["anchor"], state["cands"] = int(idx[0]), [int(i) for i in idx[1:]]
        buttons = []
        for c in state["cands"]:
            b = w.Button(description=f"most similar: #{c}")
            b.on_click(lambda _b, c=c: choose(c))
            buttons.append(w.VBox([img(c), b]))
        box.children = [w.HTML("<b>Anchor</b>"), img(state["anchor"]), w.HBox(buttons)]

    def choose(c: int) -> None:
        row = {
            "anchor": state["anchor"],
            "positive": c,
            "negatives": ";".join(str(x) for x in state["cands"] if x != c),
        }
        out_csv.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame([row]).to_csv(out_csv, mode="a", header=not out_csv.exists(), index=False)
        new_round()

    new_round()
    return box
