import numpy as np
import pytest
import torch

from artdl import autoencode, models
from artdl.autoencode import knn_label_accuracy, tsne_2d


def test_knn_accuracy_separates_informative_from_random_codes():
    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b", "c"], 40)
    informative = np.eye(3)[np.repeat([0, 1, 2], 40)] + rng.normal(0, 0.1, (120, 3))
    noise = rng.normal(size=(120, 3))
    train = np.arange(120) % 4 != 0
    good = knn_label_accuracy(informative, labels, train, ~train)
    bad = knn_label_accuracy(noise, labels, train, ~train)
    assert good["accuracy"] > 0.95 and bad["accuracy"] < 0.6
    assert good["chance"] == pytest.approx(1 / 3) and good["n_test"] == 30
    with pytest.raises(ValueError, match="at least k"):
        knn_label_accuracy(noise, labels, np.zeros(120, bool), ~train)


def test_tsne_caps_perplexity_for_small_sets():
    xy = tsne_2d(np.random.default_rng(0).normal(size=(10, 5)), perplexity=30, iterations=250)
    assert xy.shape == (10, 2) and np.isfinite(xy).all()


def test_interpolation_starts_and_ends_at_the_two_codes():
    torch.manual_seed(0)
    model = models.ConvAutoencoder(32, 8, [8, 16], kind="swae").eval()
    a, b = torch.randint(0, 255, (2, 3, 32, 32), dtype=torch.uint8)
    walk = autoencode.interpolate(model, a, b, steps=5)
    assert walk.shape == (5, 3, 32, 32)
    with torch.no_grad():
        ends = model.decode(model.encode(torch.stack([a, b]).float() / 255)).float()
    assert torch.allclose(walk[0], ends[0], atol=1e-5) and torch.allclose(walk[-1], ends[1], atol=1e-5)
    hwc = autoencode.to_hwc(walk)
    assert len(hwc) == 5 and hwc[0].shape == (32, 32, 3) and 0 <= hwc[0].min() <= hwc[0].max() <= 1
