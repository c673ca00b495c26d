""" "Training the Archive": a projection head that learns a curator's triplets, and its rank metrics.

The curator-driven part: a curator says "for this anchor painting, this one is closer than those",
we store that as (anchor, positive, negatives) triplets in a CSV, and a small residual projection
head on top of frozen embeddings learns to agree with the curator (triplet loss on cosine
similarity). Mean rank of the positive among the candidates on held-out triplets shows whether it
learned something that generalises.

The other "Training the Archive" tools live beside it in :mod:`artdl.archive`: triplets
(:mod:`artdl.archive.triplets`), the annotator widget (:mod:`artdl.archive.annotate`), latent walks
and grid snapping (:mod:`artdl.archive.arrange`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from artdl.archive.triplets import (
    negative_matrix,
)
from artdl.core import StatsConfig

__all__ = [
    "ProjectionHead",
    "chance_rank",
    "clustered_se",
    "mean_positive_rank",
    "positive_ranks",
    "rank_report",
    "rank_results",
    "project",
    "train_projection_head",
]


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
    neg, mask = negative_matrix(triplets)
    n = z[torch.as_tensor(neg)]
    sp = (a * p).sum(-1, keepdim=True)
    sn = torch.einsum("bd,bkd->bk", a, n)
    return (1 + ((sn > sp) & torch.as_tensor(mask)).sum(1)).numpy()


def mean_positive_rank(features: np.ndarray | torch.Tensor, triplets: pd.DataFrame) -> float:
    """Mean of :func:`positive_ranks` (1 = perfect; chance is :func:`chance_rank`)."""
    return float(positive_ranks(features, triplets).mean())


def clustered_se(values: np.ndarray, clusters: np.ndarray | None = None) -> float:
    """Standard error of the mean of ``values`` when the samples of one cluster are not independent.

    The cluster-robust (CR1) estimate: sqrt(G / (G - 1) * sum over clusters of (sum of deviations)^2) / n.
    180 held-out triplets drawn around 8 anchor artists are closer to 8 samples than to 180: a head
    that suits one artist moves all of that artist's triplets together. With every sample its own
    cluster (``clusters=None``) this is the usual ``std(ddof=1) / sqrt(n)``.
    """
    x = np.asarray(values, dtype=np.float64)
    groups = np.arange(len(x)) if clusters is None else pd.factorize(np.asarray(clusters))[0]
    g = int(groups.max()) + 1 if len(x) else 0
    if g < 2:
        return float("nan")
    sums = np.bincount(groups, weights=x - x.mean(), minlength=g)
    return float(np.sqrt(g / (g - 1) * np.sum(sums**2)) / len(x))


def rank_report(
    before: np.ndarray,
    after: np.ndarray,
    triplets: pd.DataFrame,
    clusters: np.ndarray | None = None,
    clustered_by: str = "triplet",
    stats: StatsConfig | None = None,
) -> dict[str, float | int | str]:
    """Mean rank before/after a head with standard errors, and the paired standard error of the change.

    ``clusters`` (one id per triplet, e.g. the anchor's artist) makes the errors cluster-robust
    (:func:`clustered_se`), and ``critical`` is the t quantile with clusters - 1 degrees of freedom
    at ``stats.level`` (the config's ``stats.confidence``), so ``value ± critical * se`` is
    that interval: at 95% about ± 2 SE for hundreds of independent triplets, ± 2.36 SE for 8 anchor
    artists.
    """
    from scipy.stats import t as student_t

    level = (stats or StatsConfig()).level
    rb, ra = positive_ranks(before, triplets), positive_ranks(after, triplets)
    groups = np.arange(len(rb)) if clusters is None else np.asarray(clusters)
    g = len(np.unique(groups))
    return {
        "triplets": len(rb),
        "before": float(rb.mean()),
        "after": float(ra.mean()),
        "before_se": clustered_se(rb, groups),
        "after_se": clustered_se(ra, groups),
        "change_se": clustered_se(ra - rb, groups),
        "chance": chance_rank(triplets),
        "clusters": g,
        "clustered_by": clustered_by,
        "critical": float(student_t.ppf(1 - (1 - level) / 2, g - 1)) if g > 1 else float("nan"),
        "confidence": level,
    }


def rank_results(
    before: np.ndarray,
    after: np.ndarray,
    cluster_of: np.ndarray,
    clustered_by: str,
    stats: StatsConfig | None = None,
    **parts: pd.DataFrame,
) -> dict[str, dict[str, float | int | str]]:
    """:func:`rank_report` of each named set of triplets (``train=..., heldout=...``), each triplet
    clustered by ``cluster_of[anchor]`` (e.g. the collection's artist column: one cluster per anchor
    artist), its intervals at ``stats``'s level."""
    cluster_of = np.asarray(cluster_of)
    return {
        name: rank_report(before, after, t, cluster_of[t["anchor"].to_numpy()], clustered_by, stats)
        for name, t in parts.items()
    }


def chance_rank(triplets: pd.DataFrame) -> float:
    """Expected mean rank of the positive under a random ordering: mean of (negatives + 2) / 2."""
    _, mask = negative_matrix(triplets)
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
    neg, mask = negative_matrix(triplets)
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
