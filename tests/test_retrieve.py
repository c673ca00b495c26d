"""Step 04: the embedder registry, cosine retrieval and its metrics; the 03-05 notebooks run together.

The autoencoder tests are in ``test_autoencode.py``, the archive's in ``test_archive.py``.
"""

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import torch

from artdl import retrieve

from .conftest import execute_notebook


# --- the embedder registry -------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _folders_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """``load_config`` points the artifact folders at a test's tmp dir; put them back after it."""
    from artdl.core import paths

    monkeypatch.setattr(paths, "_FOLDERS", dict(paths._FOLDERS))


@pytest.fixture
def collection(tmp_path: Path) -> pd.DataFrame:
    """Eight small synthetic paintings; :func:`_cfg` puts the processed folder (caches) in tmp."""
    from PIL import Image

    rng = np.random.default_rng(0)
    files = []
    for i in range(8):
        files.append(tmp_path / "paintings" / f"p{i}.jpg")
        files[-1].parent.mkdir(exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (50 + 3 * i, 70, 3), dtype=np.uint8)).save(files[-1], quality=90)
    return pd.DataFrame(
        {"path": [str(f) for f in files], "title": "t", "artist": "x", "label": list("abab" * 2)}
    )


def _cfg(tmp_path: Path, *extra: str):
    """A small config whose every artifact (image cache, embeddings, CLIP weights) lands in tmp."""
    from artdl.core import load_config

    return load_config(
        "default",
        [
            f"paths.processed={tmp_path / 'processed'}",
            "autoencode.image_size=32",
            "retrieve.cnn.image_size=32",
            f"retrieve.clip.weights={tmp_path / 'clip_random.pt'}",
            *extra,
        ],
    )


def test_every_source_is_registered_and_found_by_its_config_name(tmp_path: Path):
    cfg = _cfg(tmp_path)
    assert retrieve.list_embedders() == list(retrieve.SOURCES) == ["pixels", "dae", "swae", "cnn", "clip"]
    assert set(cfg.retrieve.sources) <= set(retrieve.SOURCES)
    for source in retrieve.SOURCES:
        embedder = retrieve.create_embedder(source, cfg)
        assert isinstance(embedder, retrieve.Embedder) and embedder.name == source
    assert isinstance(retrieve.create_embedder("dae", cfg), retrieve.SavedCodesEmbedder)
    with pytest.raises(ValueError, match="'sift'; known sources: pixels, dae, swae, cnn, clip"):
        retrieve.create_embedder("sift", cfg)
    cnn = retrieve.create_embedder("cnn", cfg, image_size=48, checkpoint="")  # options override the config
    assert cnn.input_size == 48 and cnn.checkpoint == ""


def test_a_new_source_is_one_registered_class(tmp_path: Path, collection: pd.DataFrame, monkeypatch):
    from artdl.retrieve import embedders

    monkeypatch.setattr(embedders, "_REGISTRY", dict(embedders._REGISTRY))

    @retrieve.register_embedder
    class MeanColour(retrieve.Embedder):
        name = "mean_colour"
        input_size = 8
        description = "mean colour"

        def forward(self, images):
            return images.mean(dim=(2, 3))

    feats = retrieve.create_embedder("mean_colour", _cfg(tmp_path), progress=False).embed(collection)
    assert feats.shape == (8, 3) and feats.dtype == np.float32  # the base decoded, batched and converted
    assert "mean_colour" in retrieve.list_embedders()


def test_a_configured_checkpoint_that_is_missing_or_unreadable_names_its_path(tmp_path: Path):
    missing = tmp_path / "models" / "classifier" / "best.pt"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        retrieve.load_cnn(missing)
    cfg = _cfg(tmp_path, f"retrieve.cnn.checkpoint={missing}")
    with pytest.raises(FileNotFoundError, match=str(missing)):
        retrieve.create_embedder("cnn", cfg).embed_images(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=str(garbage)):
        retrieve.load_cnn(garbage)
    assert retrieve.load_cnn("")[3] == "ImageNet tf_efficientnet_lite0"  # not configured: ImageNet


def test_clip_without_real_weights_says_it_is_random(tmp_path: Path):
    clip = retrieve.create_embedder("clip", _cfg(tmp_path), progress=False)
    assert clip.input_size > 0 and clip.random_weights and "RANDOM" in clip.description
    assert (tmp_path / "clip_random.pt").is_file()  # created because random_init allows it
    no_weights = retrieve.create_embedder("clip", _cfg(tmp_path, "retrieve.clip.weights=null"))
    assert no_weights.input_size > 0 and no_weights.random_weights  # open_clip built it randomly
    strict = retrieve.create_embedder(
        "clip",
        _cfg(tmp_path, f"retrieve.clip.weights={tmp_path / 'none.pt'}", "retrieve.clip.random_init=false"),
    )
    with pytest.raises(FileNotFoundError, match="none.pt"):
        _ = strict.input_size


@pytest.mark.parametrize("source", ["pixels", "cnn", "clip"])
def test_explorer_and_retrieval_compute_the_same_features(
    tmp_path: Path, collection: pd.DataFrame, source: str
):
    from artdl.archive.explorer import decode_collection, load_features

    cfg = _cfg(tmp_path)
    want, what = retrieve.embed_source(source, cfg, collection, progress=False)  # 04's call
    size = retrieve.create_embedder(source, cfg).input_size
    crops, _, problems = decode_collection(
        collection["path"].tolist(), 16, size, progress=False
    )  # the explorer's
    got, got_what = load_features(cfg, collection, source, crops, "cpu", progress=False, reuse_saved=False)
    assert not problems and want.shape == got.shape == (8, want.shape[1])
    assert np.allclose(want, got, atol=1e-5) and what == got_what
    cached, cache_what = load_features(
        cfg, collection, source, None, "cpu", progress=False, reuse_saved=False
    )
    assert np.array_equal(cached, got) and cache_what == f"{source} (explorer cache)"


def test_saved_codes_are_read_for_their_collection_only(tmp_path: Path, collection: pd.DataFrame):
    cfg = _cfg(tmp_path)
    codes = np.random.default_rng(1).normal(size=(8, 4)).astype(np.float32)
    assert str(retrieve.save_embeddings("dae", codes, collection)).startswith(str(tmp_path))
    feats, what = retrieve.embed_source("dae", cfg, collection)
    assert np.array_equal(feats, codes) and what == "DAE codes from 03_autoencode"
    with pytest.raises(ValueError, match="another collection"):
        retrieve.embed_source("dae", cfg, collection.iloc[:5])
    with pytest.raises(FileNotFoundError, match="03_autoencode"):
        retrieve.embed_source("swae", cfg, collection)  # never saved: says which notebook writes it


def test_the_features_cache_is_keyed_by_what_the_features_depend_on(tmp_path: Path, collection: pd.DataFrame):
    cfg = _cfg(tmp_path)
    pixels = retrieve.create_embedder("pixels", cfg, progress=False)
    first = pixels.embed_cached(collection, tmp_path / "cache")
    assert np.array_equal(pixels.cached(collection, tmp_path / "cache"), first)
    other = retrieve.create_embedder("pixels", _cfg(tmp_path, "autoencode.image_size=24"))
    assert other.cached(collection, tmp_path / "cache") is None  # another input side: recomputed
    reordered = collection.iloc[::-1].reset_index(drop=True)
    assert pixels.cached(reordered, tmp_path / "cache") is None  # another order of paintings
    a = retrieve.create_embedder("cnn", cfg).cache_key(collection)[0]
    b = retrieve.create_embedder("cnn", cfg, checkpoint="models/x.pt").cache_key(collection)[0]
    assert a != b and "size=32" in a


# --- retrieval -------------------------------------------------------------------------------
def test_cosine_topk_matches_brute_force():
    rng = np.random.default_rng(0)
    coll = rng.normal(size=(300, 16)).astype(np.float32)
    q = rng.normal(size=(37, 16)).astype(np.float32)
    sims = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (
        coll / np.linalg.norm(coll, axis=1, keepdims=True)
    ).T
    idx, scores = retrieve.cosine_topk(q, coll, k=10, batch_size=8)
    assert np.array_equal(idx, np.argsort(-sims, axis=1)[:, :10])
    assert np.allclose(scores, np.sort(sims, axis=1)[:, ::-1][:, :10], atol=1e-5)
    far, _ = retrieve.cosine_topk(q, coll, k=10, farthest=True, batch_size=8)
    assert np.array_equal(far, np.argsort(sims, axis=1)[:, :10])
    fidx, _ = retrieve.faiss_topk(q, coll, k=10)
    assert np.array_equal(fidx, idx)


def test_cosine_topk_excludes_self():
    rng = np.random.default_rng(1)
    coll = rng.normal(size=(50, 4))
    idx, _ = retrieve.cosine_topk(coll, coll, k=5, exclude_self=True, batch_size=7)
    assert not (idx == np.arange(50)[:, None]).any()
    far, _ = retrieve.cosine_topk(coll, coll, k=5, exclude_self=True, farthest=True, batch_size=7)
    assert not (far == np.arange(50)[:, None]).any()


def test_retrieval_metrics_by_hand():
    labels = np.array(["a", "a", "b", "b", "c"])
    # query 0's ranking: [2, 1, 3, 4] -> relevant at rank 2: AP = 1/2, P@2 = 1/2
    ranked = np.array([[2, 1, 3, 4], [0, 2, 3, 4], [3, 0, 1, 4], [0, 1, 4, 2], [0, 1, 2, 3]])
    m = retrieve.retrieval_metrics(ranked, labels, k=2)
    assert m["queries"] == 4  # "c" has no other item
    assert m["precision@k"] == pytest.approx((0.5 + 0.5 + 0.5 + 0.0) / 4)
    assert m["mAP"] == pytest.approx((0.5 + 1.0 + 1.0 + 0.25) / 4)


def test_query_by_external_image(tmp_path: Path):
    from PIL import Image

    img = tmp_path / "outside.png"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(img)
    coll = np.eye(3, dtype=np.float32)  # "red", "green", "blue"

    def fn(x):
        return x.float().mean(dim=(2, 3)).numpy()

    near, ns, far, fs = retrieve.query_by_image(img, fn, coll, size=16, k=2)
    assert near[0] == 0 and far[0] in (1, 2) and ns[0] > fs[0]


# --- notebooks (integration) -----------------------------------------------------------------
def _errors_and_images(path: Path) -> tuple[list, int]:
    nb = nbformat.read(path, as_version=4)
    outs = [o for c in nb.cells for o in c.get("outputs", [])]
    return [o for o in outs if o.output_type == "error"], sum(
        bool({"image/png", "image/jpeg"} & set(o.get("data", {}))) for o in outs
    )


@pytest.mark.integration
def test_autoencode_retrieve_archive_notebooks_execute(
    isolated_root: Path, aic_root: Path, impressionists_root: Path
):
    tiny = [
        "autoencode.epochs=1",
        "autoencode.image_size=32",
        "autoencode.channels=[8,16]",
        "autoencode.umap=false",
        "autoencode.tsne_perplexity=10",
        "autoencode.tsne_iterations=250",
        "retrieve.cnn.image_size=64",
        "retrieve.sources=[pixels,dae,swae,cnn,clip]",
        "retrieve.archive.head_epochs=2",
        "retrieve.archive.triplets=60",
        "retrieve.archive.dendrogram_n=12",
        "retrieve.archive.grid_side=5",
        "retrieve.influence.weights=[0,0.1]",
        "retrieve.styles.dataset=wikiart_impressionists",  # the style-retrieval path on a small set
    ]
    for prefix, n_images in (("03", 5), ("04", 5), ("05", 6)):
        errors, images = _errors_and_images(execute_notebook(isolated_root, prefix, tiny))
        assert not errors, errors[0]
        assert images >= n_images
    assert (isolated_root / "models" / "autoencode" / "swae.pt").is_file()
    emb = isolated_root / "data" / "processed" / "embeddings"
    index = pd.read_csv(emb / "index.csv")
    for source in ("dae", "swae", "cnn", "clip", "pixels"):
        assert len(np.load(emb / f"{source}.npy")) == len(index)
    table = pd.read_csv(isolated_root / "data" / "processed" / "retrieval_eval.csv", index_col=0)
    assert set(table.index) == {"pixels", "dae", "swae", "cnn", "clip"}
    assert table["label mAP"].between(0, 1).all()
    for name in (
        "03_autoencode/reconstructions",
        "04_retrieve/retrieval_eval",
        "04_retrieve/rerank_tradeoff",
        "04_retrieve/influence_graph",
        "05_archive/thumbnail_grid",
    ):
        assert (isolated_root / "images" / f"{name}.png").is_file()
    for step in ("04_retrieve", "05_archive"):
        assert (isolated_root / "results" / f"{step}.json").is_file()


def test_chance_precision_matches_random_rankings():
    rng = np.random.default_rng(0)
    labels = np.array(["a"] * 30 + ["b"] * 10 + ["c"] * 1)
    ranked = np.stack(
        [rng.permutation([j for j in range(41) if j != i]) for i in range(41) for _ in range(20)]
    )
    queries = np.repeat(labels, 20)
    rel = labels[ranked] == queries[:, None]
    empirical = rel[queries != "c"].mean()
    assert retrieve.chance_precision(labels) == pytest.approx(empirical, abs=0.01)
    assert retrieve.chance_precision(labels) == pytest.approx((30 * 29 + 10 * 9) / 40 / 40)
