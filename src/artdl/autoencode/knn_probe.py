"""How much label information an embedding holds: k-nearest-neighbour accuracy on held-out images.

An autoencoder is trained without labels, so its loss says nothing about whether paintings of one
period or painter end up near each other. A kNN classifier on the frozen codes (fit on the train
split, scored on the test split, cosine distance) answers that, and its chance rate (the share of
the most common label) says what the number is worth.

The probe also returns which test paintings it got right, in the order of the test rows, so two
spaces (a code and the raw pixels) can be compared painting by painting with McNemar's exact test
(:func:`compare_knn`): on 119 test paintings an accuracy gap of a few points is well inside the
noise, and only a paired test can say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from artdl.core import StatsConfig, mcnemar_exact, paired_bootstrap, verdict, wilson_interval

__all__ = ["compare_knn", "knn_label_accuracy", "versus_pixels"]


def knn_label_accuracy(
    codes: np.ndarray, labels: np.ndarray, train: np.ndarray, test: np.ndarray, k: int = 5
) -> dict[str, Any]:
    """Top-1 accuracy of a ``k``-NN (cosine) classifier on ``codes``, with the chance rate.

    ``train`` and ``test`` are boolean masks. Returns ``accuracy`` with its 95% Wilson interval
    (``low``, ``high``), ``chance`` (majority-label share of the test split), ``n_test``, ``k`` and
    ``correct`` (a boolean array, one entry per test row in table order).
    """
    from sklearn.neighbors import KNeighborsClassifier

    codes, labels = np.asarray(codes, dtype=np.float32), np.asarray(labels)
    train, test = np.asarray(train, dtype=bool), np.asarray(test, dtype=bool)
    if train.sum() < k or not test.any():
        raise ValueError(f"Need at least k={k} train and one test image; got {train.sum()} and {test.sum()}.")
    knn = KNeighborsClassifier(n_neighbors=k, metric="cosine").fit(codes[train], labels[train])
    correct = knn.predict(codes[test]) == labels[test]
    _, counts = np.unique(labels[test], return_counts=True)
    low, high = wilson_interval(int(correct.sum()), int(correct.size))
    return {
        "accuracy": float(correct.mean()),
        "low": float(low),
        "high": float(high),
        "chance": float(counts.max() / counts.sum()),
        "n_test": int(test.sum()),
        "k": k,
        "correct": correct,
    }


def compare_knn(
    space: Mapping[str, Any], baseline: Mapping[str, Any], names: tuple[str, str], stats: StatsConfig | None = None
) -> dict[str, Any]:
    """``space`` vs ``baseline`` (two :func:`knn_label_accuracy` results on the same test paintings).

    McNemar's exact test decides (its verdict's ``sentence`` says "no measurable difference" when
    p >= alpha); the paired bootstrap interval of the accuracy difference is returned beside it.
    """
    stats = stats or StatsConfig()
    a, b = np.asarray(space["correct"], dtype=bool), np.asarray(baseline["correct"], dtype=bool)
    test = mcnemar_exact(a, b, stats)
    said = verdict(test, names[0], names[1], metric="5-NN label accuracy")
    interval = paired_bootstrap(a.astype(float), b.astype(float), stats)
    return {
        "difference": test.difference,
        "low": interval.low,
        "high": interval.high,
        "p_value": test.p_value,
        "a_only": test.a_only,
        "b_only": test.b_only,
        "n": test.n,
        "significant": said.significant,
        "sentence": said.sentence,
        "family": stats.family,
    }


def versus_pixels(knn: Mapping[str, Mapping[str, Any]], stats: StatsConfig | None = None) -> dict[str, dict[str, Any]]:
    """Every code space of ``knn`` (``dae``, ``swae`` ...) against ``knn["pixels"]`` by :func:`compare_knn`,
    as one Bonferroni family: 03 reads the codes side by side, so each test's alpha is shared out."""
    if "pixels" not in knn:
        raise KeyError("versus_pixels needs the raw-pixels probe under knn['pixels'] (knn_label_accuracy on the pixels).")
    codes = [name for name in knn if name != "pixels"]
    family = (stats or StatsConfig()).for_family(len(codes))
    return {name: compare_knn(knn[name], knn["pixels"], (name.upper(), "raw pixels"), family) for name in codes}
