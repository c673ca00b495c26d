"""The artwork table and everything that turns a painting set into batches.

- :mod:`artdl.data.sources`: where a set lives on disk (explicit root, local mirror, ``data/raw``) and the data errors.
- :mod:`artdl.data.table`: one pandas table per set (``path, title, artist, label, date, source``).
- :mod:`artdl.data.splits`: the fixed train/val/test split, look-alikes kept on one side.
- :mod:`artdl.data.artists`: which names are no identified painter, and the artist groups of a split.
- :mod:`artdl.data.dedup`: difference hashes and look-alike groups.
- :mod:`artdl.data.image_cache`: resized JPEG and tensor caches.
- :mod:`artdl.data.loaders`: the torch dataset, transforms and loaders.
- :mod:`artdl.data.summary`: counts and coverage of a table (notebook 00).
- :mod:`artdl.data.fetch`: download the shipped sets from their pinned sources.
"""

from __future__ import annotations

from artdl.data.artists import UNKNOWN_ARTISTS, artist_groups, artist_unknown, combine_groups
from artdl.data.dedup import (
    CONFLICT_PAIRS_SHOWN,
    conflict_summary,
    conflicting_rows,
    dataset_groups,
    dataset_hashes,
    dhash,
    difference_hashes,
    group_summary,
    hamming,
    near_duplicate_groups,
    near_duplicate_pairs,
)
from artdl.data.image_cache import RESIZE_METHOD, cache_resized, cache_tensors, square
from artdl.data.loaders import (
    ArtworkDataset,
    balanced_sampler,
    eval_transform,
    make_loader,
    train_transform,
    worker_count,
)
from artdl.data.pixels import WIDE_GREY_MODES, to_grey, to_rgb, upright
from artdl.data.record import (
    ConflictPair,
    DataRecord,
    DuplicateGroups,
    LabelCounts,
    data_record,
    duplicate_groups,
)
from artdl.data.sources import (
    IMAGE_EXTENSIONS,
    NEAR_DUPLICATE_BITS,
    REQUIRED_COLUMNS,
    SPLIT_DIR_NAMES,
    DataError,
    dataset_location,
    dataset_root,
    dataset_spec,
)
from artdl.data.splits import CONFLICT_POLICIES, GROUP_BY, load_splits, make_splits
from artdl.data.summary import summarize_table
from artdl.data.table import (
    build_table,
    class_names,
    clean_artist_name,
    load_image,
    parse_year,
    read_aic,
    read_crawl,
    read_hub,
    read_imagefolder,
    subset_table,
    verify_images,
)

__all__ = [
    "WIDE_GREY_MODES",
    "ArtworkDataset",
    "CONFLICT_PAIRS_SHOWN",
    "CONFLICT_POLICIES",
    "ConflictPair",
    "DataError",
    "DataRecord",
    "DuplicateGroups",
    "GROUP_BY",
    "IMAGE_EXTENSIONS",
    "LabelCounts",
    "NEAR_DUPLICATE_BITS",
    "REQUIRED_COLUMNS",
    "RESIZE_METHOD",
    "SPLIT_DIR_NAMES",
    "UNKNOWN_ARTISTS",
    "artist_groups",
    "artist_unknown",
    "balanced_sampler",
    "build_table",
    "cache_resized",
    "cache_tensors",
    "class_names",
    "clean_artist_name",
    "combine_groups",
    "conflict_summary",
    "conflicting_rows",
    "data_record",
    "dataset_groups",
    "dataset_hashes",
    "dataset_location",
    "dataset_root",
    "dataset_spec",
    "dhash",
    "difference_hashes",
    "duplicate_groups",
    "eval_transform",
    "group_summary",
    "hamming",
    "load_image",
    "load_splits",
    "make_loader",
    "make_splits",
    "near_duplicate_groups",
    "near_duplicate_pairs",
    "parse_year",
    "read_aic",
    "read_crawl",
    "read_hub",
    "read_imagefolder",
    "square",
    "subset_table",
    "summarize_table",
    "to_grey",
    "to_rgb",
    "upright",
    "train_transform",
    "verify_images",
    "worker_count",
]
