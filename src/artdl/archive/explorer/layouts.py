"""2-D layouts of a collection for the explorer: UMAP, t-SNE, a snapped grid and a timeline.

Every layout is an (N, 2) float array in the unit square (x right, y down, aspect kept) plus a
point size in the same units, so the page can animate between any two of them by interpolating
positions. UMAP and t-SNE are 03's and 05's map helper (:mod:`artdl.autoencode.projection`) with
the explorer's options: cosine geometry, and above ``sample`` paintings a fit on a random sample
with every other painting placed at the similarity-weighted mean of its nearest sampled
neighbours (a landmark embedding): minutes become seconds and the map keeps its structure, at
the cost of exactness for the non-sampled points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from artdl.autoencode import MapSettings, project_2d

__all__ = [
    "LAYOUTS",
    "compute_layouts",
    "grid_layout",
    "grid_shape",
    "map_settings",
    "normalize_layout",
    "snap_grid",
    "timeline_layout",
]

LAYOUTS = ("umap", "tsne", "grid", "timeline")


def normalize_layout(xy: np.ndarray) -> np.ndarray:
    """Scale to the unit square keeping the aspect ratio, centred; NaN rows stay NaN (reported later)."""
    xy = np.asarray(xy, dtype=np.float64)
    ok = np.isfinite(xy).all(axis=1)
    if not ok.any():
        return np.full_like(xy, np.nan)
    lo, hi = xy[ok].min(axis=0), xy[ok].max(axis=0)
    span = float(max((hi - lo).max(), 1e-12))
    out = (xy - lo) / span
    out += (1 - (hi - lo) / span) / 2
    out[~ok] = np.nan
    return out


def map_settings(seed: int = 0, sample: int = 2000, tsne_iterations: int = 400) -> MapSettings:
    """The explorer's settings of the one map helper (:func:`artdl.autoencode.project_2d`).

    Cosine geometry (unit rows, PCA to 50, UMAP on cosine distances) because CNN and CLIP features
    are compared by angle everywhere else; 200 UMAP epochs and a landmark sample above ``sample``
    paintings, so a map of 10,000 paintings takes seconds on two cores.
    """
    return MapSettings(
        perplexity=30.0, tsne_iterations=tsne_iterations, n_neighbors=15, umap_epochs=200,
        metric="cosine", pca_dims=50, sample=sample, seed=seed,
    )  # fmt: skip


def grid_shape(n: int, aspect: float = 1.0) -> tuple[int, int]:
    """(rows, cols) of the smallest near-square grid with at least ``n`` cells."""
    cols = max(1, math.ceil(math.sqrt(n * aspect)))
    return max(1, math.ceil(n / cols)), cols


def snap_grid(xy: np.ndarray, rows: int, cols: int, exact_max: int = 1024) -> np.ndarray:
    """(row, col) per point, one point per cell: Hungarian (``artdl.archive.head.snap_to_grid``) when small.

    Above ``exact_max`` points the exact assignment (O(N^3), an N x cells cost matrix) gets slow, so
    the grid is split recursively along its longer side, points go to each half by their position
    along that axis in proportion to the half's capacity, and each block of at most ``exact_max``
    points is snapped exactly. Neighbours stay neighbours except across block borders.
    """
    from artdl.archive.arrange import snap_to_grid

    xy = np.asarray(xy, dtype=float)
    if len(xy) > rows * cols:
        raise ValueError(f"{len(xy)} points do not fit a {rows}x{cols} grid.")
    out = np.zeros((len(xy), 2), dtype=int)
    stack = [(np.arange(len(xy)), 0, 0, rows, cols)]
    while stack:
        idx, r0, c0, nr, nc = stack.pop()
        if len(idx) == 0:
            continue
        if len(idx) <= exact_max:
            out[idx] = snap_to_grid(xy[idx], nr, nc) + [r0, c0] if len(idx) > 1 else [r0, c0]
            continue
        split_rows = nr >= nc  # rows run top-down along -y; cols along x
        a = nr // 2 if split_rows else nc // 2
        cap1 = a * nc if split_rows else nr * a
        cap2 = nr * nc - cap1
        n1 = min(cap1, max(len(idx) - cap2, round(len(idx) * cap1 / (nr * nc))))
        key = -xy[idx, 1] if split_rows else xy[idx, 0]
        order = idx[np.argsort(key, kind="stable")]
        if split_rows:
            stack += [(order[:n1], r0, c0, a, nc), (order[n1:], r0 + a, c0, nr - a, nc)]
        else:
            stack += [(order[:n1], r0, c0, nr, a), (order[n1:], r0, c0 + a, nr, nc - a)]
    return out


def grid_layout(xy: np.ndarray, exact_max: int = 1024) -> tuple[np.ndarray, float]:
    """A map snapped to a near-square grid: (positions in the unit square, cell size)."""
    ok = np.isfinite(xy).all(axis=1)
    rows, cols = grid_shape(int(ok.sum()))
    cells = snap_grid(xy[ok], rows, cols, exact_max)
    side = max(rows, cols)
    out = np.full((len(xy), 2), np.nan)
    out[ok] = (cells[:, ::-1] + 0.5) / side  # (col, row) -> (x, y)
    out[ok, 0] += (side - cols) / (2 * side)
    out[ok, 1] += (side - rows) / (2 * side)
    return out, 1.0 / side


def timeline_layout(
    years: Sequence[Any], labels: Sequence[Any], max_bins: int = 60
) -> tuple[np.ndarray, float, dict]:
    """x = year (binned, oldest left), y = label band; paintings of one (year, label) cell stand in stacks.

    A column is as wide as its fullest cell needs, so a year (or the "undated" column at the right,
    where paintings without a year go rather than being lost) with hundreds of paintings does not
    shrink every other painting to a dot. The point size is the largest that fits everything.
    Returns positions, point size and axis info (band names, ticks) for the page.
    """
    years = pd_numeric(years)
    labels = np.asarray(labels).astype(str)
    bands = sorted(set(labels))
    band = np.searchsorted(bands, labels)
    dated = np.isfinite(years)
    lo, hi = (float(years[dated].min()), float(years[dated].max())) if dated.any() else (0.0, 0.0)
    n_bins = int(min(max_bins, hi - lo + 1)) if dated.any() else 0
    width = (hi - lo + 1) / max(n_bins, 1)
    col = np.where(dated, np.floor((np.nan_to_num(years, nan=lo) - lo) / width), n_bins).astype(int)
    n_cols = n_bins + int((~dated).any())
    counts = np.zeros((n_cols, len(bands)), dtype=int)
    np.add.at(counts, (col, band), 1)
    need, ch = counts.max(axis=1), 1.0 / len(bands)

    def layout_width(size: float) -> tuple[float, int, np.ndarray]:
        rows = max(1, int(ch * 0.9 / size))
        sub = np.maximum(1, -(-need // rows))
        return size * (sub.sum() + 0.5 * (n_cols - 1)), rows, sub

    lo_s, hi_s = 1e-6, ch * 0.9
    for _ in range(50):  # the largest point size whose columns fit in the unit width
        mid = (lo_s + hi_s) / 2
        lo_s, hi_s = (mid, hi_s) if layout_width(mid)[0] <= 1 else (lo_s, mid)
    size = lo_s
    _, rows, sub = layout_width(size)
    start = np.concatenate([[0.0], np.cumsum((sub + 0.5) * size)[:-1]])
    out = np.zeros((len(years), 2))
    seen = np.zeros_like(counts)
    for i in np.argsort(np.nan_to_num(years, nan=np.inf), kind="stable"):
        c, b = int(col[i]), int(band[i])
        j = seen[c, b]
        seen[c, b] += 1
        out[i] = (start[c] + (j // rows + 0.5) * size, (b + 1) * ch - 0.05 * ch - (j % rows + 0.5) * size)
    step = max(1, n_bins // 8)
    ticks = [[str(int(lo + k * width)), float(start[k])] for k in range(0, n_bins, step)]
    if (~dated).any():
        ticks.append(["undated", float(start[-1])])
    return out, float(size), {"bands": bands, "band_height": ch, "ticks": ticks}


def pd_numeric(values: Sequence[Any]) -> np.ndarray:
    """Years as floats; anything unparsable becomes NaN (undated)."""
    import pandas as pd

    return pd.to_numeric(pd.Series(list(values)), errors="coerce").to_numpy(dtype=float)


def compute_layouts(
    features: np.ndarray,
    years: Sequence[Any],
    labels: Sequence[Any],
    layouts: Sequence[str] = LAYOUTS,
    seed: int = 0,
    sample: int = 2000,
    exact_grid: int = 1024,
    progress: bool = True,
    tsne_iterations: int = 400,
) -> dict[str, dict[str, Any]]:
    """All requested layouts: ``{name: {"xy": (N, 2), "size": float, ...}}``.

    The grid snaps the UMAP map (else the t-SNE one, made for it if not requested), so its cells
    keep the map's neighbourhoods. UMAP and t-SNE come from the one map helper with the explorer's
    settings (:func:`map_settings`): one shared PCA, the two fitted side by side.
    """
    from tqdm.auto import tqdm

    unknown = set(layouts) - set(LAYOUTS)
    if unknown:
        raise ValueError(f"Unknown layout(s) {sorted(unknown)}; choose from {LAYOUTS}.")
    n = len(features)
    map_size = 0.8 / math.sqrt(max(n, 1))
    maps = [m for m in ("umap", "tsne") if m in layouts] or (["tsne"] if "grid" in layouts else [])
    bar = tqdm(total=len(layouts), desc="layouts", leave=False, disable=not progress)
    out: dict[str, dict[str, Any]] = {}
    if maps:
        fitted = project_2d(features, maps, map_settings(seed, sample, tsne_iterations))
        for m in maps:
            out[m] = {"xy": normalize_layout(fitted[m]), "size": map_size}
            bar.update()
    if "grid" in layouts:
        xy, size = grid_layout(out[maps[0]]["xy"], exact_grid)
        out["grid"] = {"xy": xy, "size": size}
        bar.update()
    if "timeline" in layouts:
        xy, size, info = timeline_layout(years, labels)
        out["timeline"] = {"xy": xy, "size": size, "axes": info}
        bar.update()
    bar.close()
    return {name: out[name] for name in layouts}  # the page's buttons follow the requested order
