"""The distance tables of notebook 06: all paintings, and per painter.

Kept here rather than in the notebook so that the rows (which set, which model, how many images)
are built by tested code: the old notebook recovered a row's model by splitting its display name
on spaces, which broke as soon as a name had a space in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from artdl.gan import fidelity

__all__ = ["REAL_HELD_OUT", "distance_rows", "per_class_distances"]

REAL_HELD_OUT = "real held-out"


def distance_rows(
    space: fidelity.FeatureSpace,
    reference: np.ndarray,
    held_out: np.ndarray,
    generated: Mapping[str, np.ndarray],
    runs: Mapping[str, Any],
    resolution: int,
    subset_size: int = 100,
    subsets: int = 50,
) -> pd.DataFrame:
    """Distances to ``reference`` (train features): the held-out floor and each model.

    Every model is scored with as many images as the held-out floor (the Fréchet distance depends
    on n), and again with all its samples when it has more. The ``model`` column names the run
    (empty for real paintings); ``steps`` and ``train_seconds`` come from ``runs[model]``.
    """
    n_eq = min([len(held_out), *(len(f) for f in generated.values())])
    sets: dict[str, np.ndarray] = {REAL_HELD_OUT: held_out[:n_eq]}
    models: dict[str, str] = {REAL_HELD_OUT: ""}
    for kind, feats in generated.items():
        sets[kind], models[kind] = feats[:n_eq], kind
        if len(feats) > n_eq:
            name = f"{kind} (all {len(feats)})"
            sets[name], models[name] = feats, kind
    table = fidelity.distance_table(space, reference, sets, resolution, subset_size, subsets)
    table.insert(1, "model", [models[s] for s in table["set"]])
    table.insert(2, "feature space", f"{space.name} @ {space.input_size}px")
    table["steps"] = [int(runs[m].step) if m else 0 for m in table["model"]]
    table["train_seconds"] = [round(float(runs[m].seconds), 1) if m else 0.0 for m in table["model"]]
    return table


def per_class_distances(
    space: fidelity.FeatureSpace,
    train: np.ndarray,
    train_labels: Sequence[int],
    held_out: np.ndarray,
    held_labels: Sequence[int],
    generated: Mapping[str, Mapping[int, np.ndarray]],
    classes: Sequence[str],
    subset_size: int = 100,
    subsets: int = 50,
) -> pd.DataFrame:
    """Per painter: distances to that painter's train paintings, with two real yardsticks.

    For each class ``c`` the reference is the train features of ``c``, compared with

    - ``real held-out``: held-out paintings of ``c`` (the floor at this sample size);
    - ``real other painter``: held-out paintings of the other classes (how far apart the painters
      are, e.g. Morisot's paintings measured against Monet's);
    - each model's samples drawn for class ``c`` (``generated[kind][c]``).

    All sets of one class have the same n (the smallest of them), so the rows are comparable.
    """
    train_labels, held_labels = np.asarray(train_labels), np.asarray(held_labels)
    rows = []
    for c, name in enumerate(classes):
        reference = train[train_labels == c]
        sets = {REAL_HELD_OUT: held_out[held_labels == c], "real other painter": held_out[held_labels != c]}
        sets.update({kind: per_class[c] for kind, per_class in generated.items() if c in per_class})
        n = min(len(s) for s in sets.values())
        if n < 2 or len(reference) < 2:
            continue
        table = fidelity.distance_table(
            space, reference, {k: v[:n] for k, v in sets.items()}, 0, subset_size, subsets
        )
        table.insert(0, "painter", name)
        rows.append(table.drop(columns=["resolution"]))
    if not rows:
        raise ValueError("No class has at least 2 train, held-out and generated images.")
    return pd.concat(rows, ignore_index=True)
