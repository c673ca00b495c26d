"""04's paired comparisons: the verdicts that every "A retrieves better than B" sentence of the
Findings and the README is written from, over the per-query P@k of
:func:`artdl.retrieve.evaluate_retrieval` (one ranking per embedding).

Two embeddings are scored on the same queries, so they are compared paired (the difference of
their per-query P@k, with a bootstrap interval over the queries): the spread between easy and
hard queries cancels, and a small real difference can be told from noise.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from artdl.core import StatsConfig, Verdict, paired_bootstrap, verdict

__all__ = ["versus_baseline"]


def versus_baseline(
    per_query: Mapping[str, np.ndarray], baseline: str, metric: str, stats: StatsConfig | None = None
) -> dict[str, Verdict]:
    """The verdict of every other embedding against ``baseline`` (e.g. ``pixels``) in ``metric``,
    paired over the same queries; an empty dict when the baseline was not measured or no query counts.

    The comparisons are one family (Bonferroni, :meth:`artdl.core.StatsConfig.for_family`): they are
    read side by side, and four of them at 95% each would name a false winner about one time in five.
    """
    if baseline not in per_query or not len(per_query[baseline]):
        return {}
    base = per_query[baseline]
    stats = (stats or StatsConfig()).for_family(len(per_query) - 1)
    return {
        name: verdict(paired_bootstrap(scores, base, stats), f"`{name}`", f"`{baseline}`", metric)
        for name, scores in per_query.items()
        if name != baseline
    }
