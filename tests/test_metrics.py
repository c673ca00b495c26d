"""Wilson intervals and per-class reports (artdl.core.metrics)."""

from __future__ import annotations

import numpy as np
import pytest

from artdl import core


def test_wilson_interval_matches_published_values() -> None:
    # Wilson (1927) score interval, z = 1.96; same values as statsmodels proportion_confint(method="wilson")
    low, high = core.wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=1e-4) and high == pytest.approx(0.3662, abs=1e-4)
    low, high = core.wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = core.wilson_interval(10, 10)
    assert low == pytest.approx(0.7225, abs=1e-4) and high == pytest.approx(1.0)


def test_wilson_interval_contains_the_estimate_and_narrows_with_n() -> None:
    widths = []
    for n in (20, 200, 2000):
        low, high = core.wilson_interval(int(0.6 * n), n)
        assert low < 0.6 < high
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2]
    assert core.wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        core.wilson_interval(5, 3)


def test_wilson_interval_holds_the_estimate_exactly_at_none_and_all() -> None:
    """At 0 or n successes the formula's bound is 0 or 1 only up to rounding (0.9999999999999999 for
    10 of 10): a negative error bar made matplotlib refuse 02's comparison figure."""
    for n in range(1, 300):
        for k in (0, n // 3, n):
            low, high = core.wilson_interval(k, n)
            assert 0.0 <= low <= k / n <= high <= 1.0
        assert core.wilson_interval(0, n)[0] == 0.0 and core.wilson_interval(n, n)[1] == 1.0


def test_accuracy_with_interval() -> None:
    out = core.accuracy_with_interval([True, True, False, True])
    assert out["value"] == 0.75 and out["n"] == 4 and out["low"] < 0.75 < out["high"]


def test_topk_is_informative() -> None:
    assert core.topk_is_informative(3, 7)
    assert not core.topk_is_informative(3, 4)
    assert not core.topk_is_informative(1, 7)


def test_per_class_report() -> None:
    targets = np.array([0, 0, 1, 1, 2])
    preds = np.array([0, 1, 1, 1, 1])
    report = core.per_class_report(targets, preds, ["a", "b", "c"])
    assert report["a"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert report["b"]["precision"] == pytest.approx(0.5) and report["b"]["recall"] == 1.0
    assert report["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


# ------------------------------------------------------------------------------------------
# Comparisons: paired bootstrap, McNemar, verdicts
# ------------------------------------------------------------------------------------------
FAST = core.StatsConfig(resamples=2000, seed=3)


def test_mcnemar_matches_a_hand_computed_binomial() -> None:
    # 10 paintings only A gets right, 2 only B, 5 both, 3 neither: the test is Binomial(12, 1/2) on 10.
    a = np.array([1] * 10 + [0] * 2 + [1] * 5 + [0] * 3, dtype=bool)
    b = np.array([0] * 10 + [1] * 2 + [1] * 5 + [0] * 3, dtype=bool)
    res = core.mcnemar_exact(a, b)
    # P(X <= 2) + P(X >= 10) = 2 * (1 + 12 + 66) / 4096 = 158 / 4096
    assert (res.a_only, res.b_only, res.n) == (10, 2, 20)
    assert res.p_value == pytest.approx(158 / 4096, rel=1e-9)
    assert res.difference == pytest.approx(8 / 20) and res.alpha == pytest.approx(0.05)
    v = core.verdict(res, "fine-tune", "probe", "top-1")
    assert v.significant and v.sentence.startswith("fine-tune beats probe in top-1 by +0.400")
    assert "p = 0.0386" in v.sentence and v.p_value == res.p_value
    swapped = core.verdict(core.mcnemar_exact(b, a), "probe", "fine-tune")  # the winner is named first
    assert swapped.sentence.startswith("fine-tune beats probe by +0.400") and swapped.difference < 0


def test_mcnemar_without_discordant_pairs_is_no_difference() -> None:
    hits = np.array([True, False, True])
    res = core.mcnemar_exact(hits, hits)
    assert res.p_value == 1.0
    assert core.verdict(res).sentence.startswith("no measurable difference")
    with pytest.raises(ValueError, match="same paintings"):
        core.mcnemar_exact(hits, hits[:2])


def test_identical_inputs_are_no_measurable_difference() -> None:
    scores = np.random.default_rng(0).random(300)
    interval = core.paired_bootstrap(scores, scores, FAST)
    assert (interval.value, interval.low, interval.high) == (0.0, 0.0, 0.0)
    v = core.verdict(interval, "re-rank", "cosine", "P@10")
    assert not v.significant
    assert v.sentence == (
        "no measurable difference in P@10 (re-rank − cosine = +0.000 [+0.000, +0.000]; "
        "95% paired bootstrap, n = 300)"
    )


def test_a_noisy_zero_difference_is_not_called_by_its_sign() -> None:
    rng = np.random.default_rng(1)
    a = rng.random(200)
    b = a + rng.normal(0.0, 0.2, 200)  # same mean, plenty of noise: a non-zero sample difference
    v = core.verdict(core.paired_bootstrap(a, b, FAST), "A", "B")
    assert v.difference != 0 and v.low < 0 < v.high
    assert not v.significant and "beats" not in v.sentence and "no measurable difference" in v.sentence


def test_a_real_difference_names_the_winner_with_its_interval() -> None:
    rng = np.random.default_rng(2)
    b = rng.random(500)
    a = b - 0.05 + rng.normal(0.0, 0.05, 500)  # A is worse by 0.05
    v = core.verdict(core.paired_bootstrap(a, b, FAST), "A", "B", digits=2)
    assert v.significant and v.high < 0
    assert v.sentence.startswith(f"B beats A by +{-v.difference:.2f} [+{-v.high:.2f}, +{-v.low:.2f}]")


def test_paired_bootstrap_covers_a_simulated_difference() -> None:
    """The 95 % interval holds the true mean difference in about 95 % of simulated experiments."""
    rng = np.random.default_rng(4)
    config = core.StatsConfig(resamples=1000, seed=5)
    hits = 0
    trials = 200
    for _ in range(trials):
        base = rng.random(120)
        a = (rng.random(120) < 0.55).astype(float) + base
        b = (rng.random(120) < 0.45).astype(float) + base  # true mean difference: 0.10
        interval = core.paired_bootstrap(a, b, config)
        hits += interval.low <= 0.10 <= interval.high
    assert 0.90 <= hits / trials <= 0.99


def test_bootstrap_seeds_reproduce_and_differ() -> None:
    x = np.random.default_rng(6).random(150)
    y = np.random.default_rng(7).random(150)
    first = core.paired_bootstrap(x, y, FAST)
    assert core.paired_bootstrap(x, y, FAST) == first
    other = core.paired_bootstrap(x, y, core.StatsConfig(resamples=2000, seed=4))
    assert (other.low, other.high) != (first.low, first.high)
    assert other.value == first.value


def test_bootstrap_mean_against_chance() -> None:
    rng = np.random.default_rng(8)
    below = (rng.random(600) < 0.034).astype(float)  # a connected share near 0.034 ...
    v = core.verdict(
        core.bootstrap_mean(below, FAST, reference=0.045), "re-rank", "chance", "connected share"
    )
    assert v.difference == pytest.approx(below.mean() - 0.045)
    assert v.low < v.difference < v.high
    above = (rng.random(600) < 0.20).astype(float)  # ... and one well above a 0.045 chance level
    up = core.verdict(core.bootstrap_mean(above, FAST, reference=0.045), "re-rank", "chance")
    assert up.significant and up.low > 0 and up.sentence.startswith("re-rank beats chance by +")
    interval = core.bootstrap_mean(above, FAST)
    assert interval.low < above.mean() < interval.high and interval.n == 600


def test_bad_inputs_and_config() -> None:
    with pytest.raises(ValueError, match="one value per item"):
        core.paired_bootstrap([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="empty"):
        core.bootstrap_mean([])
    with pytest.raises(ValueError, match="confidence"):
        core.StatsConfig(confidence=95)
    with pytest.raises(ValueError, match="method"):
        core.StatsConfig(method="bca")
    cfg = core.load_config("default", ["stats.resamples=500", "stats.confidence=0.9"])
    stats = core.StatsConfig.from_config(cfg)
    assert (stats.resamples, stats.confidence) == (500, 0.9)
    assert core.mcnemar_exact([True], [False], stats).alpha == pytest.approx(0.1)
    wide = core.paired_bootstrap(np.arange(50.0), np.zeros(50), core.StatsConfig(confidence=0.99))
    narrow = core.paired_bootstrap(np.arange(50.0), np.zeros(50), stats)
    assert wide.high - wide.low > narrow.high - narrow.low
