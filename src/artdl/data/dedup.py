"""Near-duplicate paintings: a perceptual hash and the groups of look-alikes it implies.

WikiArt holds many re-scans, crops and re-encodings of one painting. If one copy lands in the
training split and another in the test split, the test score measures memory, not style. The fix
is cheap: a 64-bit *difference hash* per image (greyscale, 9 x 8 pixels, one bit per "is this
pixel brighter than its right neighbour"), which survives rescaling, JPEG re-encoding and mild
colour changes, and groups of images whose hashes differ in at most ``max_distance`` bits.
:func:`artdl.data.splits.make_splits` keeps each group on one side of the split, and 04's retrieval
evaluation can skip a query's own look-alikes.

Finding all pairs within Hamming distance ``d`` exactly does not need all n^2 comparisons: split
the 64 bits into ``d + 1`` bands; by the pigeonhole principle two hashes within ``d`` bits agree
exactly on at least one band (multi-index hashing, Norouzi et al. 2012). Only pairs that share a
band value are compared, and groups are the connected components of the verified pairs.

Public API: :func:`dhash`, :func:`difference_hashes`, :func:`hamming`, :func:`near_duplicate_pairs`,
:func:`near_duplicate_groups`, :func:`group_summary`, :func:`dataset_groups`, :func:`conflicting_rows`,
:func:`conflict_summary`.

A group whose copies carry *different* labels (one scan filed under Expressionism, its twin under
Symbolism) is a labelling conflict, not a style: :func:`conflict_summary` counts them, and
:func:`artdl.data.splits.make_splits` keeps them out of the test split by default.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from artdl.data.pixels import to_grey

__all__ = [
    "CONFLICT_PAIRS_SHOWN",
    "conflict_summary",
    "conflicting_rows",
    "dataset_groups",
    "dataset_hashes",
    "dhash",
    "difference_hashes",
    "group_summary",
    "hamming",
    "near_duplicate_groups",
    "near_duplicate_pairs",
]

HASH_SIZE = 8  # 8 x 8 comparisons = 64 bits
CONFLICT_PAIRS_SHOWN = 5  # label pairs a record keeps: the most frequent conflicts, enough to see a pattern
_BIT_WEIGHTS = (np.uint64(1) << np.arange(63, -1, -1, dtype=np.uint64)).astype(np.uint64)


def _grey(item: Any) -> Image.Image:
    """A greyscale PIL image from a path, PIL image or HWC/CHW array (uint8 or floats in [0, 1])."""
    if isinstance(item, (str, os.PathLike)):
        with Image.open(item) as im:  # no JPEG draft mode: a file and its decoded image hash alike
            return to_grey(im)  # upright, and a 16-bit scan rescaled (not clipped white) as training sees it
    if isinstance(item, Image.Image):
        return to_grey(item)
    array = np.asarray(item)
    if array.ndim == 3 and array.shape[0] in (1, 3) and array.shape[-1] not in (1, 3):
        array = array.transpose(1, 2, 0)  # CHW -> HWC
    if array.dtype != np.uint8:
        scale = 255.0 if array.max() <= 1.0 else 1.0
        array = np.clip(array * scale, 0, 255).astype(np.uint8)
    return Image.fromarray(array.squeeze()).convert("L")


def _pack(bits: np.ndarray) -> np.ndarray:
    """(N, ...) booleans with 64 per image -> N uint64, the first bit the most significant."""
    return (bits.reshape(len(bits), 64).astype(np.uint64) * _BIT_WEIGHTS).sum(axis=1, dtype=np.uint64)


def difference_hashes(images_or_paths: Iterable[Any], progress: bool = False) -> np.ndarray:
    """(N, 2) uint64: the horizontal :func:`dhash` and its vertical twin, every image decoded once.

    The vertical hash compares each pixel of an 8 x 9 thumbnail with the one below. Two hashes
    matter on paintings: a centred figure on a flat ground (posters, costume designs, sketches)
    gives nearly the same *horizontal* hash whatever the figure, so one hash alone chains
    hundreds of unrelated images into one group; a real copy is close in both.
    """
    from tqdm.auto import tqdm

    items = list(images_or_paths)
    h = np.empty((len(items), HASH_SIZE, HASH_SIZE + 1), dtype=np.float32)
    v = np.empty((len(items), HASH_SIZE + 1, HASH_SIZE), dtype=np.float32)
    for i, item in enumerate(tqdm(items, desc="dhash", disable=not progress, leave=False)):
        grey = _grey(item)
        h[i] = np.asarray(grey.resize((HASH_SIZE + 1, HASH_SIZE), Image.Resampling.BOX), dtype=np.float32)
        v[i] = np.asarray(grey.resize((HASH_SIZE, HASH_SIZE + 1), Image.Resampling.BOX), dtype=np.float32)
    return np.stack([_pack(h[:, :, 1:] > h[:, :, :-1]), _pack(v[:, 1:, :] > v[:, :-1, :])], axis=1)


def dhash(images_or_paths: Iterable[Any], progress: bool = False) -> np.ndarray:
    """64-bit difference hashes (``uint64``, one per image) of paths, PIL images or HWC/CHW arrays.

    Each image becomes a 9 x 8 greyscale thumbnail (box filter, so rescaled copies average to the
    same pixels); bit ``i`` is 1 where a pixel is brighter than its right neighbour, row-major from
    the most significant bit. Decoding is per image; comparison and bit packing run on all
    thumbnails at once.
    """
    return difference_hashes(images_or_paths, progress)[:, 0]


def hamming(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """Number of differing bits between uint64 hashes (broadcasts)."""
    return np.bitwise_count(np.bitwise_xor(np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64)))


def _bands(n_bands: int) -> list[tuple[int, int]]:
    """(shift, width) of ``n_bands`` near-equal bit bands covering 64 bits."""
    widths = [64 // n_bands + (1 if i < 64 % n_bands else 0) for i in range(n_bands)]
    shifts = np.cumsum([0, *widths[:-1]])
    return [(int(s), int(w)) for s, w in zip(shifts, widths)]


def _candidate_pairs(
    band_values: np.ndarray, block: int = 2_000_000
) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """All index pairs (i < j) that share a band value, yielded in blocks of at most ~``block``."""
    order = np.argsort(band_values, kind="stable")
    sorted_values = band_values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    for size in np.unique(sizes[sizes > 1]):
        bucket_starts = starts[sizes == size]
        ii, jj = np.triu_indices(int(size), k=1)
        per_block = max(1, block // len(ii))
        for k in range(0, len(bucket_starts), per_block):
            base = bucket_starts[k : k + per_block, None]
            yield order[(base + ii).ravel()], order[(base + jj).ravel()]


def _as_hash_matrix(hashes: np.ndarray) -> np.ndarray:
    """(N,) or (N, k) hashes -> (N, k) uint64."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    return hashes[:, None] if hashes.ndim == 1 else hashes


def near_duplicate_pairs(hashes: np.ndarray, max_distance: int = 4) -> np.ndarray:
    """Every pair (i, j), i < j, within ``max_distance`` bits; shape (P, 2), exact.

    ``hashes`` is (N,) or (N, k): with k hashes per image (e.g. :func:`difference_hashes`) a pair
    must be within ``max_distance`` on every one. Candidates come from multi-index hashing on the
    first hash (``max_distance + 1`` bands, one of which two close hashes share exactly), so the
    work grows with the number of look-alike candidates, not with N^2.
    """
    matrix = _as_hash_matrix(hashes)
    if max_distance < 0:
        raise ValueError(f"max_distance must be >= 0, got {max_distance}.")
    first = matrix[:, 0]
    found: list[np.ndarray] = []
    for shift, width in _bands(min(max_distance + 1, 64)):
        mask = np.uint64((1 << width) - 1)
        values = (first >> np.uint64(shift)) & mask
        for i, j in _candidate_pairs(values):
            close = (hamming(matrix[i], matrix[j]) <= max_distance).all(axis=1)
            if close.any():
                found.append(np.stack([np.minimum(i, j)[close], np.maximum(i, j)[close]], axis=1))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(found).astype(np.int64), axis=0)  # a pair can share several bands


def near_duplicate_groups(hashes: np.ndarray, max_distance: int = 4, skip_blank: bool = True) -> np.ndarray:
    """A group id per image: images linked by a chain of pairs within ``max_distance`` bits share one.

    ``hashes``: (N,) from :func:`dhash` or (N, k) from :func:`difference_hashes` (then a pair must
    be close in every hash). Ids are 0..G-1 in order of first appearance, so the result is stable
    for a fixed input order. The grouping is transitive (connected components, i.e. union-find,
    over the exact pairs of :func:`near_duplicate_pairs`), which is what a split needs: no chain of
    look-alikes crosses it. With ``skip_blank`` an all-zero hash (a flat image) stays a singleton.
    7,000 hashes take well under a second.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    matrix = _as_hash_matrix(hashes)
    n = len(matrix)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    pairs = near_duplicate_pairs(matrix, max_distance)
    if skip_blank:
        # All-zero hashes come from flat images (a blank canvas, a solid test image): no pixel is
        # brighter than its neighbour, so the hash carries no content and must not link anything.
        blank = (matrix == 0).all(axis=1)
        pairs = pairs[~(blank[pairs[:, 0]] | blank[pairs[:, 1]])]
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse]


def group_summary(groups: np.ndarray) -> dict[str, int]:
    """How much grouping happened: images, groups, groups with >1 image, images in those groups."""
    sizes = np.bincount(np.asarray(groups, dtype=np.int64)) if len(groups) else np.zeros(0, dtype=np.int64)
    multi = sizes[sizes > 1]
    return {
        "images": int(len(groups)),
        "groups": int(len(sizes)),
        "merged_groups": int(len(multi)),
        "images_in_merged_groups": int(multi.sum()),
        "largest_group": int(sizes.max()) if len(sizes) else 0,
    }


def conflicting_rows(groups: Sequence[int] | np.ndarray, labels: Sequence[Any]) -> np.ndarray:
    """A boolean per row: does it sit in a look-alike group whose members carry more than one label?

    Singletons never conflict. ``groups`` are near-duplicate ids (:func:`dataset_groups`), not artist
    groups: an artist who painted in two styles is no conflict, one painting filed under two is.
    """
    group_ids, label_array = np.asarray(groups, dtype=np.int64), np.asarray(labels, dtype=object)
    if len(group_ids) != len(label_array):
        raise ValueError(f"{len(group_ids)} group ids for {len(label_array)} labels.")
    frame = pd.DataFrame({"group": group_ids, "label": label_array})
    n_labels = frame.groupby("group")["label"].transform("nunique")
    return (n_labels > 1).to_numpy()


def conflict_summary(
    groups: Sequence[int] | np.ndarray, labels: Sequence[Any], top: int = CONFLICT_PAIRS_SHOWN
) -> dict[str, Any]:
    """How many look-alike groups disagree on their label, how many paintings they hold, and which pairs.

    ``label_pairs`` lists the ``top`` most frequent unordered label pairs as
    ``{"labels": [a, b], "groups": n}`` (a < b; a group of three labels counts once for each of its
    pairs; ties in alphabetical order), so a record can say *which* styles the duplicates confuse.
    """
    from itertools import combinations

    group_ids = np.asarray(groups, dtype=np.int64)
    label_array = np.asarray(labels, dtype=object)
    mask = conflicting_rows(group_ids, label_array)
    counts: dict[tuple[str, str], int] = {}
    frame = pd.DataFrame({"group": group_ids[mask], "label": label_array[mask].astype(str)})
    for _, members in frame.groupby("group")["label"]:
        for pair in combinations(sorted(set(members)), 2):
            counts[pair] = counts.get(pair, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return {
        "conflicting_groups": int(frame["group"].nunique()),
        "images_in_conflicting_groups": int(mask.sum()),
        "label_pairs": [{"labels": list(pair), "groups": n} for pair, n in ranked],
    }


def _file_key(path: str) -> str:
    stat = os.stat(path)
    return hashlib.sha1(f"{path}|{stat.st_mtime_ns}|{stat.st_size}".encode()).hexdigest()[:20]


def dataset_hashes(
    paths: Sequence[str], cache_dir: str | os.PathLike[str] | None = None, progress: bool = True
) -> np.ndarray:
    """:func:`difference_hashes` (N x 2) of files, cached per file by path, modification time and size.

    The cache (``dhash.json`` in ``cache_dir``, default ``data/processed/cache/dhash``) maps a file
    key to its two hashes, so a re-split or a grown crawl only hashes new or changed files.
    """
    from artdl.core import atomic_path, processed_dir

    folder = Path(cache_dir) if cache_dir is not None else processed_dir("cache", "dhash")
    folder.mkdir(parents=True, exist_ok=True)
    cache_file = folder / "dhash.json"
    cache: dict[str, str] = json.loads(cache_file.read_text()) if cache_file.is_file() else {}
    keys = [_file_key(str(p)) for p in paths]
    todo = [i for i, k in enumerate(keys) if k not in cache]
    if todo:
        new = difference_hashes([paths[i] for i in todo], progress=progress)
        cache.update({keys[i]: f"{int(h):016x}{int(v):016x}" for i, (h, v) in zip(todo, new)})
        with atomic_path(cache_file) as tmp:
            tmp.write_text(json.dumps(cache))
    return np.array(
        [(int(cache[k][:16], 16), int(cache[k][16:], 16)) for k in keys], dtype=np.uint64
    ).reshape(len(keys), 2)


def dataset_groups(
    table: pd.DataFrame,
    cache_dir: str | os.PathLike[str] | None = None,
    max_distance: int = 4,
    progress: bool = True,
) -> np.ndarray:
    """Near-duplicate group ids for the rows of an artwork table (its ``path`` column).

    A pair must be within ``max_distance`` bits in both the horizontal and the vertical difference
    hash (:func:`difference_hashes`; the horizontal one alone merges unrelated figures on flat
    grounds). Hashes are cached by path + mtime + size (:func:`dataset_hashes`); grouping is
    :func:`near_duplicate_groups`. The result is aligned with the table's rows.
    """
    hashes = dataset_hashes([str(p) for p in table["path"]], cache_dir, progress=progress)
    return near_duplicate_groups(hashes, max_distance)
