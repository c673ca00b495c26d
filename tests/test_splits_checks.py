"""The split's refusals and checks: group counts per label, unknown artists, classes in every split.

A split draws *groups* (look-alikes; under ``data.split.group_by=artist`` whole artists), so what it
can do depends on groups, not images: these tests pin the clear errors that replace sklearn's bare
ones, the one rule for "no identified painter", and 02's check that the artist-disjoint split still
has every class in train and in test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from artdl import data
from artdl.core import load_config


def _table(labels: list[str], artists: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"path": [f"p{i}.jpg" for i in range(len(labels))], "label": labels})
    if artists is not None:
        frame["artist"] = artists
    return frame


# --------------------------------------------------------------------------------------------
# make_splits: groups per label
# --------------------------------------------------------------------------------------------
def test_more_labels_than_test_groups_is_a_clear_error_not_sklearns():
    """10 labels x 3 images passes min_per_label=3, but 15 % of 30 is 5 test images for 10 labels."""
    table = _table([f"l{i}" for i in range(10) for _ in range(3)])
    with pytest.raises(data.DataError, match=r"gives 25 and 5 groups, fewer than the 10 labels.*data\.split\.test"):
        data.make_splits(table, 0.15, 0.15, seed=42, min_per_label=3)


def test_a_label_whose_images_are_one_look_alike_group_is_named():
    """Three re-scans of one painting are 3 images but 1 group: sklearn said "only 1 member"."""
    table = _table(["a"] * 10 + ["b"] * 10 + ["x"] * 3)
    groups = np.arange(len(table))
    groups[20:23] = 20  # x's three images: one painting
    with pytest.raises(data.DataError, match=r"'x' \(3 images in 1 group\).*data\.min_per_label"):
        data.make_splits(table, 0.15, 0.15, seed=42, min_per_label=3, groups=groups)


def test_enough_groups_per_label_still_splits_as_before():
    table = _table(["a"] * 20 + ["b"] * 20)
    out = data.make_splits(table, 0.15, 0.15, seed=42, groups=np.arange(40) // 2)  # pairs of look-alikes
    assert set(out["split"]) == {"train", "val", "test"}
    assert (out.groupby("group")["split"].nunique() == 1).all()


# --------------------------------------------------------------------------------------------
# Unknown artists: one rule
# --------------------------------------------------------------------------------------------
def test_aic_anonymous_attributions_are_one_group_each():
    names = ["Artist unknown", "Artist unknown", "Flemish", "Flemish", "Claude Monet", "Claude Monet", "", "nan"]
    groups = data.artist_groups(_table(["a"] * len(names), names))
    assert groups[0] != groups[1] and groups[2] != groups[3]
    assert groups[4] == groups[5]
    assert len(set(groups)) == len(names) - 1


def test_the_data_rule_matches_retrieves_on_its_examples():
    """04 marks these names unknown (artdl.retrieve.artist_known); the split now uses the same rule."""
    from artdl.retrieve import artist_known

    names = ["Claude Monet", "Artist unknown", "Italian; Tuscany", "Netherlandish or German", "Master of Riglos",
             "Flemish", "Northern Italian", "Giovanni di Paolo", "", "Unknown Artist", "claude-monet", "anonymous"]  # fmt: skip
    assert (~data.artist_unknown(names)).tolist() == artist_known(names).tolist()
    assert data.artist_unknown([None, float("nan"), "nan", "NaN"]).all()


# --------------------------------------------------------------------------------------------
# compare_splits: every class in train and in test
# --------------------------------------------------------------------------------------------
def _styles_table() -> pd.DataFrame:
    """Styles A and B by 20 artists each (3 paintings a piece), C by one artist (60 paintings)."""
    labels, artists = [], []
    for style in ("A", "B"):
        for a in range(20):
            labels += [style] * 3
            artists += [f"{style.lower()}-painter-{a}"] * 3
    labels += ["C"] * 60
    artists += ["c-painter"] * 60
    return _table(labels, artists)


def test_missing_classes_names_the_split_and_the_class():
    table = _styles_table()
    stratified = data.make_splits(table, 0.15, 0.15, seed=42)
    from artdl.classify.splits import missing_classes

    assert missing_classes(stratified, ["A", "B", "C"]) == {}
    disjoint = data.make_splits(table, 0.15, 0.15, seed=42, groups=data.artist_groups(table), balance_images=True)
    missing = missing_classes(disjoint, ["A", "B", "C"])
    assert missing and all(names == ["C"] for names in missing.values())


def test_compare_splits_refuses_an_artist_split_that_loses_a_class(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The old check compared the class lists of the whole table (always equal) and trained anyway."""
    import torch

    from artdl.classify import splits as classify_splits

    table = _styles_table()
    mine = data.make_splits(table, 0.15, 0.15, seed=42)
    by_artist = data.make_splits(table, 0.15, 0.15, seed=42, groups=data.artist_groups(table), balance_images=True)
    monkeypatch.setattr(classify_splits.data, "load_splits", lambda cfg, name=None: by_artist)

    def no_training(*args, **kwargs):
        raise AssertionError("compare_splits went on to train on a split without every class")

    monkeypatch.setattr(classify_splits, "configured_loaders", no_training)
    monkeypatch.setattr(classify_splits, "finetune_pretrained", no_training)
    cfg = load_config("default", ["classify.dataset=styles", "data.split.group_by=none"])
    with pytest.raises(data.DataError, match=r"artist-disjoint split of styles has no (train|test) paintings of C"):
        classify_splits.compare_splits(cfg, mine, {}, ["A", "B", "C"], torch.device("cpu"), tmp_path)
