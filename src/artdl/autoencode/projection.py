"""2-D maps of an embedding: t-SNE and UMAP with the settings artdl uses everywhere.

03 (autoencoder codes), 05 (the archive maps) and the collection explorer draw the same kind of
map, so one module fits them all: perplexity, initialisation and seeding stay the same, and a map
in one notebook can be compared with the map of the same codes in another. The explorer's speed
tricks are options of the same functions (:class:`MapSettings`):

- ``pca_dims``: rows to unit length, then PCA: both methods are faster and no worse on 1280-d CNN
  features;
- ``metric="cosine"``: UMAP on cosine distances, given precomputed below 4,096 rows, where
  umap-learn's exact-neighbour path would loop over the pairs in Python;
- ``sample``: fit on a random sample and place every other row at the similarity-weighted mean of
  its nearest sampled rows (a landmark embedding): minutes become seconds at 10,000+ paintings;
- umap-learn's numba kernels cached on disk (``cache_kernels``), and :func:`project_2d` fitting
  both methods side by side, each on one BLAS / OpenMP thread.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PROJECTION_METHODS", "MapSettings", "project_2d", "tsne_2d", "umap_2d"]

PROJECTION_METHODS = ("umap", "tsne")
PRECOMPUTED_BELOW = 4096  # rows under which UMAP gets the exact cosine distance matrix


@dataclass(frozen=True)
class MapSettings:
    """How a 2-D map is fitted; the defaults are 03's (plain features, every row fitted)."""

    perplexity: float = 30.0  # t-SNE; capped below the number of rows
    tsne_iterations: int = 1000  # scikit-learn's minimum, 250, is enforced
    n_neighbors: int = 15  # UMAP
    umap_epochs: int | None = None  # None: umap-learn's own choice (200 above 10,000 rows, else 500)
    metric: str = "euclidean"  # UMAP: "euclidean" or "cosine"
    pca_dims: int = 0  # > 0: unit-length rows, then PCA to this many dimensions
    sample: int = 0  # > 0: fit on at most this many rows, place the rest by their nearest sampled rows
    seed: int = 0
    cache_kernels: bool = True  # keep umap-learn's compiled numba kernels on disk between processes


def tsne_2d(
    x: np.ndarray, perplexity: float = 30.0, iterations: int = 1000, seed: int = 0, sample: int = 0
) -> np.ndarray:
    """t-SNE (scikit-learn, PCA initialisation) of ``x`` (n, d) to (n, 2).

    The perplexity is capped below ``n``, which scikit-learn requires, so small collections work.
    """
    settings = MapSettings(perplexity=perplexity, tsne_iterations=iterations, seed=seed, sample=sample)
    return project_2d(x, ["tsne"], settings)["tsne"]


def umap_2d(x: np.ndarray, n_neighbors: int = 15, seed: int = 0, metric: str = "euclidean") -> np.ndarray:
    """UMAP (umap-learn) of ``x`` (n, d) to (n, 2); keeps more of the global layout than t-SNE."""
    return project_2d(x, ["umap"], MapSettings(n_neighbors=n_neighbors, seed=seed, metric=metric))["umap"]


def project_2d(
    x: np.ndarray, methods: Sequence[str], settings: MapSettings = MapSettings()
) -> dict[str, np.ndarray]:
    """``{method: (n, 2) map}`` of ``x`` for each of ``methods`` (``umap``, ``tsne``), in that order.

    The features are prepared once (``pca_dims``) and shared. Two methods are fitted side by side in
    two threads, each with one BLAS / OpenMP thread: two independent fits keep two cores busy
    without the per-step barriers that made a shared, busy machine run the multi-threaded fits 3x
    slower than single-threaded ones.
    """
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    unknown = [m for m in methods if m not in PROJECTION_METHODS]
    if unknown:
        raise ValueError(f"Unknown map method(s) {unknown}; choose from {PROJECTION_METHODS}.")
    if settings.metric not in ("euclidean", "cosine"):
        raise ValueError(f"metric={settings.metric!r}; choose euclidean or cosine.")
    x = np.asarray(x, dtype=np.float32)
    if len(x) < 3:
        raise ValueError(f"A 2-D map needs at least 3 points, got {len(x)}.")
    fitters = {"umap": _fit_umap, "tsne": _fit_tsne}
    if len(methods) == 1:
        return {
            methods[0]: _landmark(
                lambda part: fitters[methods[0]](part, settings), _prepare(x, settings), settings
            )
        }

    def fit(method: str, data: np.ndarray) -> np.ndarray:
        with threadpool_limits(1, user_api="openmp"):  # OpenMP's thread count is per calling thread
            return _landmark(lambda part: fitters[method](part, settings), data, settings)

    with threadpool_limits(1):
        data = _prepare(x, settings)
        with ThreadPoolExecutor(len(methods)) as pool:
            futures = {m: pool.submit(fit, m, data) for m in methods}
            return {m: f.result() for m, f in futures.items()}


def _prepare(x: np.ndarray, settings: MapSettings) -> np.ndarray:
    """Unit-length rows and PCA to ``pca_dims`` (when set and smaller than the data)."""
    if settings.pca_dims <= 0:
        return x
    from sklearn.decomposition import PCA

    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    if x.shape[1] <= settings.pca_dims or len(x) <= settings.pca_dims:
        return x
    return PCA(settings.pca_dims, random_state=settings.seed).fit_transform(x).astype(np.float32)


def _landmark(
    fit: Callable[[np.ndarray], np.ndarray], x: np.ndarray, settings: MapSettings, k: int = 5
) -> np.ndarray:
    """Fit on a random sample of ``settings.sample`` rows, place the others by their k nearest sampled rows."""
    if settings.sample <= 0 or len(x) <= settings.sample:
        return fit(x)
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(settings.seed)
    idx = np.sort(rng.choice(len(x), settings.sample, replace=False))
    out = np.empty((len(x), 2), dtype=np.float64)
    out[idx] = fit(x[idx])
    rest = np.setdiff1d(np.arange(len(x)), idx)
    dist, near = (
        NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(x[idx]).kneighbors(x[rest])
    )
    w = np.maximum(1 - dist, 0) + 1e-6  # cosine similarity, negatives as "not similar"
    out[rest] = (out[idx][near] * w[..., None]).sum(axis=1) / w.sum(axis=1, keepdims=True)
    return out


def _fit_tsne(x: np.ndarray, settings: MapSettings) -> np.ndarray:
    from sklearn.manifold import TSNE

    perplexity = min(float(settings.perplexity), max(2.0, (len(x) - 1) / 3), len(x) - 1.0)
    tsne = TSNE(
        2, perplexity=perplexity, init="pca", max_iter=max(int(settings.tsne_iterations), 250),
        random_state=settings.seed,
    )  # fmt: skip
    return tsne.fit_transform(x)


def _fit_umap(x: np.ndarray, settings: MapSettings) -> np.ndarray:
    import umap

    if settings.cache_kernels:
        try:
            _cache_umap_kernels()
        except (ImportError, AttributeError):  # another numba: compile every time, as before
            pass
    metric = settings.metric
    if metric == "cosine" and len(x) < PRECOMPUTED_BELOW:
        unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        x, metric = np.clip(1 - unit @ unit.T, 0, 2), "precomputed"  # the same cosine distances
        np.fill_diagonal(x, 0)
    with warnings.catch_warnings():
        # a fixed random_state disables umap's parallelism (the point here), and a precomputed
        # metric disables inverse_transform (unused): both would read as failures in a notebook
        warnings.simplefilter("ignore", UserWarning)
        model = umap.UMAP(
            n_neighbors=max(min(settings.n_neighbors, len(x) - 1), 2), min_dist=0.1, metric=metric,
            n_epochs=settings.umap_epochs, random_state=settings.seed, n_jobs=1,
        )  # fmt: skip
        return model.fit_transform(x)


def _cache_umap_kernels() -> None:
    """Let numba keep umap-learn's compiled kernels on disk, as its own ``cache=True`` kernels are.

    umap-learn compiles about eighty numba functions (the parallel graph ones are the slowest) on
    first use in every process: ~15 s of one core, several times the fit of 2,000 paintings
    itself. With caching on, only the first use on a machine pays that; numba stores the code
    next to umap's sources (or in its user cache dir) and recompiles when they change.
    """
    import umap.distances
    import umap.layouts
    import umap.umap_
    import umap.utils
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    for module in (umap.umap_, umap.layouts, umap.utils, umap.distances):
        for fn in vars(module).values():
            if isinstance(fn, CPUDispatcher) and isinstance(getattr(fn, "_cache", None), NullCache):
                fn.enable_caching()
