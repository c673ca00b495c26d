"""The fixed train/val/test split: stratified, group-aware, written once and read by every notebook.

Look-alike images (re-scans of one painting, found by :mod:`artdl.data.dedup`) are kept on one side of
the line, since a copy in train and another in test would score memory as style.

A look-alike group whose copies carry *different* labels (one scan filed under Expressionism, its twin
under Symbolism) goes to train by default (``data.split.conflicting_duplicates: exclude_from_test``).
Such a painting has no single true label, so scoring it on val or test measures a coin flip of the
labelling, not the classifier; in train the network merely sees the painting under both labels, which
is what the data says. Train rather than dropped: no painting is lost, and every val and test
painting keeps one unambiguous label. ``keep`` splits them like any other group.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from artdl.core import processed_dir, project_root, resolve
from artdl.data.artists import (
    UNKNOWN_ARTIST_RULE,
    artist_groups,
    combine_groups,
)
from artdl.data.dedup import conflict_summary, conflicting_rows, dataset_groups
from artdl.data.sources import NEAR_DUPLICATE_BITS, DataError, dataset_spec
from artdl.data.table import build_table, subset_table

__all__ = ["CONFLICT_POLICIES", "GROUP_BY", "load_splits", "make_splits"]

GROUP_BY = ("none", "artist")  # data.split.group_by
CONFLICT_POLICIES = ("exclude_from_test", "keep")  # data.split.conflicting_duplicates; the first is the default

log = logging.getLogger(__name__)


def make_splits(
    table: pd.DataFrame,
    val: float = 0.15,
    test: float = 0.15,
    seed: int = 42,
    min_per_label: int = 3,
    groups: Sequence[int] | np.ndarray | None = None,
    balance_images: bool = False,
    train_only: Sequence[bool] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Add a stratified ``split`` column (train/val/test) with a fixed seed.

    A given split (``given_split`` from train/ and val/ folders) is respected: the data set's own
    held-out images become ``test`` and the rest is divided into train and val.

    ``groups`` (one id per row, e.g. :func:`artdl.data.dedup.dataset_groups`) makes the split
    group-aware: look-alikes (re-scans, re-encodings of one painting) go to the same split, since a
    copy on each side of the line would score memory as style. Groups are split, stratified by their
    most common label; with a given split, a group that touches a held-out image joins ``test``.
    The result has a ``group`` column and ``attrs["groups"]``: how many groups were merged.

    ``balance_images`` is for large groups (whole artists): the plain split draws a share of the
    *groups*, so one artist of 500 paintings can tip a split's size and label mix. Then sklearn's
    ``StratifiedGroupKFold`` assigns groups so that every split holds about its share of *images*
    of every label (the fractions become 1/round(1/fraction): 0.15 -> 1/7).

    ``train_only`` (a boolean per row, e.g. :func:`artdl.data.dedup.conflicting_rows`) sends every
    group holding such a row to train, also out of a given split's held-out images (why train: see
    the module docstring); the other groups are split as if those rows were absent, so without a
    True it changes nothing, byte for byte. ``attrs["groups"]["forced_into_train"]`` counts them.

    Without ``balance_images`` a label needs ``min_per_label`` *groups*, not only images, and every
    split enough groups for one of each label; otherwise a :class:`DataError` names what is short.
    """
    if not 0 < val < 1 or not 0 < test < 1 or val + test >= 1:
        raise DataError(f"Split fractions must be in (0, 1) with val + test < 1; got val={val}, test={test}.")
    counts = table["label"].value_counts()
    rare = counts[counts < min_per_label]
    if len(rare):
        listing = ", ".join(f"'{k}' ({v})" for k, v in rare.items())
        raise DataError(
            f"These labels have fewer than {min_per_label} images, too few for a train/val/test split: "
            f"{listing}. Collect more images for them, drop them from the data, or lower data.min_per_label."
        )
    out = table.copy()
    out["split"] = ""
    group_ids = np.arange(len(out)) if groups is None else np.asarray(groups, dtype=np.int64)
    if len(group_ids) != len(out):
        raise DataError(f"groups has {len(group_ids)} ids for {len(out)} rows.")
    out["group"] = group_ids
    group_label = _group_labels(out)
    forced = _forced_rows(group_ids, train_only)
    forced_groups = np.unique(group_ids[forced])
    kept = ~np.isin(group_label.index.to_numpy(), forced_groups)  # all True without conflicts: same arrays
    gids = group_label.index.to_numpy()[kept]
    glabels = group_label.to_numpy()[kept]
    if balance_images:
        out["split"] = _balanced_split(out, val, test, seed, forced)
        return _with_group_summary(out, group_ids, 0, int(forced.sum()))
    _check_groups_per_label(glabels, counts, min_per_label)
    pulled, out.loc[forced, "split"] = 0, "train"
    if "given_split" in out.columns and out["given_split"].isin(["val", "test"]).any():
        held = out["given_split"].isin(["val", "test"]).to_numpy() & ~forced
        held_groups = np.unique(group_ids[held])
        in_held_group = np.isin(group_ids, held_groups)
        pulled = int((in_held_group & ~held).sum())  # look-alikes of held-out images join the test split
        out.loc[in_held_group, "split"] = "test"
        pool = ~np.isin(gids, held_groups)
        tr, va = _stratified(gids[pool], glabels[pool], val / (1 - test), seed, ("train", "val"))
    else:
        pool_idx, te = _stratified(np.arange(len(gids)), glabels, test, seed, ("train + val", "test"))
        tr, va = _stratified(gids[pool_idx], glabels[pool_idx], val / (1 - test), seed, ("train", "val"))
        out.loc[np.isin(group_ids, gids[te]), "split"] = "test"
    out.loc[np.isin(group_ids, tr), "split"] = "train"
    out.loc[np.isin(group_ids, va), "split"] = "val"
    return _with_group_summary(out, group_ids, pulled, int(forced.sum()))


def _check_groups_per_label(glabels: np.ndarray, images: pd.Series, min_per_label: int) -> None:
    """Raise when a label has fewer than ``min_per_label`` groups: the split draws groups, not images.

    Three re-scans of one painting are one group, so they can fill one split only; counting images
    alone would pass such a label on to sklearn, which fails without saying which label or why.
    """
    names, n_groups = np.unique(glabels.astype(str), return_counts=True)
    few = [(name, int(n)) for name, n in zip(names, n_groups, strict=True) if n < min_per_label]
    if few:
        listing = ", ".join(f"'{k}' ({images.get(k, n)} images in {n} group{'s' * (n != 1)})" for k, n in few)
        raise DataError(
            f"These labels have fewer than {min_per_label} independent groups of images (look-alikes, found by "
            f"data.split.near_duplicates, always share a split), too few for a train/val/test split: {listing}. "
            f"Collect other paintings for them, drop them from the data, or lower data.min_per_label (a label "
            f"with fewer groups is then missing from some split)."
        )


def _stratified(
    ids: np.ndarray, labels: np.ndarray, share: float, seed: int, sides: tuple[str, str]
) -> tuple[np.ndarray, np.ndarray]:
    """``train_test_split(ids, test_size=share, stratify=labels)``, with its refusals as a :class:`DataError`.

    sklearn needs two groups of every label and at least one group per label on each side; these are
    checked here, with its own arithmetic (``ceil(share * n)`` on the ``sides[1]`` side), so that the
    message can name the labels and the settings to change. A split that sklearn accepts is unchanged.
    """
    from sklearn.model_selection import train_test_split

    names, n_groups = np.unique(labels.astype(str), return_counts=True)
    n_out = math.ceil(share * len(ids))
    first, second = sides
    if len(ids) == 0 or n_groups.min() < 2:
        few = ", ".join(f"'{k}'" for k, n in zip(names, n_groups, strict=True) if n < 2) or "(none left)"
        raise DataError(
            f"Dividing {len(ids)} groups of images into {first} and {second}: the labels {few} have a single "
            f"group left, and a stratified split needs one on each side. Collect more images of them or drop "
            f"them from the data; data.min_per_label (at least 3) catches such labels before the split."
        )
    if n_out < len(names) or len(ids) - n_out < len(names):
        raise DataError(
            f"Dividing {len(ids)} groups of images into {first} and {second} gives {len(ids) - n_out} and {n_out} "
            f"groups, fewer than the {len(names)} labels: a stratified split puts at least one group of every "
            f"label on each side. Collect more images, merge or drop small labels, or give {second} a larger "
            f"share (data.split.test / data.split.val)."
        )
    kept, taken = train_test_split(ids, test_size=share, random_state=seed, stratify=labels)
    return kept, taken


def _group_labels(out: pd.DataFrame) -> pd.Series:
    """One row per group, labelled by its most common label (ties: the first label in sort order)."""
    return (
        out.groupby(["group", "label"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["group", "n", "label"], ascending=[True, False, True])
        .drop_duplicates("group")
        .set_index("group")["label"]
    )


def _forced_rows(group_ids: np.ndarray, train_only: Sequence[bool] | np.ndarray | None) -> np.ndarray:
    """Every row of a group that holds a ``train_only`` row (all False without ``train_only``)."""
    if train_only is None:
        return np.zeros(len(group_ids), dtype=bool)
    mask = np.asarray(train_only, dtype=bool)
    if len(mask) != len(group_ids):
        raise DataError(f"train_only has {len(mask)} values for {len(group_ids)} rows.")
    return np.isin(group_ids, group_ids[mask])


def _with_group_summary(out: pd.DataFrame, group_ids: np.ndarray, pulled: int, forced: int) -> pd.DataFrame:
    sizes = np.bincount(np.unique(group_ids, return_inverse=True)[1])
    out.attrs["groups"] = {
        "images": len(out),
        "groups": len(sizes),
        "merged_groups": int((sizes > 1).sum()),
        "images_in_merged_groups": int(sizes[sizes > 1].sum()),
        "pulled_into_test": pulled,
        "forced_into_train": forced,
    }
    return out


def _balanced_split(out: pd.DataFrame, val: float, test: float, seed: int, forced: np.ndarray) -> np.ndarray:
    """Train/val/test by ``StratifiedGroupKFold``: whole groups, label shares kept over images.

    A given split's held-out images (and their groups) are ``test``; the rest is folded as usual.
    ``forced`` rows (whole groups) stay in train and out of the folds.
    """

    labels = out["label"].astype(str).to_numpy()
    groups = out["group"].to_numpy()
    split = np.full(len(out), "train", dtype=object)
    pool = np.flatnonzero(~forced)
    if "given_split" in out.columns and out["given_split"].isin(["val", "test"]).any():
        given = out["given_split"].isin(["val", "test"]).to_numpy() & ~forced
        held = np.isin(groups, groups[given])
        split[held] = "test"
        pool = pool[~held[pool]]
    else:
        pool = _take_fold(pool, labels, groups, test, seed, split, "test")
    _take_fold(pool, labels, groups, val / (1 - test), seed, split, "val")
    return split


def _take_fold(
    pool: np.ndarray, labels: np.ndarray, groups: np.ndarray, share: float, seed: int, split: np.ndarray, name: str
) -> np.ndarray:
    """Mark one fold of ``pool`` (about ``share`` of it) as ``name``; return the rest of the pool."""
    import warnings

    from sklearn.model_selection import StratifiedGroupKFold

    # no more folds than groups, nor than the largest label has images (sklearn refuses that): a
    # small set then gets a larger held-out share instead of an error
    most = int(np.unique(labels[pool], return_counts=True)[1].max()) if pool.size else 2
    n_folds = max(2, min(round(1 / share), len(np.unique(groups[pool])), most))
    folds = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # "least populated class has fewer members than n_splits": expected
        warnings.simplefilter("ignore", UserWarning)
        _, chosen = next(folds.split(pool, labels[pool], groups[pool]))
    split[pool[chosen]] = name
    return np.delete(pool, chosen)


def _relative(path: str) -> str:
    try:
        return os.path.relpath(path, project_root())
    except ValueError:  # another drive on Windows
        return path


def load_splits(cfg: Any, dataset: str | None = None, rebuild: bool = False) -> pd.DataFrame:
    """The table with its ``split`` column, read from ``data/processed/<dataset>/splits.csv``
    (``splits_by_artist.csv`` under ``data.split.group_by=artist``).

    The file is written on first use and reused afterwards, so all notebooks share one split. It
    is rebuilt when the split settings or the set of images change (a new crawl, say).
    """
    name = dataset or str(cfg.data.dataset)
    base = dataset_spec(cfg, name).get("subset_of")
    if base:
        return _view_splits(cfg, name, str(base), rebuild)
    out_dir = processed_dir(name)
    csv_path, meta_path = out_dir / "splits.csv", out_dir / "splits.json"
    from omegaconf import OmegaConf

    settings = {
        "dataset": name,
        "val": cfg.data.split.val,
        "test": cfg.data.split.test,
        "seed": cfg.data.split.seed,
        "label": str(dataset_spec(cfg, name).label),
        # Hamming distance of the near-duplicate groups kept on one side (-1: no grouping).
        "near_duplicates": int(
            OmegaConf.select(cfg, "data.split.near_duplicates", default=NEAR_DUPLICATE_BITS)
        ),
    }
    group_by = str(OmegaConf.select(cfg, "data.split.group_by", default="none") or "none")
    if group_by not in GROUP_BY:
        raise DataError(f"data.split.group_by={group_by} is not one of {', '.join(GROUP_BY)}.")
    if group_by != "none":  # only then: a default split's saved settings (and file) stay as they were
        settings["group_by"] = group_by
        settings["unknown_artists"] = UNKNOWN_ARTIST_RULE  # a split saved under an older rule is rebuilt
        # its own files, so that 02's side-by-side of both splits does not rebuild the other one
        csv_path, meta_path = out_dir / f"splits_by_{group_by}.csv", out_dir / f"splits_by_{group_by}.json"
    policy = str(OmegaConf.select(cfg, "data.split.conflicting_duplicates", default=CONFLICT_POLICIES[0]))
    if policy not in CONFLICT_POLICIES:
        raise DataError(
            f"data.split.conflicting_duplicates={policy} is not one of {', '.join(CONFLICT_POLICIES)}."
        )
    settings["conflicting_duplicates"] = policy  # a split saved before the switch existed is rebuilt
    table = build_table(cfg, name)
    if not rebuild and csv_path.is_file() and meta_path.is_file():
        saved = json.loads(meta_path.read_text())
        if saved.get("settings") == settings and saved.get("n_images") == len(table):
            split = pd.read_csv(csv_path, dtype={"label": str}, keep_default_na=False)
            split["path"] = [str(resolve(p)) for p in split["path"]]
            if set(split["path"]) == set(table["path"]) and "group" in split.columns:
                merged = split.merge(table, on=["path", "label"], how="left", suffixes=("_saved", ""))[
                    list(table.columns) + ["split", "group"]
                ]
                merged.attrs["groups"] = saved.get("groups", {})
                return merged
        log.info("Split settings or images changed; rebuilding %s", csv_path)
    split = _split_table(table, settings, int(cfg.data.min_per_label))
    to_save = split[["path", "label", "split", "group"]].copy()
    to_save["path"] = to_save["path"].map(_relative)
    from artdl.core import atomic_path

    with atomic_path(csv_path) as tmp:
        to_save.to_csv(tmp, index=False)
    with atomic_path(meta_path) as tmp:
        tmp.write_text(
            json.dumps(
                {"settings": settings, "n_images": len(table), "groups": split.attrs["groups"]}, indent=2
            )
        )
    return split


def _view_splits(cfg: Any, name: str, base: str, rebuild: bool) -> pd.DataFrame:
    """A view's rows with the split (and group) that its base set gave them.

    A view drawing its own split would put about 70 % of its test rows in the base set's training
    split: under ``full``, 04's fine-tuned backbone and the explorer's predictions (both 02's model,
    trained on ``wikiart_full``) would then be scored on paintings they were trained on.
    """
    # The view's own rule (subset_table, as build_table applies it) on the base set's split table:
    # the same rows as build_table(view), without listing and decoding the base set a second time.
    out = subset_table(load_splits(cfg, base, rebuild), dataset_spec(cfg, name), seed=int(cfg.data.split.seed),
                       min_per_label=int(cfg.data.min_per_label))  # fmt: skip
    out.attrs["groups"] = {"split_of": base}
    return out


def _split_table(table: pd.DataFrame, settings: dict[str, Any], min_per_label: int) -> pd.DataFrame:
    """:func:`make_splits` with the groupings ``settings`` asks for, and the look-alike conflicts counted.

    Conflicts are found in the look-alike groups alone (an artist group holds many labels by nature),
    counted whatever the policy, and sent to train under ``exclude_from_test``.
    """
    look_alikes = groups = None
    if settings["near_duplicates"] >= 0:
        look_alikes = groups = dataset_groups(table, max_distance=settings["near_duplicates"])
    by_artist = settings.get("group_by") == "artist"
    if by_artist:
        artists = artist_groups(table)
        groups = artists if groups is None else combine_groups(groups, artists)
    conflicts = None if look_alikes is None else conflicting_rows(look_alikes, table["label"].to_numpy())
    exclude = settings["conflicting_duplicates"] == "exclude_from_test"
    split = make_splits(
        table,
        settings["val"],
        settings["test"],
        settings["seed"],
        min_per_label,
        groups=groups,
        balance_images=by_artist,
        train_only=conflicts if exclude else None,
    )
    if look_alikes is not None:
        split.attrs["groups"].update(
            conflict_summary(look_alikes, table["label"].to_numpy()),
            conflicting_policy=settings["conflicting_duplicates"],
            conflicting_in_test=int((conflicts & (split["split"] == "test").to_numpy()).sum()),
        )
    return split
