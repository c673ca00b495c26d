"""The numbers 00 reports about a data set: counts per label and split, artists, dates.

They go into ``results/00_data.json`` (see :mod:`artdl.core.results`), from which 00's Findings and
the README's split table are rendered.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["summarize_table"]


def summarize_table(table: pd.DataFrame, dataset: str, label_column: str, split_seed: int) -> dict[str, Any]:
    """Counts of a split artwork table (the output of ``artdl.data.splits.load_splits``)."""
    per_label = {}
    for label, rows in table.groupby("label"):
        counts = rows["split"].value_counts()
        per_label[str(label)] = {s: int(counts.get(s, 0)) for s in ("train", "val", "test")}
        per_label[str(label)]["total"] = len(rows)
    totals = [c["total"] for c in per_label.values()]
    years = table["year"].dropna() if "year" in table else pd.Series(dtype=float)
    groups = table.attrs.get("groups", {})
    return {
        "dataset": dataset,
        "label_column": label_column,
        "n_paintings": len(table),
        "n_labels": len(per_label),
        "per_label": per_label,
        "per_split": {str(k): int(v) for k, v in table["split"].value_counts().items()},
        "imbalance": max(totals) / max(1, min(totals)),
        "n_named_artists": int(table["artist"].replace("", pd.NA).nunique()) if "artist" in table else 0,
        "n_dated": len(years),
        "year_min": int(years.min()) if len(years) else None,
        "year_max": int(years.max()) if len(years) else None,
        "split_seed": split_seed,
        "near_duplicate_groups": groups,
    }
