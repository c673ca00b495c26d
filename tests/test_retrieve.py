"""Tests for autoencoders, retrieval, influence re-ranking and archive tools (issue 5)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from artdl import archive, influence, retrieval
from artdl.models import autoencoder as ae

R = influence.DBPEDIA_RESOURCE


def test_swd_zero_for_identical_positive_otherwise():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 8, generator=g)
    assert ae.sliced_wasserstein_distance(x, x.clone(), 50).item() == pytest.approx(0.0, abs=1e-10)
    # same points in another order: still the same distribution
    assert ae.sliced_wasserstein_distance(x, x[torch.randperm(128)], 50).item() == pytest.approx(
        0.0, abs=1e-10
    )
    y = x + 0.5
    d1 = ae.sliced_wasserstein_distance(x, y, 50).item()
    d2 = ae.sliced_wasserstein_distance(x, x + 2.0, 50).item()
    assert d1 > 0 and d2 > d1
    with pytest.raises(ValueError):
        ae.sliced_wasserstein_distance(x, x[:10])


def test_autoencoder_shapes_training_and_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = ae.ConvAutoencoder(image_size=32, latent_dim=8, width=8)
    x = torch.rand(24, 3, 32, 32)
    recon, z = model(x)
    assert recon.shape == x.shape and z.shape == (24, 8)
    noisy = ae.add_noise(x, 0.1, 0.5, torch.Generator().manual_seed(1))
    assert noisy.shape == x.shape and not torch.equal(noisy, x) and noisy.min() >= 0 and noisy.max() <= 1
    for kind in ("denoising", "swae"):
        hist = ae.train_autoencoder(model, x, kind=kind, epochs=4, batch_size=8, lr=3e-3)
        assert len(hist) == 4 and hist[-1]["recon"] < hist[0]["recon"]
        if kind == "swae":
            assert hist[0]["swd"] > 0
    path = ae.save_autoencoder(model, tmp_path / "m.pt", "swae", hist)
    loaded, ckpt = ae.load_autoencoder(path)
    assert ckpt["kind"] == "swae"
    assert torch.allclose(ae.encode(loaded, x), ae.encode(model, x), atol=1e-5)
    with pytest.raises(ValueError):
        ae.ConvAutoencoder(image_size=48)


def test_cosine_topk_matches_brute_force():
    rng = np.random.default_rng(0)
    keys = rng.normal(size=(57, 6))
    queries = rng.normal(size=(9, 6))
    s, i = retrieval.cosine_topk(queries, keys, k=5, batch_size=4)
    kn = keys / np.linalg.norm(keys, axis=1, keepdims=True)
    qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    sim = qn @ kn.T
    ref = np.argsort(-sim, axis=1)[:, :5]
    np.testing.assert_array_equal(i, ref)
    np.testing.assert_allclose(s, np.take_along_axis(sim, ref, 1), atol=1e-5)
    fs, fi = retrieval.cosine_topk(queries, keys, k=5, largest=False)
    np.testing.assert_array_equal(fi, np.argsort(sim, axis=1)[:, :5])
    # self-exclusion
    _, si = retrieval.cosine_topk(keys, keys, k=3, exclude_self=True, batch_size=10)
    assert not (si == np.arange(57)[:, None]).any()
    fa_s, fa_i = retrieval.faiss_topk(queries, keys, k=5)
    np.testing.assert_array_equal(fa_i, ref)


def test_evaluate_retrieval_perfect_and_neighbours():
    # two tight, well-separated clusters: perfect retrieval
    emb = np.array([[1, 0.01], [1, 0.02], [1, 0.03], [0.01, 1], [0.02, 1], [0.03, 1]])
    r = retrieval.evaluate_retrieval(emb, list("aaabbb"), k=2)
    assert r["precision@2"] == 1.0 and r["mAP"] == 1.0 and r["n_queries"] == 6
    bad = retrieval.evaluate_retrieval(emb, list("ababab"), k=2)
    assert bad["mAP"] < 1.0
    nb = retrieval.neighbours(emb, 0, k=2)
    assert set(nb["nearest"]) == {1, 2} and set(nb["farthest"]) <= {3, 4, 5} and 0 not in nb["nearest"]


def _fixture_graph():
    edges = pd.DataFrame({"source": [R + "B", R + "C", R + "E"], "target": [R + "A", R + "B", R + "D"]})
    return influence.build_graph(edges)


def test_rerank_formula_on_fixture_graph():
    g = _fixture_graph()  # A - B - C, D - E
    assert influence.graph_distance(g, R + "A", R + "C") == 2
    assert influence.graph_distance(g, R + "A", R + "A") == 0
    assert math.isinf(influence.graph_distance(g, R + "A", R + "D"))
    assert math.isinf(influence.graph_distance(g, R + "A", R + "Z"))
    cands, cos = [10, 11, 12, 13], [0.50, 0.48, 0.47, 0.46]
    uris = [R + "D", R + "C", R + "B", R + "B"]
    order, scores = influence.rerank(R + "A", cands, cos, uris, g, k=4, graph_weight=0.1, repeat_penalty=0.05)
    # B: 0.47 + 0.1/2 = 0.52 first; then D 0.50 vs. C 0.48 + 0.1/3 = 0.5133 vs. 2nd B 0.46+0.05-0.05 = 0.46
    assert order == [12, 11, 10, 13]
    np.testing.assert_allclose(scores, [0.52, 0.48 + 0.1 / 3, 0.50, 0.46], atol=1e-9)
    # without graph weight and penalty it is the plain cosine order
    order0, _ = influence.rerank(R + "A", cands, cos, uris, g, k=4, graph_weight=0, repeat_penalty=0)
    assert order0 == cands


def test_sparql_query_and_parsing_without_network(tmp_path):
    uris = [R + "Claude_Monet", R + "Paul_Cézanne"]
    q = influence.build_query(uris)
    assert (
        "<http://dbpedia.org/resource/Claude_Monet>" in q
        and "dbo:influencedBy" in q
        and "regex" not in q.lower()
    )
    fake = {
        "results": {
            "bindings": [{"a": {"value": R + "Paul_Cézanne"}, "b": {"value": R + "Camille_Pissarro"}}]
        }
    }
    edges = influence.parse_sparql_json(fake)
    assert edges.loc[0, "source_name"] == "Paul Cézanne" and edges.loc[0, "origin"] == "dbpedia"
    assert influence.artist_uri("Claude Monet") == R + "Claude_Monet"
    curated = influence.curated_edges()
    assert len(curated) >= 10 and set(curated["origin"]) == {"curated"}
    assert curated["source"].str.startswith(R).all()
    # offline: user CSV wins, cache is used when present, bad CSV gives a clear error
    user = tmp_path / "u.csv"
    edges.to_csv(user, index=False)
    assert len(influence.load_edges(tmp_path / "none.csv", user_csv=user)) == 1
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"x": [1]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match="source,target"):
        influence.load_edges(bad)


def test_grid_snap_one_image_per_cell():
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(30, 2))
    cells = archive.grid_snap(xy, 5, 7)
    assert cells.shape == (30, 2)
    assert len({tuple(c) for c in cells}) == 30
    assert cells[:, 0].max() < 5 and cells[:, 1].max() < 7 and cells.min() >= 0
    # the point with the largest x lands in a column right of the one with the smallest x
    assert cells[xy[:, 0].argmax(), 1] > cells[xy[:, 0].argmin(), 1]
    with pytest.raises(ValueError):
        archive.grid_snap(xy, 3, 3)


def test_latent_walk_and_projection_head():
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(40, 5))
    walk = archive.latent_walk(emb, 0, 1, steps=6)
    assert walk[0] == 0 and walk[-1] == 1 and len(walk) == 6 and len(set(walk)) == 6
    labels = np.repeat(np.arange(4), 10)
    emb = rng.normal(size=(40, 16)) + 0.3 * np.eye(16)[labels]  # weak label signal
    trip = archive.triplets_from_labels(labels, n=40, n_negatives=3, seed=0)
    assert (labels[trip["anchor"]] == labels[trip["positive"]]).all()
    before = archive.positive_ranks(emb, trip).mean()
    head, hist = archive.train_projection(emb, trip, epochs=80, lr=3e-3)
    after = archive.positive_ranks(emb, trip, head).mean()
    assert hist[-1] < hist[0] and after < before


TINY = [
    "autoencode.limit=90",
    "autoencode.image_size=32",
    "autoencode.epochs=1",
    "autoencode.map_points=30",
    "retrieve.cnn_image_size=64",
    "retrieve.clip_image_size=64",
    "retrieve.archive.grid_rows=5",
    "retrieve.archive.grid_cols=8",
    "retrieve.archive.walk_steps=5",
    "retrieve.archive.dendrogram_leaves=10",
    "retrieve.curator.n_triplets=40",
    "retrieve.curator.epochs=5",
]


@pytest.mark.integration
def test_autoencode_and_retrieve_notebooks_execute(isolated_root, aic_root, impressionists_root, louvre_root):
    import nbformat

    from .conftest import execute_notebook

    outs = [execute_notebook(isolated_root, prefix, TINY) for prefix in ("03", "04")]
    for out in outs:
        nb = nbformat.read(out, as_version=4)
        assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    emb = isolated_root / "data" / "processed" / "embeddings"
    for name in ("swae", "denoising", "cnn", "clip"):
        assert np.load(emb / f"{name}.npy").shape[0] == 90
        assert len(pd.read_csv(emb / f"{name}_index.csv")) == 90
    assert (isolated_root / "models" / "autoencoder" / "swae.pt").is_file()
    table = pd.read_csv(isolated_root / "data" / "processed" / "retrieval_eval.csv", index_col=0)
    assert len(table) == 3 and table["label mAP"].between(0, 1).all()
    for step, name in [
        ("03_autoencode", "reconstructions"),
        ("04_retrieve", "thumbnail_grid"),
        ("04_retrieve", "dendrogram"),
    ]:
        assert (isolated_root / "images" / step / f"{name}.png").is_file()
