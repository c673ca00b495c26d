"""Accuracy with error bars, per-class breakdowns, and the statistics behind every comparison.

A test split of a few hundred paintings gives an accuracy that can move by several points with a
different draw, so every accuracy reported in this project carries a 95 % interval. The Wilson
score interval is used because, unlike the textbook "p +- 1.96 SE" interval, it stays inside
[0, 1] and keeps close to its nominal coverage for small n and accuracies near 0 or 1
(Brown, Cai & DasGupta 2001, "Interval estimation for a binomial proportion").

Two methods scored on the same queries or paintings are compared paired: a bootstrap interval of
the mean difference (:func:`paired_bootstrap`) or, for two classifiers' hits, McNemar's exact test
(:func:`mcnemar_exact`). Two accuracies on *different* test sets (two splits of one data set)
cannot be paired: :func:`difference_of_proportions` gives Newcombe's interval of their difference.
:func:`verdict` turns any of them into the sentence a Findings cell prints,
so "A beats B" is written only when the interval (or p-value) says so, and otherwise "no
measurable difference" with the interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

__all__ = [
    "Interval",
    "McNemarResult",
    "StatsConfig",
    "Verdict",
    "accuracy_with_interval",
    "bootstrap_mean",
    "difference_of_proportions",
    "mcnemar_exact",
    "paired_bootstrap",
    "per_class_report",
    "topk_is_informative",
    "verdict",
    "wilson_interval",
]


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval (low, high) of a proportion ``successes / n``.

    ``n == 0`` gives (0, 1): no data, no information. The interval always holds the estimate: at
    0 or n successes the formula's bound is 0 or 1 only up to rounding (0.9999999999999999 for 10 of
    10), which left a plotted error bar with a negative length.
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}.")
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def accuracy_with_interval(correct: Sequence[bool] | np.ndarray, confidence: float = 0.95) -> dict[str, Any]:
    """``{"value", "low", "high", "n"}`` for a vector of hits."""
    hits = np.asarray(correct, dtype=bool)
    k, n = int(hits.sum()), int(hits.size)
    low, high = wilson_interval(k, n, confidence)
    return {"value": k / n if n else float("nan"), "low": low, "high": high, "n": n}


def topk_is_informative(k: int, num_classes: int) -> bool:
    """Whether top-k accuracy says something: chance level k / classes must stay below one half.

    With 4 genres top-3 is 75 % by guessing and hides nothing; with 7 styles it is 43 %.
    """
    return 1 < k and k / num_classes < 0.5


def per_class_report(targets: np.ndarray, predictions: np.ndarray, classes: Sequence[str]) -> dict[str, dict]:
    """Precision, recall, F1 and support per class name (zero where a class is never predicted)."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = list(range(len(classes)))
    p, r, f, s = precision_recall_fscore_support(targets, predictions, labels=labels, zero_division=0)
    return {
        c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
        for i, c in enumerate(classes)
    }


# ------------------------------------------------------------------------------------------
# Comparisons: paired bootstrap, McNemar, and the verdict a Findings sentence is written from
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatsConfig:
    """How intervals are drawn (the ``stats:`` config section): resamples, confidence, seed, method.

    One object instead of four keyword arguments in every call, so a notebook and the README
    state every comparison at the same confidence and a rerun draws the same resamples.
    ``method`` is one of scipy's bootstrap methods (``percentile``, ``basic``, ``BCa``).
    """

    resamples: int = 10_000
    confidence: float = 0.95
    seed: int = 0
    method: str = "percentile"
    family: int = 1  # comparisons that share ``confidence`` (Bonferroni); set by :meth:`for_family`, not config

    def __post_init__(self) -> None:
        if not 0 < self.confidence < 1:
            raise ValueError(f"stats.confidence must lie in (0, 1), got {self.confidence}.")
        if self.family < 1:
            raise ValueError(f"a family of comparisons has at least one member, got {self.family}.")
        if self.resamples < 100:
            raise ValueError(f"stats.resamples must be at least 100, got {self.resamples}.")
        if self.method not in _METHODS:
            raise ValueError(f"stats.method must be one of {sorted(_METHODS)}, got {self.method!r}.")

    @property
    def level(self) -> float:
        """The confidence of each interval (and 1 - the alpha of each test): Bonferroni's
        ``1 - (1 - confidence) / family``, so that all ``family`` of them hold together at ``confidence``."""
        return 1.0 - (1.0 - self.confidence) / self.family

    def for_family(self, comparisons: int) -> StatsConfig:
        """This config for one of ``comparisons`` comparisons reported side by side (e.g. four embeddings
        against pixels): four tests at 95% each would name at least one false winner about 19% of the time."""
        return replace(self, family=max(1, int(comparisons)))

    @classmethod
    def from_config(cls, cfg: Any) -> StatsConfig:
        """The ``stats:`` section of a loaded config (defaults where a config has none)."""
        section = cfg.get("stats") if hasattr(cfg, "get") else None
        if not section:
            return cls()
        return cls(**{f.name: section[f.name] for f in fields(cls) if f.name in section and f.name != "family"})


_METHODS = {"percentile", "basic", "BCa"}


@dataclass(frozen=True)
class Interval:
    """A bootstrap estimate: the mean (or mean difference) ``value`` and its ``[low, high]`` interval.

    ``reference`` is what the value is compared with: 0 for a difference, the chance level for a
    single mean ("connected share vs chance").
    """

    value: float
    low: float
    high: float
    n: int
    confidence: float  # of this interval (with ``family`` > 1 the Bonferroni-raised level)
    reference: float = 0.0
    kind: str = "paired bootstrap"
    family: int = 1  # comparisons it was drawn for together (:meth:`StatsConfig.for_family`)

    @property
    def excludes_reference(self) -> bool:
        """Whether the interval lies wholly on one side of ``reference``: the measurable case."""
        return self.low > self.reference or self.high < self.reference


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's exact test of two classifiers on the same paintings.

    ``a_only``: paintings only A gets right; ``b_only``: only B. The paintings both get right or
    both get wrong say nothing about which is better, so the test looks at the discordant ones
    alone: under "equally good" each of them is a fair coin.
    """

    a_only: int
    b_only: int
    n: int
    difference: float  # accuracy of A minus accuracy of B
    p_value: float
    alpha: float  # of this test (with ``family`` > 1, Bonferroni's alpha / family)
    family: int = 1


@dataclass(frozen=True)
class Verdict:
    """A comparison as a Findings sentence comes from it: the sentence is decided by ``significant``.

    ``difference`` is A minus B; ``low``/``high`` its interval (NaN for McNemar, which gives a
    p-value instead).
    """

    a: str
    b: str
    difference: float
    low: float
    high: float
    p_value: float | None
    significant: bool
    sentence: str
    method: str


def _bootstrap(values: np.ndarray, config: StatsConfig) -> tuple[float, float]:
    """scipy's vectorised bootstrap of the mean; constant data has a zero-width interval."""
    from scipy.stats import bootstrap

    if values.size == 0:
        raise ValueError("cannot bootstrap an empty sample: no queries or paintings to compare.")
    if np.ptp(values) == 0:  # every resample has the same mean (scipy warns and gives NaN for BCa)
        return float(values[0]), float(values[0])
    res = bootstrap(
        (values,), np.mean, n_resamples=config.resamples, confidence_level=config.level,
        method=config.method, vectorized=True, batch=max(1, 2_000_000 // values.size),
        rng=np.random.default_rng(config.seed),
    )  # fmt: skip
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def bootstrap_mean(
    values: Sequence[float] | np.ndarray, config: StatsConfig | None = None, reference: float = 0.0
) -> Interval:
    """The mean of per-query (or per-painting) scores with a bootstrap interval.

    ``reference`` is the level it is judged against, e.g. the connected share of a random list.
    """
    config = config or StatsConfig()
    x = np.asarray(values, dtype=float).ravel()
    low, high = _bootstrap(x, config)
    return Interval(float(x.mean()), low, high, int(x.size), config.level, float(reference), "bootstrap", config.family)


def paired_bootstrap(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, config: StatsConfig | None = None
) -> Interval:
    """The mean of ``a - b`` over the same queries or paintings, with a paired bootstrap interval.

    Paired, because both methods are scored on the same items: resampling items (not the two
    samples apart) cancels the spread between easy and hard queries, which would otherwise
    swamp a small real difference.
    """
    config = config or StatsConfig()
    x, y = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"paired scores need one value per item in both: got {x.size} and {y.size}.")
    d = x - y
    low, high = _bootstrap(d, config)
    return Interval(float(d.mean()), low, high, int(d.size), config.level, family=config.family)


def difference_of_proportions(
    successes_a: int, n_a: int, successes_b: int, n_b: int, confidence: float = 0.95
) -> Interval:
    """``p_a - p_b`` of two independent samples (e.g. top-1 on two different test splits), with
    Newcombe's hybrid score interval (method 10 of Newcombe 1998, "Interval estimation for the
    difference between independent proportions"), built from each side's Wilson interval.

    Unpaired on purpose: the paintings differ, so there is no McNemar or paired bootstrap. Like the
    Wilson interval it stays inside [-1, 1] and keeps its coverage for small n.
    """
    if min(n_a, n_b) <= 0:
        raise ValueError(f"two samples with at least one item each are needed; got n = {n_a} and {n_b}.")
    p_a, p_b = successes_a / n_a, successes_b / n_b
    (low_a, high_a), (low_b, high_b) = (
        wilson_interval(successes_a, n_a, confidence),
        wilson_interval(successes_b, n_b, confidence),
    )
    d = p_a - p_b
    low = d - math.sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2)
    high = d + math.sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2)
    return Interval(d, low, high, n_a + n_b, confidence, kind="Newcombe interval, two independent samples")


def mcnemar_exact(
    correct_a: Sequence[bool] | np.ndarray,
    correct_b: Sequence[bool] | np.ndarray,
    config: StatsConfig | None = None,
) -> McNemarResult:
    """McNemar's exact (binomial) test: a two-sided binomial test of ``a_only`` of the discordant pairs.

    Significant at ``alpha = 1 - config.level``, the same level as the bootstrap intervals (divided by
    ``config.family`` when the test is one of several reported together).
    """
    config = config or StatsConfig()
    from scipy.stats import binomtest

    x, y = np.asarray(correct_a, dtype=bool).ravel(), np.asarray(correct_b, dtype=bool).ravel()
    if x.shape != y.shape:
        raise ValueError(f"McNemar needs both classifiers on the same paintings: got {x.size} and {y.size}.")
    a_only, b_only = int((x & ~y).sum()), int((~x & y).sum())
    discordant = a_only + b_only
    p = 1.0 if discordant == 0 else float(binomtest(a_only, discordant, 0.5).pvalue)
    diff = float(x.mean() - y.mean()) if x.size else float("nan")
    return McNemarResult(a_only, b_only, int(x.size), diff, p, 1.0 - config.level, config.family)


def verdict(
    comparison: Interval | McNemarResult, a: str = "A", b: str = "B", metric: str = "", digits: int = 3
) -> Verdict:
    """The typed verdict, and its sentence, of a :func:`paired_bootstrap`, :func:`bootstrap_mean`
    (against its reference) or :func:`mcnemar_exact` result.

    "A beats B by +x [lo, hi]" only when the interval excludes the reference (or p < alpha);
    otherwise "no measurable difference (A − B = x [lo, hi])". The winner is named by the test,
    never by the sign of a difference that could be noise.
    """
    what = f" in {metric}" if metric else ""

    def num(v: float) -> str:
        return f"{v:+.{digits}f}"

    if isinstance(comparison, McNemarResult):
        c = comparison
        diff, low, high, p = c.difference, float("nan"), float("nan"), c.p_value
        significant = c.p_value < c.alpha
        detail = f"McNemar exact p = {p:.3g}; {c.a_only} vs {c.b_only} discordant of {c.n}"
        if c.family > 1:
            detail += f"; Bonferroni alpha = {c.alpha:.3g} for {c.family} comparisons"
        method = "McNemar exact"
        if significant:
            win, lose, d = (a, b, diff) if c.a_only > c.b_only else (b, a, -diff)
            sentence = f"{win} beats {lose}{what} by {num(d)} ({detail})"
        else:
            sentence = f"no measurable difference{what} ({a} − {b} = {num(diff)}; {detail})"
    else:
        c = comparison
        diff, low, high, p = c.value - c.reference, c.low - c.reference, c.high - c.reference, None
        significant = c.excludes_reference
        level = f"{c.confidence:.0%} {c.kind}, n = {c.n}"
        if c.family > 1:
            together = 1.0 - (1.0 - c.confidence) * c.family
            level = f"{100 * c.confidence:.4g}% {c.kind}, n = {c.n}; Bonferroni: {together:.0%} for all {c.family} together"
        method = c.kind
        if significant:
            win, lose, d, lo, hi = (a, b, diff, low, high) if diff > 0 else (b, a, -diff, -high, -low)
            sentence = f"{win} beats {lose}{what} by {num(d)} [{num(lo)}, {num(hi)}] ({level})"
        else:
            sentence = (
                f"no measurable difference{what} ({a} − {b} = {num(diff)} [{num(low)}, {num(high)}]; {level})"
            )
    return Verdict(a, b, float(diff), float(low), float(high), p, bool(significant), sentence, method)
