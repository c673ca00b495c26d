"""The fixed train/val/test split: stratified, group-aware, written once and read by every notebook.

Look-alike images (re-scans of one painting, found by :mod:`artdl.data.dedup`) are kept on one side of
the line, since a copy in train and another in test would score memory as style.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from artdl.core import processed_dir, project_root, resolve
from artdl.data.sources import NEAR_DUPLICATE_BITS, DataError, dataset_spec
from artdl.data.table import build_table

__all__ = ["load_splits", "make_splits"]

log = logging.getLogger(__name__)


def make_splits(
    table: pd.DataFrame,
    val: float = 0.15,
    test: float = 0.15,
    seed: int = 42,
    min_per_label: int = 3,
    groups: Sequence[int] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Add a stratified ``split`` column (train/val/test) with a fixed seed.

    A given split (``given_split`` from train/ and val/ folders) is respected: the data set's own
    held-out images become ``test`` and the rest is divided into train and val.

    ``groups`` (one id per row, e.g. :func:`artdl.data.dedup.dataset_groups`) makes the split
    group-aware: look-alikes (re-scans, re-encodings of one painting) go to the same split, since a
    copy on each side of the line would score memory as style. Groups are split, stratified by their
    most common label; with a given split, a group that touches a held-out image joins ``test``.
    The result has a ``group`` column and ``attrs["groups"]``: how many groups were merged.
    """
    from sklearn.model_selection import train_test_split

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
    # One row per group, labelled by its most common label (ties: the first label in sort order).
    group_label = (
        out.groupby(["group", "label"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["group", "n", "label"], ascending=[True, False, True])
        .drop_duplicates("group")
        .set_index("group")["label"]
    )
    gids = group_label.index.to_numpy()
    glabels = group_label.to_numpy()
    pulled = 0
    if "given_split" in out.columns and out["given_split"].isin(["val", "test"]).any():
        held = out["given_split"].isin(["val", "test"]).to_numpy()
        held_groups = np.unique(group_ids[held])
        in_held_group = np.isin(group_ids, held_groups)
        pulled = int((in_held_group & ~held).sum())  # look-alikes of held-out images join the test split
        out.loc[in_held_group, "split"] = "test"
        pool = ~np.isin(gids, held_groups)
        tr, va = train_test_split(
            gids[pool], test_size=val / (1 - test), random_state=seed, stratify=glabels[pool]
        )
    else:
        pool_idx, te = train_test_split(
            np.arange(len(gids)), test_size=test, random_state=seed, stratify=glabels
        )
        tr, va = train_test_split(
            gids[pool_idx], test_size=val / (1 - test), random_state=seed, stratify=glabels[pool_idx]
        )
        out.loc[np.isin(group_ids, gids[te]), "split"] = "test"
    out.loc[np.isin(group_ids, tr), "split"] = "train"
    out.loc[np.isin(group_ids, va), "split"] = "val"
    sizes = np.bincount(np.unique(group_ids, return_inverse=True)[1])
    out.attrs["groups"] = {
        "images": len(out),
        "groups": len(sizes),
        "merged_groups": int((sizes > 1).sum()),
        "images_in_merged_groups": int(sizes[sizes > 1].sum()),
        "pulled_into_test": pulled,
    }
    return out


def _relative(path: str) -> str:
    try:
        return os.path.relpath(path, project_root())
    except ValueError:  # another drive on Windows
        return path


def load_splits(cfg: Any, dataset: str | None = None, rebuild: bool = False) -> pd.DataFrame:
    """The table with its ``split`` column, read from ``data/processed/<dataset>/splits.csv``.

    The file is written on first use and reused afterwards, so all notebooks share one split. It
    is rebuilt when the split settings or the set of images change (a new crawl, say).
    """
    name = dataset or str(cfg.data.dataset)
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
    groups = None
    if settings["near_duplicates"] >= 0:
        from artdl.data.dedup import dataset_groups

        groups = dataset_groups(table, max_distance=settings["near_duplicates"])
    split = make_splits(
        table, settings["val"], settings["test"], settings["seed"], cfg.data.min_per_label, groups=groups
    )
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
