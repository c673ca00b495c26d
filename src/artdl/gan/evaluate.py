"""The distance tables of notebook 06: all paintings, and per painter, with bootstrap intervals.

Kept here rather than in the notebook so that the rows (which set, which model, how many images)
are built by tested code: the old notebook recovered a row's model by splitting its display name
on spaces, which broke as soon as a name had a space in it.

A few hundred images give a Fréchet distance that moves by tens with another draw, so every
distance carries a bootstrap interval (the generated and the real feature sets resampled), and two
sets are compared paired on the same resampled reference. A claim "A is closer than B" needs the
Fréchet *and* the kernel distance to say so beyond their intervals (:func:`agreement`); when one
of them is within noise, or the two disagree, the run cannot tell.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from artdl.core import Interval, StatsConfig, Verdict, verdict
from artdl.gan import fidelity

__all__ = [
    "REAL_HELD_OUT",
    "REAL_OTHER_PAINTER",
    "DistanceComparison",
    "DistanceConfig",
    "Distances",
    "agreement",
    "distance_rows",
    "per_class_distances",
]

REAL_HELD_OUT = "real held-out"
REAL_OTHER_PAINTER = "real other painter"


@dataclass(frozen=True)
class DistanceConfig:
    """How the distances are drawn (``gan.eval`` and ``stats``): the kernel distance's subsets, and
    the bootstrap (``gan.eval.bootstrap_resamples`` resamples, modest: each one recomputes every
    distance) at the confidence and seed of the ``stats:`` section."""

    subset_size: int = 50
    subsets: int = 50
    resamples: int = 200
    confidence: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if self.resamples < 20:
            raise ValueError(f"gan.eval.bootstrap_resamples must be at least 20, got {self.resamples}.")

    @classmethod
    def from_config(cls, cfg: Any) -> DistanceConfig:
        ev, stats = cfg.gan.eval, StatsConfig.from_config(cfg)
        return cls(
            subset_size=int(ev.kid_subset_size),
            subsets=int(ev.kid_subsets),
            resamples=int(ev.bootstrap_resamples),
            confidence=stats.confidence,
            seed=stats.seed,
        )


@dataclass(kw_only=True)
class DistanceComparison:
    """Is set ``a`` closer to ``reference`` than set ``b``? ``fd``/``kd``: verdicts on the
    closeness gain ``distance(b) - distance(a)`` (positive: ``a`` is closer; KD ×1000), each with a
    paired bootstrap interval; ``claim`` ("closer", "farther", "cannot tell") is :func:`agreement`'s."""

    reference: str
    a: str
    b: str
    fd: Verdict
    kd: Verdict
    claim: str
    reason: str


def agreement(fd: Verdict, kd: Verdict) -> tuple[str, str]:
    """The claim two distance verdicts allow together, and why.

    "closer"/"farther" only when both intervals exclude zero on the same side; "cannot tell" when
    either is within noise or when they point opposite ways (the Fréchet distance of a few hundred
    images is biased by n, the kernel distance is not: when they disagree neither is trusted).
    """
    if fd.significant and kd.significant:
        if (fd.difference > 0) == (kd.difference > 0):
            return (
                "closer" if fd.difference > 0 else "farther"
            ), "both distances agree beyond their intervals"
        return "cannot tell", "the Fréchet and kernel distances disagree"
    noisy = [name for name, v in (("Fréchet", fd), ("kernel", kd)) if not v.significant]
    if len(noisy) == 2:
        return "cannot tell", "both distances' intervals include zero"
    return "cannot tell", f"the {noisy[0]} distance's interval includes zero"


@dataclass
class Distances:
    """A distance table (one row per set, intervals in ``*_low``/``*_high`` columns) and the
    comparisons between its sets."""

    table: pd.DataFrame
    comparisons: list[DistanceComparison]
    note: str = ""  # why the table is empty, when it is


def _frechet(gram: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """The Fréchet distance of :func:`artdl.gan.fidelity.frechet_distance` between the feature rows
    ``x`` and ``y`` (indices into ``gram``, the matrix of all inner products), without a D x D
    matrix square root.

    ``Tr (S_x S_y)^(1/2)`` is the sum of the singular values of ``X_c Y_c^T / sqrt((n-1)(m-1))``
    (centred features), and every term comes from inner products: exact, and fast enough to
    recompute for each bootstrap resample of 1280-d features (the square root takes seconds).
    """
    n, m = len(x), len(y)
    gxx, gyy, gxy = gram[np.ix_(x, x)], gram[np.ix_(y, y)], gram[np.ix_(x, y)]
    centred = gxy - gxy.mean(1, keepdims=True) - gxy.mean(0, keepdims=True) + gxy.mean()
    cross = np.linalg.svd(centred, compute_uv=False).sum() / np.sqrt((n - 1) * (m - 1))
    trace = (np.trace(gxx) - n * gxx.mean()) / (n - 1) + (np.trace(gyy) - m * gyy.mean()) / (m - 1)
    mean_gap = gxx.mean() + gyy.mean() - 2 * gxy.mean()
    return max(float(mean_gap + trace - 2 * cross), 0.0)


def _mmd(kernel: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 (the kernel distance's statistic, on all rows instead of random subsets);
    pairs of one original image drawn twice by the bootstrap are left out like the diagonal."""

    def within(ix: np.ndarray) -> float:
        distinct = ix[:, None] != ix[None, :]
        if not distinct.any():  # one image drawn for every slot: no pair, undefined (the interval skips it)
            return float("nan")
        return float(kernel[np.ix_(ix, ix)][distinct].mean())

    return within(x) + within(y) - 2 * float(kernel[np.ix_(x, y)].mean())


def _draws(
    reference: np.ndarray, sets: Mapping[str, np.ndarray], config: DistanceConfig
) -> dict[str, np.ndarray]:
    """(resamples, 2) bootstrap draws of (FD, KD ×1000) per set; one resampled reference per draw,
    shared by every set, so that two sets' draws can be differenced paired.

    The inner products of all features are computed once; each resample only indexes them. BLAS
    runs on one thread: the matrices are small, and several BLAS threads on a busy 2-core machine
    fight over the cores and made each resample many times slower.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return _resampled(reference, sets, config)


def _resampled(
    reference: np.ndarray, sets: Mapping[str, np.ndarray], config: DistanceConfig
) -> dict[str, np.ndarray]:
    feats = np.concatenate([reference, *sets.values()]).astype(np.float64)
    gram = feats @ feats.T
    kernel = (gram / feats.shape[1] + 1) ** 3  # the cubic polynomial kernel of the kernel distance
    starts = np.cumsum([len(reference), *(len(v) for v in sets.values())])[:-1]
    rng = np.random.default_rng(config.seed)
    out = {name: np.empty((config.resamples, 2)) for name in sets}
    for i in range(config.resamples):
        ref = rng.integers(len(reference), size=len(reference))
        for (name, v), start in zip(sets.items(), starts):
            x = start + rng.integers(len(v), size=len(v))
            out[name][i] = _frechet(gram, x, ref), 1000 * _mmd(kernel, x, ref)
    return out


def _interval(point: float, draws: np.ndarray, config: DistanceConfig, n: int) -> Interval:
    """A percentile interval shifted by the bootstrap's own bias (``point - mean(draws)``).

    Resampling with replacement repeats images, and repeated images shrink a set's spread, which
    inflates a Frechet distance by far more than its noise: the plain percentile interval of the
    floor (held-out paintings) came out above its own estimate (314.7 [373.5, 419.0]). Shifting by
    the measured bias centres the interval on the estimate; for differences the bias mostly cancels.
    """
    # A resample that draws one image for every slot of a set has no distinct pair, so its unbiased
    # kernel distance is undefined (NaN): likely only for a handful of images, and left out.
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        raise ValueError(
            f"no bootstrap resample of {n} images gives a finite distance: too few images to compare."
        )
    tail = 100 * (1 - config.confidence) / 2
    low, high = np.percentile(draws, [tail, 100 - tail]) + (point - float(np.mean(draws)))
    return Interval(float(point), float(low), float(high), n, config.confidence, 0.0, "bootstrap over images")


def _bootstrapped(
    table: pd.DataFrame,
    space: Any,
    reference: np.ndarray,
    sets: Mapping[str, np.ndarray],
    config: DistanceConfig,
) -> dict[str, np.ndarray]:
    """Adds the intervals of each row's FD and KD to ``table``; returns the draws for comparisons."""
    draws = _draws(reference, sets, config)
    kd = f"{space.kd_name} x1000"
    for col, metric, j in ((space.fd_name, "fd", 0), (kd, "kd", 1)):
        bounds = [
            _interval(p, draws[s][:, j], config, len(sets[s])) for s, p in zip(table["set"], table[col])
        ]
        table[f"{metric}_low"] = [b.low for b in bounds]
        table[f"{metric}_high"] = [b.high for b in bounds]
    return draws


def _compare(
    table: pd.DataFrame, space: Any, draws: Mapping[str, np.ndarray], pair: tuple[str, str], where: str,
    config: DistanceConfig,
) -> DistanceComparison:  # fmt: skip
    a, b = pair
    point = table.set_index("set")
    verdicts = []
    for col, j, name in (
        (space.fd_name, 0, space.fd_name),
        (f"{space.kd_name} x1000", 1, f"{space.kd_name} ×1000"),
    ):
        gain = _interval(
            float(point.loc[b, col] - point.loc[a, col]),
            draws[b][:, j] - draws[a][:, j],
            config,
            int(point.loc[a, "n"]),
        )
        verdicts.append(verdict(gain, a, b, f"closeness to {where} ({name}, lower distance wins)", digits=1))
    claim, reason = agreement(*verdicts)
    return DistanceComparison(
        reference=where, a=a, b=b, fd=verdicts[0], kd=verdicts[1], claim=claim, reason=reason
    )


def distance_rows(
    space: fidelity.FeatureSpace,
    reference: np.ndarray,
    held_out: np.ndarray,
    generated: Mapping[str, np.ndarray],
    runs: Mapping[str, Any],
    resolution: int,
    config: DistanceConfig | None = None,
) -> Distances:
    """Distances to ``reference`` (train features): the held-out floor and each model, with intervals,
    and every pair of models compared at equal n.

    Every model is scored with as many images as the held-out floor (the Fréchet distance depends
    on n), and again with all its samples when it has more. The ``model`` column names the run
    (empty for real paintings); ``steps`` and ``train_seconds`` come from ``runs[model]``.
    """
    config = config or DistanceConfig()
    n_eq = min([len(held_out), *(len(f) for f in generated.values())])
    sets: dict[str, np.ndarray] = {REAL_HELD_OUT: held_out[:n_eq]}
    models: dict[str, str] = {REAL_HELD_OUT: ""}
    for kind, feats in generated.items():
        sets[kind], models[kind] = feats[:n_eq], kind
        if len(feats) > n_eq:
            name = f"{kind} (all {len(feats)})"
            sets[name], models[name] = feats, kind
    table = fidelity.distance_table(space, reference, sets, resolution, config.subset_size, config.subsets)
    draws = _bootstrapped(table, space, reference, sets, config)
    pairs = itertools.combinations(list(generated), 2)
    comparisons = [_compare(table, space, draws, pair, "the train paintings", config) for pair in pairs]
    table.insert(1, "model", [models[s] for s in table["set"]])
    table.insert(2, "feature space", f"{space.name} @ {space.input_size}px")
    table["steps"] = [int(runs[m].step) if m else 0 for m in table["model"]]
    table["train_seconds"] = [round(float(runs[m].seconds), 1) if m else 0.0 for m in table["model"]]
    return Distances(table, comparisons)


def per_class_distances(
    space: fidelity.FeatureSpace,
    train: np.ndarray,
    train_labels: Sequence[int],
    held_out: np.ndarray,
    held_labels: Sequence[int],
    generated: Mapping[str, Mapping[int, np.ndarray]],
    classes: Sequence[str],
    config: DistanceConfig | None = None,
) -> Distances:
    """Per painter: distances to that painter's train paintings, with two real yardsticks.

    For each class ``c`` the reference is the train features of ``c``, compared with

    - ``real held-out``: held-out paintings of ``c`` (the floor at this sample size);
    - ``real other painter``: held-out paintings of the other classes (how far apart the painters
      are, e.g. Morisot's paintings measured against Monet's);
    - each model's samples drawn for class ``c`` (``generated[kind][c]``), each compared with the
      other painter's real paintings: does the model land nearer ``c`` than the other painter is?

    All sets of one class have the same n (the smallest of them), so the rows are comparable.
    An unconditional GAN set (one class, as ``full``'s one-genre set) has no other painter to
    compare with: the table is then empty and ``note`` says why, rather than stopping the notebook.
    """
    config = config or DistanceConfig()
    if len(classes) < 2:
        return Distances(
            pd.DataFrame(), [], note=f"one class ({', '.join(classes)}): no other painter to compare with"
        )
    train_labels, held_labels = np.asarray(train_labels), np.asarray(held_labels)
    rows, comparisons = [], []
    for c, name in enumerate(classes):
        reference = train[train_labels == c]
        sets = {REAL_HELD_OUT: held_out[held_labels == c], REAL_OTHER_PAINTER: held_out[held_labels != c]}
        sets.update({kind: per_class[c] for kind, per_class in generated.items() if c in per_class})
        n = min(len(s) for s in sets.values())
        if n < 2 or len(reference) < 2:
            continue
        sets = {k: v[:n] for k, v in sets.items()}
        table = fidelity.distance_table(space, reference, sets, 0, config.subset_size, config.subsets)
        draws = _bootstrapped(table, space, reference, sets, config)
        kinds = [k for k in sets if k not in (REAL_HELD_OUT, REAL_OTHER_PAINTER)]
        comparisons += [_compare(table, space, draws, (k, REAL_OTHER_PAINTER), name, config) for k in kinds]
        table.insert(0, "painter", name)
        rows.append(table.drop(columns=["resolution"]))
    if not rows:
        return Distances(
            pd.DataFrame(), [], note="no class has at least 2 train, held-out and generated images"
        )
    return Distances(pd.concat(rows, ignore_index=True), comparisons)
