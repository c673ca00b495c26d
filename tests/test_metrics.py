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
