"""The collection explorer (issue #16): the Python builder, and the page in headless Chromium.

The browser tests serve a real explorer (80 paintings of AIC + WikiArt impressionists) from
127.0.0.1 and drive it through ``window.explorer``, the page's state object (the README screenshot of
the committed site is tests/test_explorer_screenshot.py's). Nothing is sent anywhere but 127.0.0.1.
"""

from __future__ import annotations

import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from artdl.archive.explorer import (
    atlas_cell,
    atlas_layout,
    build_site,
    compute_layouts,
    grid_layout,
    normalize_layout,
    read_site_data,
    snap_grid,
    timeline_layout,
    write_atlases,
)

from .conftest import shared_override


# ------------------------------------------------------------------------------------------
# Builder: layouts, atlases, data schema
# ------------------------------------------------------------------------------------------
def test_normalize_layout_keeps_aspect_and_nan():
    xy = np.array([[0, 0], [4, 1], [2, np.nan], [4, 2]], dtype=float)
    out = normalize_layout(xy)
    assert np.isnan(out[2]).all()
    ok = out[[0, 1, 3]]
    assert ok.min() >= 0 and ok.max() <= 1
    assert np.isclose(ok[:, 0].max() - ok[:, 0].min(), 1.0)  # the long side spans the square
    assert np.isclose(ok[:, 1].max() - ok[:, 1].min(), 0.5)  # aspect kept, centred
    assert np.isclose((ok[:, 1].min() + ok[:, 1].max()) / 2, 0.5)


@pytest.mark.parametrize("n, exact_max", [(50, 1024), (300, 64), (1000, 100)])
def test_snap_grid_one_point_per_cell(n, exact_max):
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(n, 2))
    rows, cols = math.ceil(n / math.ceil(math.sqrt(n))), math.ceil(math.sqrt(n))
    cells = snap_grid(xy, rows, cols, exact_max)
    assert cells.shape == (n, 2)
    assert len({tuple(c) for c in cells}) == n
    assert cells[:, 0].max() < rows and cells[:, 1].max() < cols and cells.min() >= 0
    # neighbourhoods survive: the leftmost points land in the left half of the grid
    left = np.argsort(xy[:, 0])[: n // 10]
    assert cells[left, 1].mean() < cols / 2


def test_grid_layout_positions_and_nan():
    rng = np.random.default_rng(1)
    xy = rng.random((40, 2))
    xy[5] = np.nan
    pos, size = grid_layout(xy)
    assert np.isnan(pos[5]).all()
    ok = np.delete(pos, 5, axis=0)
    assert np.isfinite(ok).all() and ok.min() > 0 and ok.max() < 1
    assert size == pytest.approx(1 / 7)  # 39 points -> 7 x 6 grid in a 7-cell square
    # cell centres are at least one cell apart
    d = np.abs(ok[:, None] - ok[None]).max(-1) + np.eye(len(ok))
    assert d.min() >= size - 1e-9


def test_timeline_layout_years_bands_and_undated():
    years = [1500, 1510, 1880, np.nan, 1880, 1885]
    labels = ["a", "b", "a", "a", "a", "b"]
    pos, size, info = timeline_layout(years, labels)
    assert pos.shape == (6, 2) and size > 0
    assert info["bands"] == ["a", "b"] and info["ticks"][-1][0] == "undated" and info["ticks"][0][0] == "1500"
    assert pos[3, 0] > pos[[0, 1, 2, 4, 5], 0].max()  # undated column at the right
    assert pos[0, 0] < pos[2, 0]  # earlier year further left
    assert (pos[[0, 2, 3, 4], 1] > 0.5).all() == (pos[[1, 5], 1] < 0.5).all()  # one band per label
    assert not np.allclose(pos[2], pos[4])  # same year and label: stacked, not on top of each other


def test_compute_layouts_shapes_and_landmarks():
    rng = np.random.default_rng(2)
    feats = np.concatenate([rng.normal(0, 1, (40, 16)) + 6 * np.eye(16)[i % 2] for i in range(2)])
    years = rng.integers(1800, 1900, len(feats)).astype(float)
    labels = np.where(np.arange(len(feats)) < 40, "x", "y")
    out = compute_layouts(feats, years, labels, ["tsne", "grid", "timeline"], sample=50)
    assert list(out) == ["tsne", "grid", "timeline"]  # the requested order (buttons follow it)
    for name, lay in out.items():
        assert lay["xy"].shape == (len(feats), 2), name
        assert np.isfinite(lay["xy"]).all() and lay["xy"].min() >= 0 and lay["xy"].max() <= 1
        assert 0 < lay["size"] < 1
    with pytest.raises(ValueError, match="Unknown layout"):
        compute_layouts(feats, years, labels, ["pca"])
    # the maps are the one helper's (03's and 05's), with the explorer's settings
    from artdl.archive.explorer import map_settings
    from artdl.autoencode import project_2d

    tsne = project_2d(feats, ["tsne"], map_settings(0, 50, 400))["tsne"]
    assert np.allclose(out["tsne"]["xy"], normalize_layout(tsne), atol=1e-4)


def test_atlas_cells_match_written_sheets(tmp_path):
    layout = atlas_layout(5000, 64)
    assert layout == {"size": 64, "cols": 32, "per_sheet": 1024, "sheets": 5}
    assert atlas_cell(1024 + 33, layout) == (1, 64, 64)
    rng = np.random.default_rng(3)
    colours = rng.integers(0, 256, (70, 3))
    thumbs = [np.broadcast_to(c, (8, 8, 3)).astype(np.uint8) for c in colours]
    thumbs[10] = None
    atlas, missing = write_atlases(thumbs, tmp_path, 8, sheet_size=64, quality=100)
    assert missing == [10] and atlas["sheets"] == 2 and atlas["files"] == ["atlas_0.jpg", "atlas_1.jpg"]
    sheets = [np.asarray(Image.open(tmp_path / f)) for f in atlas["files"]]
    for i in (0, 9, 11, 63, 64, 69):
        s, x, y = atlas_cell(i, atlas)
        assert np.abs(sheets[s][y + 4, x + 4].astype(int) - colours[i]).max() < 12, i
    s, x, y = atlas_cell(10, atlas)  # the missing one is the grey placeholder, not garbage
    assert np.abs(sheets[s][y + 1, x + 4].astype(int) - 110).max() < 12


def test_decode_collection_crops_thumbnails_and_previews(tmp_path):
    from artdl.archive.explorer import decode_collection
    from artdl.data import load_image, square

    rng = np.random.default_rng(5)
    small, big, png = tmp_path / "small.jpg", tmp_path / "big.jpg", tmp_path / "wide.png"
    Image.fromarray(rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)).save(small, quality=90)
    Image.fromarray(np.kron(rng.integers(0, 256, (8, 6, 3)), np.ones((100, 100, 1))).astype(np.uint8)).save(
        big
    )
    Image.fromarray(rng.integers(0, 256, (40, 120, 3), dtype=np.uint8)).save(png)
    paths = [str(small), str(big), str(png), str(tmp_path / "missing.jpg")]
    crops, thumbs, problems = decode_collection(
        paths, 16, 32, tmp_path / "prev", preview_size=100, progress=False
    )
    assert crops.shape == (4, 3, 32, 32) and len(problems) == 1 and "missing.jpg" in problems[0]
    assert thumbs[3] is None and all(t.shape == (16, 16, 3) for t in thumbs[:3])
    for i in (
        0,
        2,
    ):  # full-size decodes: the crops 04's collection_images makes (artdl.data.image_cache.square)
        assert np.array_equal(crops[i], np.asarray(square(load_image(paths[i]), 32)).transpose(2, 0, 1))
    # the 600x800 JPEG is decoded at half scale (draft, >= 2x the preview) yet gives the same crop
    assert (
        np.abs(crops[1].astype(int) - np.asarray(square(load_image(big), 32)).transpose(2, 0, 1)).mean() < 4
    )
    assert (tmp_path / "prev" / "0.jpg").read_bytes() == small.read_bytes()  # small JPEG: its own preview
    assert Image.open(tmp_path / "prev" / "1.jpg").size == (75, 100)  # big: shrunk to preview_size
    assert Image.open(tmp_path / "prev" / "2.jpg").format == "JPEG"  # not a JPEG: re-encoded


def test_embed_cnn_folds_batchnorm_without_changing_features():
    import torch

    from artdl.models import batched as _batched
    from artdl.models import fold_batchnorm as _fold_batchnorm
    from artdl.models import full_fp32_matmul

    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.BatchNorm2d(8), torch.nn.ReLU6(),
        torch.nn.Conv2d(8, 8, 3, groups=8, bias=True), torch.nn.BatchNorm2d(8),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
    ).eval()  # fmt: skip
    for bn in (net[1], net[4]):
        bn.running_mean.uniform_(-1, 1), bn.running_var.uniform_(0.5, 2), bn.weight.data.uniform_(0.5, 2)
    folded = _fold_batchnorm(net)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())  # the original is untouched
    x = torch.rand(5, 3, 20, 20)
    with torch.no_grad():
        assert torch.allclose(folded(x), net(x), atol=1e-5)

    class NormFirst(torch.nn.Module):  # a norm that does not follow its conv must not be folded into it
        def __init__(self):
            super().__init__()
            self.conv, self.bn = torch.nn.Conv2d(3, 3, 1), torch.nn.BatchNorm2d(3)
            self.bn.running_mean.fill_(0.7)

        def forward(self, x):
            return self.conv(self.bn(x))

    odd = NormFirst().eval()
    assert _fold_batchnorm(odd) is odd

    # the fold check runs with TF32 off (on Ampere+ its rounding alone would fail the check), and
    # the caller's TF32 flags come back afterwards, also when the check raises
    flags = []
    net[0].register_forward_hook(
        lambda *_: flags.append((torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32))
    )
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        assert _fold_batchnorm(net) is not net and flags and set(flags) == {(False, False)}
        assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == (True, True)
        with pytest.raises(RuntimeError), full_fp32_matmul():
            raise RuntimeError("inside")
        assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == (True, True)
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved

    threads = torch.get_num_threads()
    seen = []

    def fn(batch):
        seen.append(torch.is_inference_mode_enabled())
        return batch.float().mean(dim=(2, 3))

    images = torch.randint(0, 256, (10, 3, 4, 4), dtype=torch.uint8)
    out = _batched(fn, images, 3, "cpu", "t", False)
    assert np.allclose(out, images.float().mean(dim=(2, 3)).numpy()) and out.dtype == np.float32
    assert seen == [True] * 4 and torch.get_num_threads() == threads  # thread count restored


def test_build_explorer_reuses_cached_features_without_decoding_crops(tmp_path, monkeypatch):
    from artdl import retrieve
    from artdl.archive.explorer import build, build_explorer, read_site_data
    from artdl.core import load_config, paths

    monkeypatch.setattr(paths, "_FOLDERS", dict(paths._FOLDERS))  # load_config below moves them: restore
    rng = np.random.default_rng(6)
    files = []
    for i in range(12):
        files.append(tmp_path / f"p{i}.jpg")
        Image.fromarray(rng.integers(0, 256, (30 + i, 40, 3), dtype=np.uint8)).save(files[-1])
    table = pd.DataFrame(
        {
            "path": [str(f) for f in files],
            "title": [f"t{i}" for i in range(12)],
            "artist": "x",
            "label": "ab" * 6,
        }
    )
    cfg = load_config(
        "default",
        [
            f"paths.processed={tmp_path / 'processed'}",
            "explorer.source=pixels",
            "explorer.layouts=[tsne,grid]",
            "explorer.rerank=false",
            "explorer.classifier=",
        ],
    )
    crops, decode = [], build.decode_collection
    monkeypatch.setattr(
        build, "decode_collection", lambda p, t, e, *a: crops.append(e) or decode(p, t, e, *a)
    )
    for _ in range(2):
        site = build_explorer(cfg, ["x"], tmp_path / "site", table=table, progress=False)
    # the first build decoded crops at the pixel embedder's input side (04's), the second found the
    # cached features: no embedding crops decoded
    assert crops == [cfg.autoencode.image_size, 0]
    assert read_site_data(site)["info"]["embedding"] == "pixels: pixels (explorer cache)"
    # the cache is keyed by what the features depend on: another input side is another embedding
    key = retrieve.create_embedder("cnn", cfg).cache_key(table)
    other = retrieve.create_embedder("cnn", cfg, image_size=96).cache_key(table)
    assert key[1:] == other[1:] == table["path"].tolist() and key[0] != other[0]
    # the replaced site is deleted in the background, the new one stays
    for _ in range(100):
        if [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []:
            break
        time.sleep(0.1)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []
    assert (site / "data.js").is_file()


def test_umap_map_on_precomputed_cosine_distances():
    from artdl.archive.explorer import map_settings
    from artdl.autoencode import project_2d

    rng = np.random.default_rng(7)
    centres = rng.normal(0, 1, (3, 32)) * 5
    labels = np.repeat(np.arange(3), 40)
    xy = project_2d(centres[labels] + rng.normal(0, 1, (120, 32)), ["umap"], map_settings(sample=100))["umap"]
    assert xy.shape == (120, 2) and np.isfinite(xy).all()
    inside = np.mean(
        [np.linalg.norm(xy[labels == k] - xy[labels == k].mean(0), axis=1).mean() for k in range(3)]
    )
    between = np.linalg.norm(np.diff([xy[labels == k].mean(0) for k in range(3)], axis=0), axis=1).min()
    assert between > 3 * inside  # the three clusters stay apart (the 20 not sampled placed by landmarks)


def _with_image_files(table: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """``table`` with a small real image file per row in ``folder`` (a build decodes every path)."""
    paths = []
    for i in range(len(table)):
        paths.append(folder / f"p{i}.png")
        Image.new("RGB", (20, 20), (10 * i, 0, 0)).save(paths[-1])
    return table.assign(path=[str(p) for p in paths])


def _synthetic_site_inputs(n: int = 12, size: int = 16):
    rng = np.random.default_rng(4)
    table = pd.DataFrame(
        {
            "title": [f"Painting {i}" for i in range(n)],
            "artist": ["Claude Monet" if i % 3 == 0 else "Berthe Morisot" for i in range(n)],
            "year": [1870 + i if i % 4 else None for i in range(n)],
            "label": ["a" if i % 2 else "b" for i in range(n)],
        }
    )
    xy = rng.random((n, 2))
    xy[7] = [np.nan, 0.3]
    thumbs = [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(n)]
    thumbs[2] = None
    nb = np.stack([np.roll(np.arange(n), -j)[1:4] for j in range(n)])
    layouts = {
        "umap": {"xy": xy, "size": 0.05},
        "grid": {"xy": grid_layout(rng.random((n, 2)))[0], "size": 0.2},
    }
    return table, layouts, thumbs, nb


def test_site_schema_and_problems_reported(tmp_path):
    table, layouts, thumbs, nb = _synthetic_site_inputs()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = build_site(tmp_path / "site", table, layouts, thumbs, 16, ["label", "artist"], nb, nb[:, ::-1])
    data = read_site_data(out)
    assert {"index.html", "explorer.js", "explorer.css", "data.js", "atlas_0.jpg"} <= {
        p.name for p in out.iterdir()
    }
    assert data["version"] == 1 and data["n"] == 12
    assert set(data["items"]) == {"title", "artist", "year"} and data["items"]["year"][0] is None
    assert data["items"]["year"][1] == 1871
    assert sorted(data["columns"]["label"]["values"]) == ["a", "b"]
    assert len(data["columns"]["artist"]["codes"]) == 12
    assert set(data["layouts"]) == {"umap", "grid"} and len(data["layouts"]["umap"]["xy"]) == 24
    assert data["layouts"]["umap"]["xy"][14] is None and data["layouts"]["umap"]["xy"][15] is None
    assert data["atlas"]["files"] == ["atlas_0.jpg"] and data["missingThumbs"] == [2]
    assert data["neighbours"]["k"] == 3 and data["neighbours"]["cosine"][0] == [1, 2, 3]
    assert data["neighbours"]["reranked"][0] == [3, 2, 1] and data["predictions"] is None
    problems = " ".join(data["problems"])
    assert (
        "without a thumbnail (rows 2)" in problems
        and "layout umap: 1 painting(s) without a valid position" in problems
    )
    assert len([w for w in caught if "explorer:" in str(w.message)]) == 2


def test_bad_input_is_an_error_and_leaves_old_site(tmp_path):
    table, layouts, thumbs, nb = _synthetic_site_inputs()
    warnings.simplefilter("ignore")  # the two reported problems of these inputs (tested above)
    site = build_site(tmp_path / "site", table, layouts, thumbs, 16)
    before = (site / "data.js").read_text()
    with pytest.raises(ValueError, match=r"neighbours must be an \(N, k\) index array"):
        build_site(tmp_path / "site", table, layouts, thumbs, 16, neighbours=nb[:5])
    with pytest.raises(ValueError, match="indices outside"):
        build_site(tmp_path / "site", table, layouts, thumbs, 16, neighbours=nb + 100)
    with pytest.raises(ValueError, match="expected \\(12, 2\\)"):
        build_site(tmp_path / "site", table, {"umap": {"xy": np.zeros((3, 2)), "size": 0.1}}, thumbs, 16)
    with pytest.raises(ValueError, match="lacks column"):
        build_site(tmp_path / "site", table, layouts, thumbs, 16, ["genre"])
    assert (site / "data.js").read_text() == before  # the complete older site is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no half-written temp folders


def test_build_explorer_checks_its_inputs_first(tmp_path):
    from artdl.archive.explorer import build_explorer
    from artdl.core import load_config

    cfg = load_config("default")
    table = pd.DataFrame({"path": ["a.jpg"], "title": ["t"], "artist": ["x"], "label": ["l"]})
    with pytest.raises(ValueError, match=r"features have shape \(3, 4\); expected \(1, D\)"):
        build_explorer(cfg, ["x"], tmp_path / "s", table=table, features=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="lacks column"):
        build_explorer(cfg, ["x"], tmp_path / "s", table=table.drop(columns="label"))
    assert not any(tmp_path.iterdir())


def test_cli_unknown_dataset_is_a_clear_error(capsys):
    from artdl.cli.main import main

    assert main(["explore", "--dataset", "no_such_set"]) == 2
    assert "no_such_set" in capsys.readouterr().err


def test_classifier_predictions_and_gradcam(tmp_path, capsys, monkeypatch):
    """02's checkpoint (here a random-weight one): top classes with probabilities + a Grad-CAM JPEG per test painting."""
    import torch

    from artdl import classify, models
    from artdl.archive.explorer import classifier_predictions
    from artdl.models import build_classifier, save_classifier

    moved, explained = [], []
    real_load, real_explain = models.load_classifier, classify.explain

    def load(path):
        model, meta = real_load(path)
        real_to = model.to
        model.to = lambda device, *a, **k: moved.append(torch.device(device)) or real_to(device, *a, **k)
        return model, meta

    def explain(model, x, method):
        explained.append((x.device, next(model.parameters()).device))
        return real_explain(model, x, method)

    monkeypatch.setattr(models, "load_classifier", load)
    monkeypatch.setattr(classify, "explain", explain)

    assert classifier_predictions(pd.DataFrame({"path": []}), tmp_path / "none.pt", tmp_path) is None
    assert "no classifier checkpoint" in capsys.readouterr().out
    images = []
    for k, colour in enumerate([(200, 30, 30), (30, 200, 30), (30, 30, 200)]):
        images.append(tmp_path / f"{k}.jpg")
        Image.new("RGB", (80, 60), colour).save(images[-1])
    table = pd.DataFrame({"path": [str(p) for p in images], "split": ["test", "train", "test"]})
    ckpt = save_classifier(
        build_classifier("scratch_efficientnet_lite0", 3, pretrained=False),
        tmp_path / "best.pt",
        backbone="scratch_efficientnet_lite0",
        classes=["Baroque", "Cubism", "Impressionism"],
        image_size=64,
    )
    out = classifier_predictions(table, ckpt, tmp_path / "site", top=2, progress=False)
    assert out["classes"] == ["Baroque", "Cubism", "Impressionism"] and set(out["by_index"]) == {"0", "2"}
    capped = classifier_predictions(table, ckpt, tmp_path / "site2", progress=False, max_rows=1)
    for i, pred in out["by_index"].items():
        assert len(pred["top"]) == 2 and pred["top"][0][1] >= pred["top"][1][1] > 0
        assert Image.open(tmp_path / "site" / pred["cam"]).size == (64, 64) and pred["cam"] == f"cam/{i}.jpg"
    assert len(capped["by_index"]) == 1 and set(capped["by_index"]) <= {"0", "2"}
    # Grad-CAM runs on the device it is given (the configured one), images and model together
    assert moved == [torch.device("cpu")] * 2 and explained
    assert all(on_x == on_model == torch.device("cpu") for on_x, on_model in explained)


def test_build_explorer_explains_on_the_configured_device(tmp_path, monkeypatch):
    from artdl.archive.explorer import build, build_explorer
    from artdl.core import get_device, load_config, paths

    monkeypatch.setattr(paths, "_FOLDERS", dict(paths._FOLDERS))
    seen = {}
    monkeypatch.setattr(build, "classifier_predictions", lambda *a, **k: seen.update(k))
    cfg = load_config(
        "default",
        [
            f"paths.processed={tmp_path / 'processed'}",
            "device=cpu",
            "explorer.layouts=[timeline]",
            "explorer.rerank=false",
            "explorer.previews=false",
            f"explorer.classifier={tmp_path / 'best.pt'}",
        ],
    )
    table = _with_image_files(_synthetic_site_inputs()[0], tmp_path)
    features = np.random.default_rng(0).normal(size=(len(table), 4))
    build_explorer(cfg, ["x"], tmp_path / "site", table=table, features=features, progress=False)
    assert seen["device"] == get_device(str(cfg.device))


def test_prediction_columns_mark_the_classifiers_mistakes_and_the_split_filter(tmp_path, monkeypatch):
    from artdl.archive.explorer import build, build_explorer, read_site_data, with_prediction_columns
    from artdl.core import load_config, paths

    table = pd.DataFrame({"label": ["a", "b", "a", "b"], "dataset": "styles", "split": ["test"] * 3 + ["train"]})
    preds = {"classes": ["a", "b"], "dataset": "styles",
             "by_index": {"0": {"top": [[0, 0.9]]}, "1": {"top": [[0, 0.6]]}, "2": {"top": [[0, 0.7]]}}}  # fmt: skip
    out = with_prediction_columns(table, preds)
    assert out["predicted"].tolist() == ["a", "a", "a", "not scored"]
    assert out["prediction"].tolist() == ["correct", "wrong", "correct", "not scored"]
    other = with_prediction_columns(table, {**preds, "dataset": "another set"})  # labels of another task
    assert "prediction" not in other and "predicted" in other
    assert with_prediction_columns(table, None) is table

    monkeypatch.setattr(paths, "_FOLDERS", dict(paths._FOLDERS))
    site_table = _with_image_files(_synthetic_site_inputs()[0], tmp_path)
    site_table["split"] = ["test" if i % 2 else "train" for i in range(len(site_table))]
    site_table["dataset"] = "x"
    test_rows = site_table[site_table["split"] == "test"]
    fake = {"classes": sorted(set(site_table["label"])), "dataset": "x",
            "by_index": {str(i): {"top": [[i % 2, 0.5]], "cam": f"cam/{i}.jpg"} for i in range(len(test_rows))}}  # fmt: skip
    monkeypatch.setattr(build, "classifier_predictions", lambda *a, **k: fake)
    overrides = [f"paths.processed={tmp_path / 'processed'}", "explorer.layouts=[timeline]", "explorer.rerank=false",
                 "explorer.previews=false", f"explorer.classifier={tmp_path / 'best.pt'}", "explorer.split=test"]  # fmt: skip
    cfg = load_config("default", overrides)
    features = np.random.default_rng(0).normal(size=(len(test_rows), 4))
    site = build_explorer(cfg, ["x"], tmp_path / "site", table=site_table, features=features, progress=False)
    data = read_site_data(site)
    assert data["n"] == len(test_rows)  # the test split alone
    assert set(data["columns"]["prediction"]["values"]) == {"correct", "wrong"}
    with pytest.raises(ValueError, match="no paintings in that split"):
        build_explorer(load_config("default", [*overrides, "explorer.split=val"]), ["x"], tmp_path / "s2",
                       table=site_table, progress=False)  # fmt: skip


# ------------------------------------------------------------------------------------------
# The page in headless Chromium
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    from artdl.archive.explorer import chromium_available, headless_chromium

    if not chromium_available():
        pytest.skip("headless Chromium is absent: install the Debian packages chromium chromium-driver")
    try:
        with headless_chromium(1400, 860) as driver:
            yield driver
    except Exception as err:  # noqa: BLE001 - a browser that cannot start means: skip here
        pytest.skip(f"headless Chromium could not start ({type(err).__name__}: {err})")


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    """An explorer of 80 real paintings (pixels embedding: no model download, seconds to build)."""
    from artdl.archive.explorer import build_explorer, collection_table
    from artdl.core import load_config
    from artdl.data import dataset_location

    cfg = load_config(
        "default",
        [shared_override(), "explorer.source=pixels", "explorer.layouts=[tsne,grid,timeline]", "explorer.limit=80"],
    )
    names = ["aic_paintings", "wikiart_impressionists"]
    missing = [str(path) for kind, path in (dataset_location(cfg, n) for n in names) if kind == "missing"]
    if missing:
        pytest.skip(f"real painting sets absent: {', '.join(missing)} (ARTDL_SHARED_DATASETS names the mirror)")
    table = collection_table(cfg, names, 80, int(cfg.seed))
    out = build_explorer(cfg, names, tmp_path_factory.mktemp("explorer") / "site", progress=False)
    return out, table, read_site_data(out)


def _open(driver, url):
    from artdl.archive.explorer import wait_for

    driver.get(url)
    wait_for(driver, "return window.explorer && window.explorer.thumbsReady", timeout=30)


@pytest.mark.browser
def test_page_draws_switches_searches_and_opens_neighbours(browser, real_site):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from artdl.archive.explorer import serve, wait_for
    from artdl.core import load_config
    from artdl.retrieve import collection_images, cosine_topk, create_embedder

    site, table, data = real_site
    n = len(table)
    assert data["n"] == n == 80
    with serve(site) as url:
        _open(browser, url + "/index.html")
        js = browser.execute_script
        assert js("return explorer.n") == n
        assert js("return explorer.drawnCount") == n  # every painting drawn
        assert js("explorer.zoom(0.5); explorer.drawNow(); return explorer.renderer") == "pixels"
        assert js("return explorer.drawnCount") == n
        js("explorer.fit()")
        assert js("return performance.getEntriesByName('explorer-first-draw').length") == 1

        before = np.array(js("return explorer.positions()")).reshape(n, 2)
        js("explorer.setLayout('grid')")
        wait_for(browser, "return !explorer.animating")
        after = np.array(js("return explorer.positions()")).reshape(n, 2)
        assert js("return explorer.layout") == "grid"
        assert np.median(np.abs(after - before).sum(1)) > 0.01  # points moved
        grid = np.array(data["layouts"]["grid"]["xy"], dtype=float).reshape(n, 2)
        assert np.allclose(after, grid, atol=1e-5)
        assert js("return explorer.drawnCount") == n

        # search by typing: the painting whose title is unique is the one highlighted
        titles = pd.Series(data["items"]["title"])
        target = int(next(i for i, t in enumerate(titles) if len(t) > 8 and (titles == t).sum() == 1))
        box = browser.find_element(By.ID, "search")
        box.clear()
        box.send_keys(titles[target])
        matches = js("return explorer.matches")
        assert target in matches
        assert all(
            titles[target].lower() in (titles[m] + " " + data["items"]["artist"][m]).lower() for m in matches
        )

        # a real mouse click at the painting's screen position opens the panel with its neighbours
        x, y = js(f"return explorer.screenPosition({target})")
        canvas = browser.find_element(By.ID, "map")
        w, h = canvas.size["width"], canvas.size["height"]
        ActionChains(browser).move_to_element_with_offset(
            canvas, int(x - w / 2), int(y - h / 2)
        ).click().perform()
        wait_for(browser, "return explorer.panelOpen")
        assert js("return explorer.selected") == target
        shown = js("return explorer.panelNeighbours")
        pixels = create_embedder("pixels", load_config("default"), "cpu", progress=False)
        feats = pixels.embed_images(collection_images(table, pixels.input_size, cache=False, progress=False))
        expected, _ = cosine_topk(feats, feats, k=10, exclude_self=True)
        assert shown == expected[target].tolist() and len(shown) == 10
        assert len(browser.find_elements(By.CSS_SELECTOR, "#nb-list li")) == 10
        assert browser.find_element(By.ID, "p-title").text == titles[target]
        if data["neighbours"]["reranked"] is not None:
            browser.find_element(By.ID, "rerank").click()
            assert js("return explorer.panelNeighbours") == data["neighbours"]["reranked"][target]


@pytest.mark.browser
def test_page_legend_hides_and_skips_bad_points(browser, tmp_path):
    """A NaN coordinate is not drawn and a missing thumbnail is a crossed tile; both are reported."""
    from artdl.archive.explorer import serve

    table, layouts, thumbs, nb = _synthetic_site_inputs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        site = build_site(tmp_path / "site", table, layouts, thumbs, 16, ["label"], nb)
    with serve(site) as url:
        _open(browser, url + "/index.html")
        js = browser.execute_script
        assert js("return explorer.drawnCount") == 11  # row 7 has no umap position
        notice = js("return document.getElementById('notice').textContent")
        assert "no position in the umap layout" in notice and "without a thumbnail" in notice
        js("explorer.setLayout('grid', false)")
        assert js("return explorer.drawNow()") == 12
        js("explorer.toggleLabel(0)")  # hide one label from the legend (6 of 12 paintings)
        assert js("return explorer.drawNow()") == 6
        js("explorer.toggleLabel(0); explorer.isolateLabel(1)")  # only the other label
        assert js("return explorer.drawNow()") == 6
        js("explorer.isolateLabel(1)")  # again: everything back
        assert js("return explorer.drawNow()") == 12


@pytest.mark.browser
def test_page_opens_from_a_local_folder(browser, real_site):
    """file:// (no server): atlas pixels cannot be read back there, so the page falls back to drawImage."""
    site, table, _ = real_site
    _open(browser, (site / "index.html").resolve().as_uri())
    assert browser.execute_script("return explorer.drawnCount") == len(table)
    browser.execute_script("explorer.zoom(0.5); explorer.drawNow()")
    assert browser.execute_script("return [explorer.renderer, explorer.drawnCount]") == ["images", len(table)]
