"""Arranging paintings by their embeddings: a latent walk between two, a 2-D map snapped to a grid.

Both are ways to *look* at an embedding rather than measure it: a walk shows what lies between two
paintings, a grid shows a map's neighbourhoods without overlapping thumbnails (05, the explorer).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

__all__ = ["latent_walk", "snap_to_grid"]


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
