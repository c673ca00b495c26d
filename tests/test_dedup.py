"""Near-duplicate hashing and grouping (artdl.data.dedup).

The behaviour is tested on synthetic paintings (smooth colour fields, written as JPEGs), so these
tests always run; one test checks look-alike pairs known in the real ``wikiart_styles7`` set.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from artdl.data import (
    conflict_summary,
    conflicting_rows,
    dataset_groups,
    dhash,
    difference_hashes,
    group_summary,
    hamming,
    near_duplicate_groups,
    near_duplicate_pairs,
)

# Known look-alike pairs in wikiart_styles7: one painting filed under two styles.
STYLES7_PAIRS = [
    ("Expressionism/wa224_2_45.jpg", "Post_Impressionism/wa224_4_41.jpg"),
    ("Impressionism/wa224_3_8454.jpg", "Romanticism/wa224_5_4954.jpg"),
    ("Expressionism/wa224_2_6936.jpg", "Impressionism/wa224_3_8592.jpg"),
]


def _smooth_painting(seed: int, side: int = 224) -> Image.Image:
    """A synthetic painting: a 6x6 field of random colours, smoothly upscaled, with a little noise.

    Smooth like a painting at the 9x8 pixels dHash looks at, so a rescaled re-encoded copy keeps its
    hash, and different seeds differ as different paintings do (10 bits or more apart over 200)."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8))
    pixels = np.asarray(coarse.resize((side, side), Image.Resampling.BICUBIC)).astype(float)
    pixels += rng.normal(0, 6, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _saved(image: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=90)
    return path


def _reencoded(source: Path | Image.Image, size: int, quality: int) -> Image.Image:
    """A rescaled, JPEG re-encoded copy: what a second scan or a re-upload looks like."""
    buffer = io.BytesIO()
    with Image.open(source) if isinstance(source, Path) else source.copy() as im:
        im.convert("RGB").resize((size, size), Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def test_dhash_is_uint64_and_accepts_paths_images_and_arrays(tmp_path: Path) -> None:
    path = _saved(_smooth_painting(0), tmp_path / "a.jpg")
    image = Image.open(path).convert("RGB")
    chw = np.asarray(image).transpose(2, 0, 1)
    hashes = dhash([path, str(path), image, np.asarray(image), chw, np.asarray(image) / 255.0])
    assert hashes.dtype == np.uint64 and hashes.shape == (6,)
    assert (hamming(hashes, hashes[0]) <= 1).all()


def test_dhash_bits_follow_brightness_to_the_right() -> None:
    ramp = np.tile(np.arange(0, 256, 28, dtype=np.uint8)[:9], (8, 1))  # brighter to the right
    assert dhash([ramp])[0] == np.uint64(2**64 - 1)
    assert dhash([ramp[:, ::-1].copy()])[0] == np.uint64(0)


def test_rescaled_reencoded_copy_lands_in_the_same_group(tmp_path: Path) -> None:
    originals = [_saved(_smooth_painting(seed), tmp_path / f"{seed}.jpg") for seed in range(3)]
    copies = [_reencoded(p, 160, 70) for p in originals] + [_reencoded(originals[0], 300, 95)]
    hashes = difference_hashes([*originals, *copies])
    groups = near_duplicate_groups(hashes, max_distance=4)
    assert groups[0] == groups[3] == groups[6]
    assert groups[1] == groups[4] and groups[2] == groups[5]
    assert len(set(groups[:3])) == 3  # the three paintings stay apart


def test_distinct_paintings_do_not_group(tmp_path: Path) -> None:
    paths = [_saved(_smooth_painting(seed), tmp_path / f"{seed}.jpg") for seed in range(150)]
    groups = near_duplicate_groups(difference_hashes(paths), max_distance=4)
    assert group_summary(groups)["merged_groups"] == 0


def test_group_count_on_a_small_set(tmp_path: Path) -> None:
    """Three paintings each with a rescaled copy beside 20 others: 26 images in 23 groups."""
    pair_files: list[Path] = []
    for seed in range(3):
        original = _saved(_smooth_painting(seed), tmp_path / "a" / f"{seed}.jpg")
        pair_files += [original, _saved(_reencoded(original, 160, 70), tmp_path / "b" / f"{seed}.jpg")]
    others = [_saved(_smooth_painting(seed), tmp_path / "c" / f"{seed}.jpg") for seed in range(100, 120)]
    table = pd.DataFrame({"path": [str(p) for p in pair_files + others]})
    groups = dataset_groups(table, cache_dir=tmp_path, progress=False)
    summary = group_summary(groups)
    assert summary == {
        "images": 26,
        "groups": 23,
        "merged_groups": 3,
        "images_in_merged_groups": 6,
        "largest_group": 2,
    }
    assert (groups[0::2][:3] == groups[1::2][:3]).all()
    # second call is served from the cache and gives the same answer
    assert (tmp_path / "dhash.json").is_file()
    assert (dataset_groups(table, cache_dir=tmp_path, progress=False) == groups).all()


def test_known_styles7_look_alikes_share_a_group(styles7_root: Path) -> None:
    """The real set's look-alikes (one painting filed under two styles) hash within the threshold."""
    paths = [styles7_root / f for pair in STYLES7_PAIRS for f in pair]
    groups = near_duplicate_groups(difference_hashes(paths), max_distance=4)
    assert (groups[0::2] == groups[1::2]).all() and len(set(groups)) == len(STYLES7_PAIRS)


def test_multi_index_pairs_equal_brute_force() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**63, size=300, dtype=np.uint64)
    flips = np.uint64(1) << rng.integers(0, 64, size=(300, 3)).astype(np.uint64)
    near = base ^ flips[:, 0] ^ flips[:, 1]  # within 2 bits of base
    hashes = np.concatenate([base, near])
    d = hamming(hashes[:, None], hashes[None, :])
    for k in (0, 2, 4, 7):
        i, j = np.triu_indices(len(hashes), 1)
        expected = {(a, b) for a, b in zip(i[d[i, j] <= k], j[d[i, j] <= k])}
        got = {tuple(p) for p in near_duplicate_pairs(hashes, k).tolist()}
        assert got == expected


def test_groups_are_transitive_and_ordered() -> None:
    hashes = np.array([0b0, 0b111, 0b111111, 2**64 - 1, 0b1], dtype=np.uint64)
    groups = near_duplicate_groups(hashes, max_distance=3, skip_blank=False)
    # 0 ~ 0b111 (3 bits) ~ 0b111111 (3 bits): one chain; all-ones alone; 0b1 joins the chain
    assert groups.tolist() == [0, 0, 0, 1, 0]
    # a blank (all-zero) hash links nothing: 0b111 and 0b1 are still within 3 bits of each other
    assert near_duplicate_groups(hashes, max_distance=3).tolist() == [0, 1, 1, 2, 1]
    assert near_duplicate_groups(np.empty(0, dtype=np.uint64)).size == 0
    with pytest.raises(ValueError):
        near_duplicate_pairs(hashes, -1)


def test_group_aware_split_keeps_look_alikes_together() -> None:
    from artdl import data

    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b", "c"], 40)
    groups = np.arange(120)
    groups[1:6] = 0  # five copies of one "a" painting
    groups[50:53] = 50  # three of one "b"
    groups[100] = 7  # a look-alike filed under another label ("c" row with an "a" painting)
    table = pd.DataFrame({"path": [f"p{i}" for i in range(120)], "label": labels, "x": rng.random(120)})
    out = data.make_splits(table, val=0.2, test=0.2, seed=3, groups=groups)
    for g in (0, 50, 7):
        assert out.loc[out["group"] == g, "split"].nunique() == 1
    assert set(out["split"]) == {"train", "val", "test"}
    assert out.attrs["groups"]["merged_groups"] == 3
    assert out.attrs["groups"]["images_in_merged_groups"] == 6 + 3 + 2
    # without groups every row is its own group
    plain = data.make_splits(table, val=0.2, test=0.2, seed=3)
    assert plain.attrs["groups"]["merged_groups"] == 0


def test_given_split_pulls_look_alikes_of_held_out_images_into_test() -> None:
    from artdl import data

    labels = np.repeat(["a", "b"], 30)
    given = np.where(np.arange(60) % 6 == 0, "val", "train")
    table = pd.DataFrame({"path": [f"p{i}" for i in range(60)], "label": labels, "given_split": given})
    groups = np.arange(60)
    groups[1] = 0  # a training copy of held-out image 0
    out = data.make_splits(table, val=0.2, test=0.2, seed=0, groups=groups)
    assert out.loc[[0, 1], "split"].tolist() == ["test", "test"]
    assert out.attrs["groups"]["pulled_into_test"] == 1


def test_combine_groups_joins_rows_that_share_any_group() -> None:
    from artdl.data import combine_groups

    looks = np.array([0, 0, 1, 2, 3, 4])  # rows 0 and 1 are look-alikes
    artist = np.array([5, 6, 6, 7, 7, 8])  # rows 1-2 one artist, rows 3-4 another
    assert combine_groups(looks, artist).tolist() == [0, 0, 0, 1, 1, 2]
    assert combine_groups(np.arange(4)).tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        combine_groups(np.arange(3), np.arange(4))


def _painting(seed: int) -> np.ndarray:
    """A 32 x 32 image with structure at the 9 x 8 scale, so its difference hash is not all zero."""
    return np.random.default_rng(seed).integers(0, 255, (8, 8, 3), dtype=np.uint8).repeat(4, 0).repeat(4, 1)


def test_conflicting_groups_are_counted_on_a_synthetic_table(tmp_path: Path) -> None:
    """Two copies of one image labelled differently conflict; two copies with one label do not."""
    rows = []
    for name, seed, label in [
        ("a1", 1, "Expressionism"), ("a2", 1, "Symbolism"),  # one painting, two labels: a conflict
        ("b1", 2, "Baroque"), ("b2", 2, "Baroque"),  # a look-alike pair that agrees
        ("c", 3, "Symbolism"), ("d", 4, "Expressionism"),  # singletons
        ("e1", 5, "Symbolism"), ("e2", 5, "Expressionism"), ("e3", 5, "Baroque"),  # three labels
    ]:  # fmt: skip
        path = tmp_path / f"{name}.png"
        Image.fromarray(_painting(seed)).save(path)
        rows.append({"path": str(path), "label": label})
    table = pd.DataFrame(rows)
    groups = dataset_groups(table, cache_dir=tmp_path / "cache", progress=False)
    assert group_summary(groups)["merged_groups"] == 3
    mask = conflicting_rows(groups, table["label"])
    assert mask.tolist() == [True, True, False, False, False, False, True, True, True]
    summary = conflict_summary(groups, table["label"])
    assert summary["conflicting_groups"] == 2 and summary["images_in_conflicting_groups"] == 5
    assert summary["label_pairs"][0] == {"labels": ["Expressionism", "Symbolism"], "groups": 2}
    assert {tuple(p["labels"]) for p in summary["label_pairs"][1:]} == {
        ("Baroque", "Expressionism"),
        ("Baroque", "Symbolism"),
    }
    assert len(conflict_summary(groups, table["label"], top=1)["label_pairs"]) == 1


def test_no_look_alikes_means_no_conflicts() -> None:
    summary = conflict_summary(np.arange(5), ["a", "b", "a", "b", "c"])
    assert summary == {"conflicting_groups": 0, "images_in_conflicting_groups": 0, "label_pairs": []}
    with pytest.raises(ValueError, match="3 group ids for 2 labels"):
        conflicting_rows([0, 0, 1], ["a", "b"])
