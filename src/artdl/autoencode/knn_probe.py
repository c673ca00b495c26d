"""How much label information an embedding holds: k-nearest-neighbour accuracy on held-out images.

An autoencoder is trained without labels, so its loss says nothing about whether paintings of one
period or painter end up near each other. A kNN classifier on the frozen codes (fit on the train
split, scored on the test split, cosine distance) answers that, and its chance rate (the share of
the most common label) says what the number is worth.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["knn_label_accuracy"]


def knn_label_accuracy(
    codes: np.ndarray, labels: np.ndarray, train: np.ndarray, test: np.ndarray, k: int = 5
) -> dict[str, Any]:
    """Top-1 accuracy of a ``k``-NN (cosine) classifier on ``codes``, with the chance rate.

    ``train`` and ``test`` are boolean masks. Returns ``accuracy``, ``chance`` (majority-label
    share of the test split), ``n_test`` and ``k``.
    """
    from sklearn.neighbors import KNeighborsClassifier

    codes, labels = np.asarray(codes, dtype=np.float32), np.asarray(labels)
    train, test = np.asarray(train, dtype=bool), np.asarray(test, dtype=bool)
    if train.sum() < k or not test.any():
        raise ValueError(f"Need at least k={k} train and one test image; got {train.sum()} and {test.sum()}.")
    knn = KNeighborsClassifier(n_neighbors=k, metric="cosine").fit(codes[train], labels[train])
    accuracy = float((knn.predict(codes[test]) == labels[test]).mean())
    _, counts = np.unique(labels[test], return_counts=True)
    return {
        "accuracy": accuracy,
        "chance": float(counts.max() / counts.sum()),
        "n_test": int(test.sum()),
        "k": k,
    }
