import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from artdl import data
from artdl.core import load_config


def _write_image(path: Path, color: tuple[int, int, int], size=(40, 30), mode="RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color if mode == "RGB" else color[0]).save(path)


@pytest.fixture
def folder_tree(tmp_path: Path) -> Path:
    root = tmp_path / "paintings"
    for label, color in (
        ("landscape", (0, 200, 0)),
        ("portrait", (200, 100, 50)),
        ("still_life", (20, 20, 200)),
    ):
        for i in range(10):
            _write_image(root / label / f"{label}-{i}.jpg", color)
    return root


def _cfg(root: Path, fmt: str = "imagefolder", label: str = "label", **extra: str):
    overrides = [
        f"datasets.tiny.root={root}",
        f"datasets.tiny.format={fmt}",
        f"datasets.tiny.label={label}",
        "data.dataset=tiny",
    ]
    overrides += [f"{k}={v}" for k, v in extra.items()]
    return load_config("default", overrides)


def test_imagefolder_table_has_required_columns(folder_tree: Path):
    table = data.read_imagefolder(folder_tree)
    assert list(table.columns[: len(data.REQUIRED_COLUMNS)]) == data.REQUIRED_COLUMNS
    assert len(table) == 30
    assert sorted(table["label"].unique()) == ["landscape", "portrait", "still_life"]
    assert table.loc[0, "title"] == "0"  # "landscape-0" minus the folder-name prefix


def test_imagefolder_respects_given_train_val_split(tmp_path: Path):
    root = tmp_path / "given"
    for split, n in (("train", 12), ("val", 3)):
        for label in ("a", "b"):
            for i in range(n):
                _write_image(root / split / label / f"{i}.png", (i * 10, 0, 0))
    table = data.read_imagefolder(root)
    assert set(table["given_split"]) == {"train", "val"}
    split = data.make_splits(table, val=0.15, test=0.15, seed=0)
    # The data set's own held-out images are exactly the test split.
    assert (split.loc[split.given_split == "val", "split"] == "test").all()
    assert set(split.loc[split.given_split == "train", "split"]) == {"train", "val"}


def test_splits_are_stratified_disjoint_and_reproducible(folder_tree: Path):
    table = data.read_imagefolder(folder_tree)
    a = data.make_splits(table, val=0.2, test=0.2, seed=1)
    b = data.make_splits(table, val=0.2, test=0.2, seed=1)
    c = data.make_splits(table, val=0.2, test=0.2, seed=2)
    assert a["split"].tolist() == b["split"].tolist()
    assert a["split"].tolist() != c["split"].tolist()
    assert a["split"].value_counts().to_dict() == {"train": 18, "val": 6, "test": 6}
    per_label = pd.crosstab(a["label"], a["split"])
    assert (per_label["test"] == 2).all() and (per_label["val"] == 2).all()


def test_label_with_too_few_images_is_a_clear_error(folder_tree: Path):
    _write_image(folder_tree / "rare" / "only-one.jpg", (1, 2, 3))
    table = data.read_imagefolder(folder_tree)
    with pytest.raises(data.DataError, match=r"'rare' \(1\)"):
        data.make_splits(table, min_per_label=3)


def test_corrupt_and_missing_images_are_skipped_with_a_count(folder_tree: Path):
    (folder_tree / "portrait" / "broken.jpg").write_bytes(b"this is not a jpeg")
    (folder_tree / "portrait" / "truncated.jpg").write_bytes(
        (folder_tree / "portrait" / "portrait-0.jpg").read_bytes()[:20]
    )
    table = data.read_imagefolder(folder_tree)
    assert len(table) == 32
    ghost = table.iloc[[0]].assign(path=str(folder_tree / "gone.jpg"))
    with pytest.warns(UserWarning, match="Skipped 3 of 33 images"):
        kept, skipped = data.verify_images(pd.concat([table, ghost], ignore_index=True))
    assert len(kept) == 30
    assert {Path(p).name for p in skipped} == {"broken.jpg", "truncated.jpg", "gone.jpg"}


def test_missing_folder_says_what_to_do(tmp_path: Path):
    cfg = _cfg(tmp_path / "nowhere")
    with pytest.raises(data.DataError, match="does not exist.*datasets.<name>.root"):
        data.build_table(cfg)


def test_unknown_dataset_name_lists_known():
    with pytest.raises(data.DataError, match="Known: aic_paintings"):
        data.dataset_spec(load_config(), "no_such_set")


def test_load_splits_writes_once_and_reuses(folder_tree: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ARTDL_ROOT", str(Path(__file__).resolve().parents[1]))
    monkeypatch.setattr("artdl.data.splits.processed_dir", lambda *parts: tmp_path.joinpath("processed", *parts))
    (tmp_path / "processed" / "tiny").mkdir(parents=True)
    cfg = _cfg(folder_tree)
    first = data.load_splits(cfg)
    csv = tmp_path / "processed" / "tiny" / "splits.csv"
    assert csv.is_file()
    saved = pd.read_csv(csv)
    saved.loc[0, "split"] = "test" if saved.loc[0, "split"] != "test" else "train"
    saved.to_csv(csv, index=False)  # a reused file is read, not recomputed
    second = data.load_splits(cfg)
    assert (second["split"] != first["split"]).sum() == 1
    # Changing the seed rebuilds the split.
    third = data.load_splits(_cfg(folder_tree, **{"data.split.seed": 5}))
    assert len(third) == 30 and set(third["split"]) == {"train", "val", "test"}


def test_crawl_reader(tmp_path: Path):
    root = tmp_path / "crawl"
    _write_image(root / "images" / "a.jpg", (10, 10, 10))
    _write_image(root / "images" / "b.jpg", (20, 20, 20))
    pd.DataFrame(
        {
            "content_id": ["1", "2"],
            "title": ["Water Lilies", "Haystacks"],
            "artist": ["Claude Monet"] * 2,
            "artist_url": ["claude-monet"] * 2,
            "style": ["Impressionism"] * 2,
            "genre": ["landscape"] * 2,
            "date": ["1906", "1891"],
            "width": ["40", "40"],
            "height": ["30", "30"],
            "image_url": ["http://x/a.jpg", "http://x/b.jpg"],
            "page_url": ["http://x/a", "http://x/b"],
            "path": ["images/a.jpg", "images/b.jpg"],
        }
    ).to_csv(root / "metadata.csv", index=False)
    table = data.read_crawl(root, "genre")
    assert table["label"].tolist() == ["landscape", "landscape"]
    assert table["year"].tolist() == [1906.0, 1891.0]
    assert all(Path(p).is_file() for p in table["path"])


def test_crawl_reader_without_metadata_says_how_to_crawl(tmp_path: Path):
    (tmp_path / "crawl").mkdir()
    with pytest.raises(data.DataError, match="python -m artdl crawl"):
        data.read_crawl(tmp_path / "crawl")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("After Jacobo Bassano (Italian, c. 1510-1592)", ("Jacobo Bassano", "after")),
        (
            "Attributed to Giuseppe Maria Crespi (Italian, 1665–1747)",
            ("Giuseppe Maria Crespi", "attributed to"),
        ),
        ("Claude Monet (French, 1840-1926)", ("Claude Monet", "")),
    ],
)
def test_clean_artist_name(raw, expected):
    assert data.clean_artist_name(raw) == expected


def test_parse_year():
    assert data.parse_year("c. 1710") == 1710
    assert data.parse_year("1872–75") == 1872
    assert np.isnan(data.parse_year("Date unknown"))


def test_dataset_and_balanced_sampler(folder_tree: Path):
    table = data.read_imagefolder(folder_tree)
    skewed = pd.concat([table[table.label == "landscape"], table[table.label != "landscape"].iloc[:4]])
    ds = data.ArtworkDataset(skewed, transform=data.eval_transform(16))
    image, target = ds[0]
    assert isinstance(image, torch.Tensor) and image.shape == (3, 16, 16)
    assert target == ds.class_to_idx["landscape"]
    sampler = data.balanced_sampler(ds.targets, num_samples=3000, seed=0)
    drawn = np.bincount([ds.targets[i] for i in sampler], minlength=len(ds.classes))
    assert drawn.min() / drawn.max() > 0.8  # roughly equal although landscape is 10 vs 4 vs 0
    loader = data.make_loader(ds, batch_size=4, balanced=True)
    xb, yb = next(iter(loader))
    assert xb.shape == (4, 3, 16, 16) and yb.shape == (4,)


def test_dataset_rejects_labels_outside_class_list(folder_tree: Path):
    table = data.read_imagefolder(folder_tree)
    with pytest.raises(data.DataError, match="not in the class list"):
        data.ArtworkDataset(table, classes=["landscape"])


def test_greyscale_images_load_as_rgb(tmp_path: Path):
    path = tmp_path / "grey.png"
    _write_image(path, (128, 0, 0), mode="L")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert data.load_image(path).mode == "RGB"


@pytest.mark.integration
def test_real_sets_build(aic_root: Path, louvre_root: Path, impressionists_root: Path):
    cfg = load_config("default", [f"paths.shared_datasets={aic_root.parent}"])
    aic = data.build_table(cfg, "aic_paintings")
    assert len(aic) == 267 and aic["label"].nunique() == 8
    louvre = data.make_splits(data.build_table(cfg, "louvre_genre"))
    assert (louvre["split"] == "test").sum() == 200
    monet = data.build_table(cfg, "wikiart_impressionists")
    assert set(monet["artist"]) == {"claude-monet", "berthe-morisot"}


def test_cache_resized_shrinks_once_and_keeps_small_images(tmp_path: Path):
    big = tmp_path / "src" / "big.jpg"
    small = tmp_path / "src" / "small.png"
    _write_image(big, (200, 10, 10), size=(800, 400))
    _write_image(small, (10, 10, 200), size=(60, 40))
    table = pd.DataFrame({"path": [str(big), str(small)], "label": ["a", "b"]})
    cache = tmp_path / "cache"
    out = data.cache_resized(table, 100, cache_dir=cache, progress=False)
    assert out["source_path"].tolist() == table["path"].tolist()
    with Image.open(out.loc[0, "path"]) as im:
        assert im.size == (200, 100)
    with Image.open(out.loc[1, "path"]) as im:
        assert im.size == (60, 40)
    mtimes = [Path(p).stat().st_mtime_ns for p in out["path"]]
    again = data.cache_resized(table, 100, cache_dir=cache, progress=False)
    assert again["path"].tolist() == out["path"].tolist()
    assert [Path(p).stat().st_mtime_ns for p in again["path"]] == mtimes  # not rewritten
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no temp files left


def _half_and_half(path: Path, size: tuple[int, int]) -> None:
    """Left half red, right half blue: a centre crop keeps both, a wrong axis order would not."""
    arr = np.zeros((size[1], size[0], 3), np.uint8)
    arr[:, : size[0] // 2] = (220, 0, 0)
    arr[:, size[0] // 2 :] = (0, 0, 220)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


def test_cache_tensors_holds_centre_squares_and_is_reused(tmp_path: Path):
    wide, tall = tmp_path / "src" / "wide.png", tmp_path / "src" / "tall.png"
    _half_and_half(wide, (300, 100))  # centre square: columns 100-200, half red, half blue
    _half_and_half(tall, (40, 120))
    table = pd.DataFrame({"path": [str(wide), str(tall), str(wide)], "label": ["a", "b", "a"]})
    out, npy = data.cache_tensors(table, 32, cache_dir=tmp_path / "cache", progress=False)
    array = np.load(npy)
    assert array.shape == (2, 3, 32, 32) and array.dtype == np.uint8  # one row per unique image
    assert out["tensor_row"].tolist() == [0, 1, 0]
    assert array[0, 0, :, :12].mean() > 200 and array[0, 2, :, :12].mean() < 20  # left: red
    assert array[0, 2, :, -12:].mean() > 200 and array[0, 0, :, -12:].mean() < 20  # right: blue
    mtime = npy.stat().st_mtime_ns
    again, npy_again = data.cache_tensors(table, 32, cache_dir=tmp_path / "cache", progress=False)
    assert npy_again == npy and npy.stat().st_mtime_ns == mtime  # reused, not rewritten
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [npy.name]  # no temp file left
    _half_and_half(tall, (40, 130))  # a changed source image means a new cache
    assert data.cache_tensors(table, 32, cache_dir=tmp_path / "cache", progress=False)[1] != npy


def test_tensor_dataset_matches_the_image_path(tmp_path: Path):
    """The tensor cache + uint8 transforms give what the PIL pipeline gives on the same square."""
    import torch

    paths = []
    for i, (w, h) in enumerate([(96, 64), (64, 100), (120, 60)]):  # gradients: the crop region shows
        path = tmp_path / f"p{i}.png"
        x, y = np.meshgrid(np.linspace(0, 255, w), np.linspace(0, 255, h))
        Image.fromarray(np.stack([x, y, 255 - x], -1).astype(np.uint8)).save(path)
        paths.append(str(path))
    table = pd.DataFrame({"path": paths, "label": ["x", "y", "x"]})
    cached, npy = data.cache_tensors(table, 64, cache_dir=tmp_path / "c", progress=False)
    mean, std = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
    from_files = data.ArtworkDataset(table, ["x", "y"], data.eval_transform(48, mean, std))
    from_tensors = data.ArtworkDataset(
        cached, ["x", "y"], data.eval_transform(48, mean, std, tensors=True), npy
    )
    for i in range(3):
        a, ya = from_files[i]
        b, yb = from_tensors[i]
        assert ya == yb and a.shape == b.shape == (3, 48, 48) and b.dtype == torch.float32
        assert (a - b).abs().mean() < 0.05  # same region, only resampled twice
    train_ds = data.ArtworkDataset(cached, ["x", "y"], data.train_transform(40, mean, std, tensors=True), npy)
    loader = data.make_loader(train_ds, batch_size=3, num_workers=2)  # workers reopen the memory map
    xb, yb = next(iter(loader))
    assert xb.shape == (3, 3, 40, 40) and yb.tolist() == [0, 1, 0] and -1.01 <= xb.min() and xb.max() <= 1.01
    with pytest.raises(data.DataError, match="cache_tensors"):
        data.ArtworkDataset(table, ["x", "y"], tensors=npy)


# --------------------------------------------------------------------------------------------
# Artist-aware splits (data.split.group_by: artist)
# --------------------------------------------------------------------------------------------
def _artist_table(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """Styles a-d (40/30/20/10 %), 40 named artists of very different sizes, and many unknown ones."""
    rng = np.random.default_rng(seed)
    named = [f"artist-{i}" for i in range(40)]
    weights = np.array([8.0] * 4 + [1.0] * 36)  # four prolific painters
    artists = np.where(
        rng.random(n) < 0.25,
        rng.choice(["Unknown Artist", ""], n),
        rng.choice(named, n, p=weights / weights.sum()),
    )
    labels = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1])
    return pd.DataFrame({"path": [f"p{i}.jpg" for i in range(n)], "label": labels, "artist": artists})


def test_artist_split_puts_no_artist_on_two_sides_and_spreads_unknowns():
    table = _artist_table()
    groups = data.artist_groups(table)
    out = data.make_splits(table, val=0.15, test=0.15, seed=42, groups=groups, balance_images=True)
    known = ~table["artist"].isin(["Unknown Artist", ""])
    sides = out[known].groupby("artist")["split"].nunique()
    assert (sides == 1).all(), sides[sides > 1]
    unknown = out[~known]
    assert unknown["split"].value_counts(normalize=True).min() > 0.05  # each unknown is its own group
    assert len(set(groups[~known.to_numpy()])) == (~known).sum()
    # stratification roughly holds: every split holds about its share of every label
    shares = pd.crosstab(out["label"], out["split"], normalize="columns")
    overall = out["label"].value_counts(normalize=True)
    assert (shares.sub(overall, axis=0).abs() < 0.08).all().all(), shares
    sizes = out["split"].value_counts(normalize=True)
    assert 0.6 < sizes["train"] < 0.8 and 0.08 < sizes["val"] < 0.22 and 0.08 < sizes["test"] < 0.22


def test_artist_groups_need_an_artist_column():
    with pytest.raises(data.DataError, match="group_by=none"):
        data.artist_groups(pd.DataFrame({"path": ["a"], "label": ["x"]}))


def test_default_split_is_unchanged_byte_for_byte():
    """Digests of the split the committed code (before group_by existed) made of the same table."""
    import hashlib

    rng = np.random.default_rng(7)  # the golden table of the committed code: same draws, same order
    table = pd.DataFrame(
        {
            "path": [f"p{i}.jpg" for i in range(300)],
            "label": rng.choice(["a", "b", "c", "d"], 300, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )
    groups = np.arange(300)
    groups[10:14], groups[100:103] = 10, 100

    def digest(frame: pd.DataFrame) -> str:
        return hashlib.sha256(frame[["path", "split", "group"]].to_csv(index=False).encode()).hexdigest()

    grouped = data.make_splits(table, val=0.15, test=0.15, seed=42, groups=groups)
    plain = data.make_splits(table, val=0.15, test=0.15, seed=42)
    assert digest(grouped) == "f726f81243af5100d5d5432969011d5b4bd2e1bcde44de5aecd6dac86808292b"
    assert digest(plain) == "fb38de6a7ee25f187114bf3a67eaba96440d78eacdcacaadeb619d632e0350f3"
    # A set without conflicting look-alikes: exclude_from_test has nothing to move, the split stays as it was.
    no_conflicts = data.conflicting_rows(groups, ["same"] * 300)
    assert not no_conflicts.any()
    for balance in (False, True):
        kept = data.make_splits(table, 0.15, 0.15, 42, groups=groups, train_only=no_conflicts, balance_images=balance)
        before = data.make_splits(table, 0.15, 0.15, 42, groups=groups, balance_images=balance)
        assert digest(kept) == digest(before) and kept.attrs["groups"]["forced_into_train"] == 0
    assert digest(data.make_splits(table, 0.15, 0.15, 42, groups=groups, train_only=no_conflicts)) == (
        "f726f81243af5100d5d5432969011d5b4bd2e1bcde44de5aecd6dac86808292b"
    )


def _conflicting_table(n: int = 300, n_conflicts: int = 12) -> tuple[pd.DataFrame, np.ndarray]:
    """The golden table with ``n_conflicts`` look-alike pairs whose two copies carry different labels."""
    rng = np.random.default_rng(7)
    labels = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1])
    groups = np.arange(n)
    for k in range(n_conflicts):
        i = 20 + 2 * k
        groups[i + 1] = groups[i]
        labels[i + 1] = "b" if labels[i] != "b" else "c"
    return pd.DataFrame({"path": [f"p{i}.jpg" for i in range(n)], "label": labels}), groups


@pytest.mark.parametrize("balance", [False, True])
def test_conflicting_look_alikes_stay_out_of_test_with_exclude_and_where_they_fall_with_keep(balance: bool):
    table, groups = _conflicting_table()
    conflicts = data.conflicting_rows(groups, table["label"])
    assert conflicts.sum() == 24
    excluded = data.make_splits(table, 0.15, 0.15, 42, groups=groups, train_only=conflicts, balance_images=balance)
    assert (excluded.loc[conflicts, "split"] == "train").all()
    assert excluded.attrs["groups"]["forced_into_train"] == 24
    assert set(excluded.loc[~conflicts, "split"]) == {"train", "val", "test"}
    assert (excluded.groupby("group")["split"].nunique() == 1).all()
    kept = data.make_splits(table, 0.15, 0.15, 42, groups=groups, balance_images=balance)
    assert (kept.loc[conflicts, "split"] == "test").any()  # the switch matters: keep lets them into test
    assert kept.attrs["groups"]["forced_into_train"] == 0


def test_conflicting_look_alikes_leave_a_given_test_split():
    table, groups = _conflicting_table()
    table["given_split"] = np.where(np.arange(len(table)) % 7 == 0, "val", "train")
    conflicts = data.conflicting_rows(groups, table["label"])
    out = data.make_splits(table, 0.15, 0.15, 42, groups=groups, train_only=conflicts)
    assert (out.loc[conflicts, "split"] == "train").all()
    held = (table["given_split"] == "val").to_numpy() & ~conflicts
    assert (out.loc[held, "split"] == "test").all()


def _conflict_tree(root: Path) -> None:
    """Three labels of 16 distinct images each, and 6 paintings filed under two labels (12 files)."""
    rng = np.random.default_rng(3)

    def painting() -> np.ndarray:
        return rng.integers(0, 255, (8, 8, 3), dtype=np.uint8).repeat(4, 0).repeat(4, 1)

    for label in ("a", "b", "c"):
        for i in range(16):
            (root / label).mkdir(parents=True, exist_ok=True)
            Image.fromarray(painting()).save(root / label / f"{label}{i}.png")
    for k in range(6):
        image = Image.fromarray(painting())
        first, second = [("a", "b"), ("b", "c"), ("a", "c")][k % 3]
        image.save(root / first / f"twin{k}.png")
        image.save(root / second / f"twin{k}.png")


def test_load_splits_counts_conflicts_and_obeys_the_switch(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("artdl.data.splits.processed_dir", lambda *parts: tmp_path.joinpath("processed", *parts))
    root = tmp_path / "paintings"
    _conflict_tree(root)
    twins = lambda frame: frame["path"].str.contains("twin").to_numpy()  # noqa: E731
    out = data.load_splits(_cfg(root))
    summary = out.attrs["groups"]
    assert summary["conflicting_groups"] == 6 and summary["images_in_conflicting_groups"] == 12
    assert summary["conflicting_policy"] == "exclude_from_test" and summary["conflicting_in_test"] == 0
    assert {tuple(p["labels"]) for p in summary["label_pairs"]} == {("a", "b"), ("a", "c"), ("b", "c")}
    assert (out.loc[twins(out), "split"] == "train").all()
    again = data.load_splits(_cfg(root))  # read back from splits.json: the counts survive
    assert again.attrs["groups"]["label_pairs"] == summary["label_pairs"]
    kept = data.load_splits(_cfg(root, **{"data.split.conflicting_duplicates": "keep"}))
    assert kept.attrs["groups"]["conflicting_policy"] == "keep"
    assert kept.attrs["groups"]["conflicting_in_test"] == int((kept.loc[twins(kept), "split"] == "test").sum())
    assert (kept.groupby("group")["split"].nunique() == 1).all()
    with pytest.raises(data.DataError, match="conflicting_duplicates=drop is not one of exclude_from_test, keep"):
        data.load_splits(_cfg(root, **{"data.split.conflicting_duplicates": "drop"}))


@pytest.fixture
def results_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throw-away project root (its own results/) that reads the checkout's configs."""
    repo = Path(__file__).resolve().parents[1]
    (tmp_path / "configs").symlink_to(repo / "configs", target_is_directory=True)
    (tmp_path / "src").symlink_to(repo / "src", target_is_directory=True)
    monkeypatch.setenv("ARTDL_ROOT", str(tmp_path))
    return tmp_path


def test_conflict_lines_in_00_and_02_come_from_the_record(results_root: Path):
    from dataclasses import replace

    from artdl.core import write_results
    from artdl.report import findings

    from .record_samples import classification_sample

    table = pd.DataFrame({"label": ["a", "a", "b", "b"], "split": ["train", "train", "val", "test"]})
    table.attrs["groups"] = {
        "images": 4, "groups": 3, "merged_groups": 1, "images_in_merged_groups": 2, "conflicting_groups": 1,
        "images_in_conflicting_groups": 2, "label_pairs": [{"labels": ["Expressionism", "Symbolism"], "groups": 1}],
        "conflicting_policy": "exclude_from_test", "conflicting_in_test": 0,
    }  # fmt: skip
    record = data.data_record(table, "toy", "style", 42)
    write_results(record)
    text = findings("00_data")  # through the results file: the typed fields survive JSON
    assert "1 look-alike group (2 paintings) carries different labels" in text
    assert "Expressionism / Symbolism (1)" in text and "put in train" in text
    kept = replace(record.near_duplicate_groups, conflicting_policy="keep", conflicting_in_test=2)
    write_results(replace(record, near_duplicate_groups=kept))
    assert "2 of them are in the test split" in findings("00_data")
    write_results(replace(record, near_duplicate_groups=replace(kept, conflicting_groups=None)))
    assert "re-run 00" in findings("00_data")

    run = classification_sample()
    write_results(run)
    assert "re-run 02" in findings("02_classify")  # the sample's groups predate the count
    run.task.split.groups = record.near_duplicate_groups
    write_results(run)
    text = findings("02_classify")
    assert "1 look-alike group (2 paintings) carries different labels" in text and "Symbolism (1)" in text


def test_load_splits_by_artist_keeps_look_alikes_and_artists_together(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("artdl.data.splits.processed_dir", lambda *parts: tmp_path.joinpath("processed", *parts))
    root = tmp_path / "crawl"
    rows = []
    rng = np.random.default_rng(1)
    for i in range(60):
        style = ["baroque", "cubism", "realism"][i % 3]
        artist = f"painter-{i % 12}" if i % 5 else "Unknown Artist"
        arr = rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)
        if i == 7:  # a re-scan of painting 1 by another painter's name
            arr = np.asarray(Image.open(root / rows[1]["path"]))
        rel = f"{style}/{i}.png"
        (root / style).mkdir(parents=True, exist_ok=True)
        Image.fromarray(arr).save(root / rel)
        rows.append({"path": rel, "title": f"t{i}", "artist": artist, "style": style, "date": ""})
    pd.DataFrame(rows).to_csv(root / "metadata.csv", index=False)
    cfg = _cfg(root, fmt="crawl", label="style", **{"data.split.group_by": "artist"})
    out = data.load_splits(cfg)
    named = out[out["artist"] != "Unknown Artist"]
    assert (named.groupby("artist")["split"].nunique() == 1).all()
    first, copy = out.set_index("title").loc[["t1", "t7"], "split"]
    assert first == copy and out.attrs["groups"]["merged_groups"] >= 1
    meta = (tmp_path / "processed" / "tiny" / "splits_by_artist.json").read_text()
    assert '"group_by": "artist"' in meta
    plain = data.load_splits(_cfg(root, fmt="crawl", label="style"))  # default: the setting is not even saved
    assert '"group_by"' not in (tmp_path / "processed" / "tiny" / "splits.json").read_text()
    assert len(plain) == 60
    # both splits are kept side by side (02's split comparison), so neither rebuilds the other
    stamp = (tmp_path / "processed" / "tiny" / "splits_by_artist.csv").stat().st_mtime_ns
    again = data.load_splits(cfg)
    assert (tmp_path / "processed" / "tiny" / "splits_by_artist.csv").stat().st_mtime_ns == stamp
    assert again["split"].tolist() == out["split"].tolist()
    with pytest.raises(data.DataError, match="group_by=painter"):
        data.load_splits(_cfg(root, fmt="crawl", label="style", **{"data.split.group_by": "painter"}))


def test_a_small_grouped_set_splits_instead_of_failing_in_sklearn():
    """6 paintings a style, grouped by artist: StratifiedGroupKFold refuses more folds (7 for a 15 %
    test share) than the largest class has members, so the fold count is capped there."""
    table = pd.DataFrame({"path": [f"{i}.jpg" for i in range(18)], "label": [f"s{i // 6}" for i in range(18)]})
    artists = np.arange(18) % 9  # 9 painters, each in two styles
    out = data.make_splits(table, 0.15, 0.15, seed=0, groups=artists, balance_images=True)
    assert set(out["split"]) == {"train", "val", "test"}
    by_artist = pd.Series(out["split"].to_numpy()).groupby(artists).nunique()
    assert (by_artist == 1).all()  # every painter on one side


def test_a_jpeg_cut_off_halfway_is_skipped_not_kept_by_its_header(tmp_path: Path):
    """``Image.verify()`` reads a JPEG's header only: the cut file passed and crashed ``load_image`` mid-epoch."""
    rng = np.random.default_rng(0)
    whole = tmp_path / "whole.jpg"
    Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)).save(whole, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # header kept, half the scan gone
    table = pd.DataFrame({"path": [str(whole), str(cut)], "label": ["a", "a"]})
    with pytest.warns(UserWarning, match="Skipped 1 of 2 images"):
        kept, skipped = data.verify_images(table)
    assert skipped == [str(cut)] and kept["path"].tolist() == [str(whole)]


def test_a_16_bit_greyscale_png_loads_as_its_grey_not_as_white(tmp_path: Path):
    path = tmp_path / "scan16.png"
    values = np.linspace(0, 65535, 64 * 48).reshape(48, 64).astype(np.uint16)
    Image.fromarray(values).save(path)
    with Image.open(path) as im:
        assert im.mode == "I;16"
    rgb = np.asarray(data.load_image(path)).astype(int)
    assert rgb.shape == (48, 64, 3) and (rgb[..., 0] == rgb[..., 2]).all()
    assert np.abs(rgb[..., 0] - values / 257).max() <= 1  # convert("RGB") clipped it: almost all 255


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "CMYK"])
def test_an_8_bit_image_loads_exactly_as_convert_rgb(tmp_path: Path, mode: str):
    path = tmp_path / f"x.{'jpg' if mode == 'CMYK' else 'png'}"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (30, 40, 3), dtype=np.uint8)).convert(mode).save(path)
    with Image.open(path) as im:
        expected = np.asarray(im.convert("RGB"))
    assert np.array_equal(np.asarray(data.load_image(path)), expected)


def _exif_rotated(path: Path, pixels: np.ndarray, orientation: int = 6) -> None:
    """An image stored sideways with an EXIF orientation tag, as a phone writes a portrait photo
    (PNG, so that pixels compare exactly; Pillow reads and turns its eXIf chunk as a JPEG's)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pixels).save(path, exif=exif.tobytes())


def test_an_exif_rotated_photo_loads_upright_and_hashes_like_its_upright_copy(tmp_path: Path):
    rng = np.random.default_rng(3)
    upright = rng.integers(0, 255, (40, 64, 3), dtype=np.uint8).repeat(4, 0).repeat(4, 1)  # 160 x 256, landscape
    stored = np.rot90(upright, 1).copy()  # tag 6 means: turn 90 degrees clockwise to view
    _exif_rotated(tmp_path / "sideways.png", stored)
    Image.fromarray(upright).save(tmp_path / "upright.png")
    loaded = data.load_image(tmp_path / "sideways.png")
    assert loaded.size == (256, 160)  # as a browser shows it; without the turn it is (160, 256)
    assert np.array_equal(np.asarray(loaded), upright)
    a, b = data.difference_hashes([tmp_path / "sideways.png", tmp_path / "upright.png"])
    assert (a == b).all()


def test_transparency_is_flattened_on_white_as_predict_does(tmp_path: Path):
    rgba = np.zeros((30, 60, 4), dtype=np.uint8)  # transparent black ...
    rgba[:, 30:] = (0, 0, 255, 255)  # ... and an opaque blue right half
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cutout.png")
    rgb = np.asarray(data.load_image(tmp_path / "cutout.png"))
    assert (rgb[:, :30] == 255).all() and (rgb[:, 30:] == (0, 0, 255)).all()  # convert("RGB") left it black


def test_a_16_bit_scan_hashes_by_its_grey_levels_not_as_a_white_page(tmp_path: Path):
    gradient = np.tile(np.linspace(0, 65535, 80), (90, 1)).astype(np.uint16)  # dark left, light right
    Image.fromarray(gradient).save(tmp_path / "left_to_right.png")
    Image.fromarray(gradient[:, ::-1].copy()).save(tmp_path / "right_to_left.png")
    a, b = data.dhash([tmp_path / "left_to_right.png", tmp_path / "right_to_left.png"])
    assert int(data.hamming(a, b)) > 48  # opposite gradients; clipped, both are a white page and hash alike
