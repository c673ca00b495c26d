"""A view of a set (``subset_of``) keeps the split its base set gave each painting.

Under ``full``, 02 trains on ``wikiart_full`` and 04 and the explorer score its model on the
``wikiart_full_10k`` view. A view with a split of its own would put most of its "test" paintings in
02's training split.
"""

from __future__ import annotations

from pathlib import Path

from artdl import data
from artdl.data.fetch import fetch_hub_dataset

from .test_wikiart_full import _cfg, parquet_dir  # noqa: F401 - the fixture, shared


def test_a_view_keeps_its_base_sets_split(parquet_dir: Path, tmp_path: Path, isolated_root: Path) -> None:  # noqa: F811
    cfg = _cfg(
        parquet_dir,
        tmp_path / "out",
        "datasets.sample6.subset_of=wikiart_full",
        "datasets.sample6.label=style",
        "datasets.sample6.sample=6",
        "datasets.by_genre.subset_of=wikiart_full",
        "datasets.by_genre.label=genre",
        "data.min_per_label=1",
        "data.split.val=0.25",
        "data.split.test=0.25",
    )
    fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    first = data.load_splits(cfg, "sample6")  # before the base split exists: it is made on the way
    base = data.load_splits(cfg, "wikiart_full").set_index("path")
    for view_name in ("sample6", "by_genre"):
        view = data.load_splits(cfg, view_name)
        assert view_name != "sample6" or view.equals(first)
        assert list(view["path"]) == list(data.build_table(cfg, view_name)["path"])  # the view's own rows
        assert len(view) < len(base) or view_name == "by_genre"
        assert (view["split"].to_numpy() == base.loc[view["path"], "split"].to_numpy()).all(), view_name
        assert set(view["split"]) <= {"train", "val", "test"}
    assert set(data.load_splits(cfg, "by_genre")["label"]) <= {"landscape", "portrait", "Unknown Genre"}
    assert not (isolated_root / "data" / "processed" / "sample6").exists()  # no split file of its own
