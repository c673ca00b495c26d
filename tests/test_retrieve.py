"""Autoencoders, embeddings, cosine retrieval, influence re-ranking and the archive tools."""

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import torch

from artdl import archive, autoencode, models, retrieve

from .conftest import execute_notebook


# --- autoencoders ----------------------------------------------------------------------------
def test_sliced_wasserstein_zero_for_identical_positive_otherwise():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 8, generator=g)
    assert autoencode.sliced_wasserstein(x, x.clone(), 50).item() == pytest.approx(0.0, abs=1e-10)
    # a permutation of the same sample is the same distribution: still zero
    assert autoencode.sliced_wasserstein(x, x[torch.randperm(128, generator=g)], 50).item() == pytest.approx(
        0.0, abs=1e-10
    )
    shifted = autoencode.sliced_wasserstein(x, x + 1.0, 50).item()
    scaled = autoencode.sliced_wasserstein(x, 3 * x, 50).item()
    assert shifted > 0.05 and scaled > 0.05
    far = autoencode.sliced_wasserstein(x, x + 3.0, 50).item()
    assert far > shifted  # grows with the shift
    with pytest.raises(ValueError):
        autoencode.sliced_wasserstein(x, x[:10], 5)


def test_add_noise_masks_and_stays_in_range():
    x = torch.full((4, 3, 16, 16), 0.5)
    noisy = autoencode.add_noise(x, std=0.0, mask_prob=0.5)
    zero = (noisy == 0).all(dim=1)  # masking drops all channels of a pixel
    assert 0.3 < zero.float().mean() < 0.7
    assert noisy.min() >= 0 and noisy.max() <= 1


@pytest.mark.parametrize("kind", ["dae", "swae"])
def test_autoencoder_trains_and_roundtrips(tmp_path: Path, kind: str):
    torch.manual_seed(0)
    images = (torch.rand(24, 3, 32, 32) * 255).to(torch.uint8)
    model = models.ConvAutoencoder(32, 8, [8, 16], kind=kind)
    config = autoencode.AutoencoderConfig(epochs=3, batch_size=8, lr=5e-3, swae_weight=1.0)
    hist = autoencode.train_autoencoder(model, images, images[:8], config, progress=False)
    assert len(hist["train_loss"]) == 3 and len(hist["val_recon"]) == 3
    assert ("train_swd" in hist) == (kind == "swae")
    codes = autoencode.encode(model, images)
    assert codes.shape == (24, 8)
    path = models.save_autoencoder(model, tmp_path / f"{kind}.pt", hist)
    again = models.load_autoencoder(path)
    assert torch.allclose(autoencode.encode(again, images), codes, atol=1e-5)


def test_autoencoder_rejects_bad_size():
    with pytest.raises(ValueError, match="divisible"):
        models.ConvAutoencoder(60, 8, [8, 16, 32])


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


# --- archive ---------------------------------------------------------------------------------
def test_snap_to_grid_one_image_per_cell():
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(30, 2))
    cells = archive.snap_to_grid(xy, 6, 6)
    assert len({tuple(c) for c in cells}) == 30
    assert cells.min() >= 0 and cells[:, 0].max() < 6 and cells[:, 1].max() < 6
    # layout is kept: the right-most point lands in a right-hand column
    assert cells[np.argmax(xy[:, 0]), 1] >= 4
    with pytest.raises(ValueError):
        archive.snap_to_grid(xy, 5, 5)


def test_latent_walk_has_no_repeats():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(40, 8))
    walk = archive.latent_walk(feats, 3, 7, steps=6)
    assert walk[0] == 3 and walk[-1] == 7 and len(walk) == 8 and len(set(walk)) == 8


def test_projection_head_improves_mean_rank():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 20)
    feats = rng.normal(size=(80, 16)) + 0.3 * np.eye(16)[labels]  # weak label signal
    trip = archive.triplets_from_labels(labels, n=300, negatives=4, seed=0)
    assert (labels[trip["anchor"]] == labels[trip["positive"]]).all()
    before = archive.mean_positive_rank(feats, trip)
    head, losses = archive.train_projection_head(feats, trip, epochs=40, lr=3e-3, hidden=32)
    after = archive.mean_positive_rank(archive.project(head, feats), trip)
    assert losses[-1] < losses[0] and after < before - 0.3


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
