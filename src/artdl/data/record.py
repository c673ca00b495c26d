"""00's results record: what the split of a data set holds, per label and split.

Built by :func:`data_record` from the split table and written to ``results/00_data.json``; the
Findings of 00 and the README's split table (:mod:`artdl.report.data`) read its fields. The
look-alike summary :class:`DuplicateGroups` is shared with the records of 02 and 04, which report
the same grouping of their own tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from artdl.core import Provenance, Record
from artdl.data.summary import summarize_table

__all__ = [
    "ConflictPair",
    "DataRecord",
    "DuplicateGroups",
    "LabelCounts",
    "data_record",
    "duplicate_groups",
]


@dataclass(kw_only=True)
class ConflictPair:
    """Two labels that copies of one painting carry, and in how many look-alike groups."""

    labels: list[str]
    groups: int


@dataclass(kw_only=True)
class DuplicateGroups:
    """How many look-alike images were grouped (difference hash within a few bits) and kept together.

    The ``conflicting_*`` fields count the groups whose copies carry different labels
    (:func:`artdl.data.dedup.conflict_summary`) and where they went; ``None`` where the split was
    made without counting them (a split written before the count existed: re-run 00 / 02).
    """

    images: int = 0
    groups: int = 0
    merged_groups: int = 0
    images_in_merged_groups: int = 0
    pulled_into_test: int = 0
    conflicting_groups: int | None = None
    images_in_conflicting_groups: int | None = None
    label_pairs: list[ConflictPair] | None = None  # the most frequent, at most dedup.CONFLICT_PAIRS_SHOWN
    conflicting_policy: str | None = None  # data.split.conflicting_duplicates: exclude_from_test | keep
    conflicting_in_test: int | None = None  # paintings of conflicting groups in the test split
    forced_into_train: int | None = None  # rows the policy sent to train (whole split groups)


def duplicate_groups(summary: Mapping[str, Any] | None) -> DuplicateGroups:
    """A :class:`DuplicateGroups` from ``data.group_summary`` or a table's ``attrs["groups"]``
    (which may hold more keys, e.g. the largest group, that no report reads)."""
    known = DuplicateGroups.__dataclass_fields__
    values: dict[str, Any] = {}
    for key, value in (summary or {}).items():
        if key not in known or value is None:
            continue
        if key == "label_pairs":
            values[key] = [ConflictPair(labels=[str(x) for x in p["labels"]], groups=int(p["groups"])) for p in value]
        else:
            values[key] = str(value) if key == "conflicting_policy" else int(value)
    return DuplicateGroups(**values)


@dataclass(kw_only=True)
class LabelCounts:
    train: int = 0
    val: int = 0
    test: int = 0
    total: int = 0


@dataclass(kw_only=True)
class DataRecord(Record):
    """The counts of 00: paintings, labels, the split per label, artists and dates."""

    NOTEBOOK = "00_data"
    SCHEMA_VERSION = 2  # 2: near_duplicate_groups counts the look-alike groups whose labels disagree
    SECTIONS = ("data",)

    dataset: str
    label_column: str
    n_paintings: int
    n_labels: int
    per_label: dict[str, LabelCounts]
    per_split: dict[str, int]
    imbalance: float
    n_named_artists: int
    n_dated: int
    year_min: int | None = None
    year_max: int | None = None
    split_seed: int
    near_duplicate_groups: DuplicateGroups = field(default_factory=DuplicateGroups)


def data_record(table: pd.DataFrame, dataset: str, label_column: str, split_seed: int) -> DataRecord:
    """00's record of a split artwork table (the output of ``data.load_splits``)."""
    s = summarize_table(table, dataset, label_column, split_seed)
    return DataRecord(
        provenance=Provenance(dataset=dataset, split="train/val/test"),
        dataset=s["dataset"],
        label_column=s["label_column"],
        n_paintings=s["n_paintings"],
        n_labels=s["n_labels"],
        per_label={k: LabelCounts(**v) for k, v in s["per_label"].items()},
        per_split=s["per_split"],
        imbalance=s["imbalance"],
        n_named_artists=s["n_named_artists"],
        n_dated=s["n_dated"],
        year_min=s["year_min"],
        year_max=s["year_max"],
        split_seed=s["split_seed"],
        near_duplicate_groups=duplicate_groups(s["near_duplicate_groups"]),
    )
