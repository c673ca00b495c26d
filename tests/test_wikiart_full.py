"""``wikiart_full``: huggan/wikiart streamed into JPEGs + the artwork table, offline from a local parquet folder.

The fixture writes the folder with 🤗 ``datasets``' own ``Features``/``ClassLabel``/``Image``, so the
loader reads real label metadata (as the hub's files carry it), not a hand-made CSV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from artdl import data
from artdl.core import load_config
from artdl.data.fetch import FetchError, fetch_hub_dataset, hub_label_names, is_commit, open_hub_stream

from .test_fidelity import local_server  # noqa: F401,F811 - the fixture, shared

# Names in the hub's own spelling; deliberately not sorted, so a test sees the ClassLabel order.
STYLES = ["Impressionism", "Baroque", "Cubism"]
GENRES = ["landscape", "portrait", "Unknown Genre"]
ARTISTS = ["Unknown Artist", "claude-monet", "rembrandt", "pablo-picasso"]
PER_STYLE = 4  # rows per style in the fixture
SIZES = [(640, 400), (300, 900), (200, 120), (512, 512)]  # one already below 256 px on its short side


@pytest.fixture
def parquet_dir(tmp_path: Path) -> Path:
    """Two parquet shards in the huggan/wikiart schema: image + artist/genre/style ClassLabels."""
    from datasets import ClassLabel, Dataset, Features
    from datasets import Image as HFImage

    features = Features(
        {
            "image": HFImage(),
            "artist": ClassLabel(names=ARTISTS),
            "genre": ClassLabel(names=GENRES),
            "style": ClassLabel(names=STYLES),
        }
    )
    rng = np.random.default_rng(0)
    rows: dict[str, list] = {"image": [], "artist": [], "genre": [], "style": []}
    for i in range(PER_STYLE):
        for s in range(len(STYLES)):
            w, h = SIZES[(i + s) % len(SIZES)]
            rows["image"].append(Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)))
            rows["artist"].append((i + s) % len(ARTISTS))
            rows["genre"].append(i % len(GENRES))
            rows["style"].append(s)
    folder = tmp_path / "parquet"
    folder.mkdir()
    table = Dataset.from_dict(rows, features=features)
    half = len(table) // 2
    table.select(range(half)).to_parquet(str(folder / "train-00000-of-00002.parquet"))
    table.select(range(half, len(table))).to_parquet(str(folder / "train-00001-of-00002.parquet"))
    return folder


def _cfg(parquet_dir: Path, dest: Path, *extra: str):
    return load_config(
        "default",
        [
            f"datasets.wikiart_full.parquet_dir={parquet_dir}",
            f"datasets.wikiart_full.root={dest}",
            "datasets.wikiart_full.flush_every=2",
            *extra,
        ],
    )


def _files(dest: Path) -> dict[str, int]:
    return {str(p.relative_to(dest)): p.stat().st_mtime_ns for p in dest.rglob("*") if p.is_file()}


def test_label_names_come_from_the_classlabel_features(parquet_dir: Path, tmp_path: Path) -> None:
    cfg = _cfg(parquet_dir, tmp_path / "out")
    stream = open_hub_stream(data.fetch.HubSpec.from_cfg(cfg, "wikiart_full"))
    assert hub_label_names(stream.features) == {"style": STYLES, "genre": GENRES, "artist": ARTISTS}
    report = fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    assert report.complete and report.fetched == report.total == PER_STYLE * len(STYLES)
    table = pd.read_csv(tmp_path / "out" / "metadata.csv", keep_default_na=False)
    assert list(table.columns) == ["path", "index", "style", "genre", "artist", "title", "date", "source"]
    # row i of the fixture has style i % 3 (STYLES order, not sorted) and artist (i//3 + i%3) % 4
    first = table.set_index("index").loc[[0, 1, 2, 4]]
    assert first["style"].tolist() == ["Impressionism", "Baroque", "Cubism", "Baroque"]
    assert first["artist"].tolist() == ["Unknown Artist", "claude-monet", "rembrandt", "rembrandt"]
    assert set(table["genre"]) == set(GENRES)


def test_images_shrink_to_256_on_the_short_side(parquet_dir: Path, tmp_path: Path) -> None:
    fetch_hub_dataset(_cfg(parquet_dir, tmp_path / "out"), "wikiart_full", progress=False)
    sizes = {}
    for path in (tmp_path / "out" / "images").rglob("*.jpg"):
        with Image.open(path) as im:
            assert im.format == "JPEG" and im.mode == "RGB"
            sizes[im.size] = sizes.get(im.size, 0) + 1
    # 640x400 keeps its aspect ratio (410x256); 200x120 is not enlarged
    assert set(sizes) == {(410, 256), (256, 768), (200, 120), (256, 256)}


def test_rerun_writes_nothing(parquet_dir: Path, tmp_path: Path) -> None:
    cfg = _cfg(parquet_dir, tmp_path / "out")
    fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    before = _files(tmp_path / "out")
    again = fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    assert again.fetched == 0 and again.present == again.total == PER_STYLE * len(STYLES)
    assert _files(tmp_path / "out") == before


class _Killed(Exception):
    pass


def test_interrupted_run_leaves_whole_files_and_resumes(parquet_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    cfg = _cfg(parquet_dir, dest)
    written: list[int] = []

    def kill_after_five(index: int) -> None:
        written.append(index)
        if len(written) == 5:
            raise _Killed

    with pytest.raises(_Killed):
        fetch_hub_dataset(cfg, "wikiart_full", progress=False, on_image=kill_after_five)
    assert not [p for p in dest.rglob(".*") if p.is_file()], "a temp file was left behind"
    jpegs = sorted(dest.rglob("*.jpg"))
    assert len(jpegs) == 5
    for p in jpegs:
        with Image.open(p) as im:
            im.load()  # whole files only
    partial = pd.read_csv(dest / "metadata.csv")
    assert len(partial) == 4  # the fifth image was written, its row not yet: the resume adopts it
    resumed: list[int] = []
    report = fetch_hub_dataset(cfg, "wikiart_full", progress=False, on_image=resumed.append)
    assert report.complete and report.total == PER_STYLE * len(STYLES)
    assert report.fetched == len(resumed) == PER_STYLE * len(STYLES) - 5
    assert not set(resumed) & set(written)
    table = data.build_table(cfg, "wikiart_full")
    assert sorted(pd.read_csv(dest / "metadata.csv")["index"]) == list(range(PER_STYLE * len(STYLES)))
    assert len(table) == PER_STYLE * len(STYLES)


def test_per_style_limit_and_raising_it_later(parquet_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    report = fetch_hub_dataset(_cfg(parquet_dir, dest, "datasets.wikiart_full.per_style=2"), "wikiart_full", progress=False)
    table = pd.read_csv(dest / "metadata.csv")
    assert report.complete and table["style"].value_counts().to_dict() == {s: 2 for s in STYLES}
    more = fetch_hub_dataset(_cfg(parquet_dir, dest, "datasets.wikiart_full.per_style=3"), "wikiart_full", progress=False)
    assert more.fetched == len(STYLES) and more.present == 2 * len(STYLES)
    assert pd.read_csv(dest / "metadata.csv")["style"].value_counts().to_dict() == {s: 3 for s in STYLES}


def test_build_table_reads_the_fetch_with_the_configured_label(parquet_dir: Path, tmp_path: Path) -> None:
    cfg = _cfg(parquet_dir, tmp_path / "out")
    fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    table = data.build_table(cfg, "wikiart_full")
    assert list(table.columns[: len(data.REQUIRED_COLUMNS)]) == data.REQUIRED_COLUMNS
    assert sorted(data.class_names(table)) == sorted(STYLES)
    assert all(Path(p).is_file() for p in table["path"])
    by_genre = data.build_table(_cfg(parquet_dir, tmp_path / "out", "datasets.wikiart_full.label=genre"), "wikiart_full")
    assert set(by_genre["label"]) == set(GENRES) and (by_genre["style"] == table["style"]).all()


def test_a_view_filters_and_samples_its_base_set(parquet_dir: Path, tmp_path: Path) -> None:
    cfg = _cfg(
        parquet_dir,
        tmp_path / "out",
        "datasets.one_style.subset_of=wikiart_full",
        "datasets.one_style.where.style=[Baroque]",
        "datasets.one_style.label=genre",
        "datasets.sample6.subset_of=wikiart_full",
        "datasets.sample6.label=style",
        "datasets.sample6.sample=6",
        "data.min_per_label=1",
    )
    fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    one = data.build_table(cfg, "one_style")
    assert set(one["style"]) == {"Baroque"} and len(one) == PER_STYLE and set(one["label"]) <= set(GENRES)
    sample = data.build_table(cfg, "sample6")
    assert sample["label"].value_counts().to_dict() == {s: 2 for s in STYLES}
    cfg.gan.dataset = "one_style"  # make run fetches the base set of a view
    assert data.fetch.datasets_needed(cfg, ["06_gan"]) == ["wikiart_full"]


def test_the_hub_is_asked_only_without_a_local_folder(parquet_dir: Path, tmp_path: Path, monkeypatch) -> None:
    import datasets

    real = datasets.load_dataset
    calls: list[tuple] = []

    def spy(path, *args, **kwargs):
        calls.append((path, kwargs.get("revision")))
        if path != "parquet":  # stand in for the hub with the local files: no network in tests
            return real("parquet", data_files={"train": sorted(map(str, parquet_dir.glob("*.parquet")))},
                        split="train", streaming=True)  # fmt: skip
        return real(path, *args, **kwargs)

    monkeypatch.setattr(datasets, "load_dataset", spy)
    fetch_hub_dataset(_cfg(parquet_dir, tmp_path / "a"), "wikiart_full", progress=False)
    assert [c[0] for c in calls] == ["parquet"]
    calls.clear()
    commit = "abc1230000" * 4
    cfg = _cfg("", tmp_path / "b", f"datasets.wikiart_full.revision={commit}", "datasets.wikiart_full.per_style=1")
    report = fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    assert calls == [("huggan/wikiart", commit)] and report.source == "huggan/wikiart@abc1230"


def test_a_branch_is_resolved_to_its_commit_once_and_the_commit_is_recorded(
    parquet_dir: Path, tmp_path: Path, monkeypatch, local_server, capsys  # noqa: F811
) -> None:
    """``revision: main`` (the newest, instead of the pinned commit) is asked of the hub's API, here a server on 127.0.0.1
    in the hub's JSON format; the stream, the table and the resume state then name the commit."""
    import json

    import datasets

    www, base, requests = local_server
    commit = "0123456789abcdef" * 2 + "01234567"
    api = www / "api" / "datasets" / "huggan" / "wikiart" / "revision"
    api.mkdir(parents=True)
    (api / "main").write_text(json.dumps({"id": "huggan/wikiart", "sha": commit}))
    real, calls = datasets.load_dataset, []

    def hub_from_local_files(path, *args, **kwargs):
        calls.append((path, kwargs.get("revision")))
        files = sorted(map(str, parquet_dir.glob("*.parquet")))
        return real("parquet", data_files={"train": files}, split="train", streaming=True)

    monkeypatch.setattr(datasets, "load_dataset", hub_from_local_files)
    cfg = _cfg("", tmp_path / "out", f"datasets.wikiart_full.endpoint={base}", "datasets.wikiart_full.per_style=1",
               "datasets.wikiart_full.revision=main")  # fmt: skip
    report = fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    assert requests == ["/api/datasets/huggan/wikiart/revision/main"] and calls == [("huggan/wikiart", commit)]
    assert report.complete and report.source == f"huggan/wikiart@{commit[:7]}"
    assert set(pd.read_csv(tmp_path / "out" / "metadata.csv")["source"]) == {report.source}
    assert f"datasets.wikiart_full.revision={commit}" in capsys.readouterr().out  # how to pin it
    again = fetch_hub_dataset(cfg, "wikiart_full", progress=False)  # complete: neither the API nor the stream
    assert len(requests) == 1 and len(calls) == 1 and again.complete and again.source == report.source
    (api / "main").unlink()  # an unknown revision (404): one message that says how to pin or go offline
    with pytest.raises(FetchError, match="pin") as err:
        fetch_hub_dataset(
            _cfg("", tmp_path / "other", f"datasets.wikiart_full.endpoint={base}", "datasets.wikiart_full.revision=main"),
            "wikiart_full",
        )
    assert "parquet_dir" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("case", ["missing", "empty", "not_the_schema"])
def test_cli_bad_parquet_dir_is_one_line_and_exit_2(case: str, tmp_path: Path, capsys) -> None:
    from artdl.cli.data import main

    folder = tmp_path / "pq"
    if case != "missing":
        folder.mkdir()
    if case == "not_the_schema":
        pd.DataFrame({"image": [b"x"], "style": ["Baroque"]}).to_parquet(folder / "x.parquet")
    code = main(["fetch", "wikiart_full", f"datasets.wikiart_full.parquet_dir={folder}",
                 f"datasets.wikiart_full.root={tmp_path / 'out'}"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    assert {"missing": "does not exist", "empty": "no *.parquet", "not_the_schema": "ClassLabel"}[case] in err
    assert not (tmp_path / "out" / "metadata.csv").exists()


def test_cli_fetch_succeeds_from_the_local_folder(parquet_dir: Path, tmp_path: Path, capsys) -> None:
    from artdl.cli.data import main

    code = main(["fetch", "wikiart_full", f"datasets.wikiart_full.parquet_dir={parquet_dir}",
                 f"datasets.wikiart_full.root={tmp_path / 'out'}", "datasets.wikiart_full.per_style=1"])  # fmt: skip
    assert code == 0
    out, err = capsys.readouterr()
    assert f"{len(STYLES)} written" in out
    assert f"{len(STYLES)}/{len(STYLES)} [" in err  # the bar knows its total (per_style x styles): count and ETA


def test_ensure_fetches_once_for_make_run(parquet_dir: Path, tmp_path: Path) -> None:
    from artdl.data.fetch import ensure_datasets

    cfg = _cfg(parquet_dir, tmp_path / "out", "datasets.wikiart_full.per_style=1")
    ensure_datasets(cfg, ["wikiart_full"], progress=False)
    assert len(pd.read_csv(tmp_path / "out" / "metadata.csv")) == len(STYLES)
    before = _files(tmp_path / "out")
    ensure_datasets(cfg, ["wikiart_full"], progress=False)  # complete: not even opened again
    assert _files(tmp_path / "out") == before


def test_data_table_has_the_hub_row_from_its_card() -> None:
    from artdl.data.fetch import HUB_CARDS
    from artdl.report.data import data_table_markdown

    table = data_table_markdown(load_config())
    row = next(line for line in table.splitlines() if line.startswith("| `wikiart_full` |"))
    assert f"| {HUB_CARDS['wikiart_full']['rows']:,} (hub) | style (27) |" in row
    shipped = load_config().datasets.wikiart_full.revision
    assert is_commit(shipped) and f"@ `{shipped[:7]}` |" in row and "non-commercial" in row  # pinned
    newest = data_table_markdown(load_config("default", ["datasets.wikiart_full.revision=main"]))
    assert "`main` (not pinned: resolved and printed at fetch)" in newest
    assert "streams `wikiart_full`" in data_table_markdown(load_config("full"), "full")


def test_an_undecodable_image_is_reported_and_skipped(tmp_path: Path) -> None:
    from datasets import ClassLabel, Dataset, Features
    from datasets import Image as HFImage

    features = Features(
        {"image": HFImage(), "artist": ClassLabel(names=ARTISTS), "genre": ClassLabel(names=GENRES),
         "style": ClassLabel(names=STYLES)}
    )  # fmt: skip
    good = Image.new("RGB", (300, 300), (10, 20, 30))
    rows = {
        "image": [good, {"bytes": b"not an image", "path": None}, good],
        "artist": [0, 1, 2],
        "genre": [0, 1, 2],
        "style": [0, 1, 2],
    }
    folder = tmp_path / "pq"
    folder.mkdir()
    Dataset.from_dict(rows, features=features).to_parquet(str(folder / "train.parquet"))
    cfg = _cfg(folder, tmp_path / "out", "datasets.wikiart_full.workers=3")
    report = fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    assert report.complete and report.fetched == report.total == 2
    assert [f[0] for f in report.failures] == ["row 1"]
    assert "1 undecodable" in report.summary()
    assert pd.read_csv(tmp_path / "out" / "metadata.csv")["index"].tolist() == [0, 2]


def test_resume_starts_from_the_saved_stream_position(parquet_dir: Path, tmp_path: Path, monkeypatch) -> None:
    import json

    import datasets

    dest = tmp_path / "out"
    cfg = _cfg(parquet_dir, dest, "datasets.wikiart_full.workers=1")  # chunks of 4 rows
    seen: list[int] = []

    def kill_at_the_sixth(index: int) -> None:
        seen.append(index)
        if len(seen) == 6:
            raise _Killed

    with pytest.raises(_Killed):
        fetch_hub_dataset(cfg, "wikiart_full", progress=False, on_image=kill_at_the_sixth)
    state = json.loads((dest / "fetch_state.json").read_text())
    assert state["next_index"] == 4 and not state["complete"]  # the last whole chunk
    assert len(pd.read_csv(dest / "metadata.csv")) == 5
    loaded: list[dict] = []
    real_load = datasets.IterableDataset.load_state_dict
    monkeypatch.setattr(
        datasets.IterableDataset, "load_state_dict", lambda self, st: (loaded.append(st), real_load(self, st))[1]
    )
    report = fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    assert loaded == [state["stream"]]  # the stream skipped to row 4 instead of reading from row 0
    assert report.complete and report.total == PER_STYLE * len(STYLES) and report.fetched == 6
    table = pd.read_csv(dest / "metadata.csv")
    assert table["index"].tolist() == list(range(PER_STYLE * len(STYLES)))
    assert table.set_index("index").loc[9, "style"] == STYLES[0]  # rows after the resume keep their labels


def _write_rows(folder: Path, rows: dict[str, list]) -> Path:
    """One parquet file of ``rows`` in the huggan/wikiart schema (the fixture's Features/ClassLabels)."""
    from datasets import ClassLabel, Dataset, Features
    from datasets import Image as HFImage

    features = Features(
        {"image": HFImage(), "artist": ClassLabel(names=ARTISTS), "genre": ClassLabel(names=GENRES),
         "style": ClassLabel(names=STYLES)}
    )  # fmt: skip
    folder.mkdir()
    Dataset.from_dict(rows, features=features).to_parquet(str(folder / "train.parquet"))
    return folder


def test_a_slot_freed_by_an_undecodable_image_is_filled_with_a_written_file(tmp_path: Path) -> None:
    """per_style=1 and a style's rows [broken, good] in one chunk: the good row takes the freed slot,
    and its JPEG is written (it was listed in the table without a file, and the fetch said complete)."""
    good = Image.new("RGB", (300, 300), (10, 20, 30))
    broken = {"bytes": b"not an image", "path": None}
    rows = {"image": [broken, good, good, good], "artist": [0, 1, 2, 3], "genre": [0, 1, 2, 0], "style": [0, 0, 1, 2]}
    dest = tmp_path / "out"
    cfg = _cfg(_write_rows(tmp_path / "pq", rows), dest, "datasets.wikiart_full.per_style=1")
    report = fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    table = pd.read_csv(dest / "metadata.csv", keep_default_na=False)
    assert all((dest / p).is_file() for p in table["path"]), table["path"].tolist()
    assert table["style"].value_counts().to_dict() == {s: 1 for s in STYLES}
    assert table.set_index("style").loc[STYLES[0], "index"] == 1
    assert report.complete and report.fetched == report.total == 3 and [f[0] for f in report.failures] == ["row 0"]


def test_a_missing_classlabel_is_an_empty_label_not_the_last_name(tmp_path: Path) -> None:
    """🤗 datasets stores a missing ClassLabel as -1; names[-1] would file it under "Unknown Genre"."""
    good = Image.new("RGB", (64, 64), (10, 20, 30))
    rows = {"image": [good, good], "artist": [1, -1], "genre": [0, -1], "style": [0, -1]}
    dest = tmp_path / "out"
    report = fetch_hub_dataset(_cfg(_write_rows(tmp_path / "pq", rows), dest), "wikiart_full", progress=False)
    table = pd.read_csv(dest / "metadata.csv", keep_default_na=False).set_index("index")
    assert report.complete and report.total == 2
    assert table.loc[1, ["style", "genre", "artist"]].tolist() == ["", "", ""]
    assert table.loc[0, ["style", "genre", "artist"]].tolist() == [STYLES[0], GENRES[0], ARTISTS[1]]
    assert all((dest / p).is_file() for p in table["path"]) and "//" not in table.loc[1, "path"]


def test_a_16_bit_greyscale_png_shrinks_to_its_grey_not_to_white() -> None:
    import io

    from artdl.data.fetch import shrink_to_short_side

    buf = io.BytesIO()
    Image.fromarray(np.full((40, 60), 128 * 257, dtype=np.uint16)).save(buf, "PNG")
    assert Image.open(io.BytesIO(buf.getvalue())).mode == "I;16"
    out = np.asarray(shrink_to_short_side(buf.getvalue(), 256))
    assert out.shape == (40, 60, 3) and np.abs(out.astype(int) - 128).max() <= 1  # was 255: clipped
    rgb = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)).save(rgb, "PNG")
    with Image.open(io.BytesIO(rgb.getvalue())) as im:  # an ordinary 8-bit image: exactly as before
        assert np.array_equal(np.asarray(shrink_to_short_side(rgb.getvalue(), 256)), np.asarray(im.convert("RGB")))


def test_a_folder_that_gained_a_shard_is_not_mixed_into_an_unfinished_fetch(parquet_dir: Path, tmp_path: Path) -> None:
    """Row numbers are stream positions: a new shard sorted first renumbers every painting after it."""
    dest = tmp_path / "out"
    cfg = _cfg(parquet_dir, dest)
    written: list[int] = []

    def kill_after_five(index: int) -> None:
        written.append(index)
        if len(written) == 5:
            raise _Killed

    with pytest.raises(_Killed):
        fetch_hub_dataset(cfg, "wikiart_full", progress=False, on_image=kill_after_five)
    first = next(iter(sorted(parquet_dir.glob("*.parquet"))))
    (parquet_dir / "a-new-shard.parquet").write_bytes(first.read_bytes())  # sorts before the others
    before = _files(dest)
    with pytest.raises(FetchError, match=r"fetched from parquet:parquet#[0-9a-f]{8}.*Delete"):
        fetch_hub_dataset(cfg, "wikiart_full", progress=False)
    assert _files(dest) == before  # nothing written under the old numbering
    (parquet_dir / "a-new-shard.parquet").unlink()
    report = fetch_hub_dataset(cfg, "wikiart_full", progress=False)  # the same folder again: resumes
    assert report.complete and report.total == PER_STYLE * len(STYLES) and report.fetched == report.total - 5
