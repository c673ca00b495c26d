"""2-D maps of an embedding: t-SNE and UMAP with the settings artdl uses everywhere.

03 (autoencoder codes), 05 (the archive maps) and the collection explorer draw the same kind of
map; one function each keeps their perplexity, initialisation and seeding the same, so a map in
one notebook can be compared with the map of the same codes in another.
"""

from __future__ import annotations

import numpy as np

__all__ = ["tsne_2d", "umap_2d"]


def tsne_2d(x: np.ndarray, perplexity: float = 30.0, iterations: int = 1000, seed: int = 0) -> np.ndarray:
    """t-SNE (scikit-learn, PCA initialisation) of ``x`` (n, d) to (n, 2).

    The perplexity is capped below ``n``, which scikit-learn requires, so small collections work.
    """
    from sklearn.manifold import TSNE

    x = np.asarray(x, dtype=np.float32)
    if len(x) < 3:
        raise ValueError(f"t-SNE needs at least 3 points, got {len(x)}.")
    perplexity = min(float(perplexity), (len(x) - 1) / 3)
    tsne = TSNE(2, perplexity=perplexity, init="pca", max_iter=int(iterations), random_state=seed)
    return tsne.fit_transform(x)


def umap_2d(x: np.ndarray, n_neighbors: int = 15, seed: int = 0) -> np.ndarray:
    """UMAP (umap-learn) of ``x`` (n, d) to (n, 2); keeps more of the global layout than t-SNE."""
    import warnings

    import umap

    x = np.asarray(x, dtype=np.float32)
    with warnings.catch_warnings():
        # umap warns that a fixed random_state disables its parallelism: that is the point here.
        warnings.filterwarnings("ignore", message=".*random_state.*", category=UserWarning)
        reducer = umap.UMAP(n_neighbors=min(n_neighbors, len(x) - 1), random_state=seed, n_jobs=1)
        return reducer.fit_transform(x)
