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


# --- the autoencoders' config object and the SWAE loss under autocast ---------------------------
def test_autoencoder_config_defaults_are_the_default_config():
    from artdl.core import load_config

    assert autoencode.AutoencoderConfig.from_cfg(load_config().autoencode) == autoencode.AutoencoderConfig()
    a = load_config("default", ["autoencode.swae_projections=16", "autoencode.swae_prior=uniform"]).autoencode
    config = autoencode.AutoencoderConfig.from_cfg(a, epochs=2)
    assert (config.projections, config.prior, config.epochs) == (16, "uniform", 2)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epochs", -1, "autoencode.epochs=-1: must be an integer >= 1"),
        ("batch_size", 0, "autoencode.batch_size=0: must be an integer >= 1"),
        ("lr", 0.0, "autoencode.lr=0.0: must be a number > 0"),
        ("mask_prob", 1.5, "autoencode.mask_prob=1.5: must be a number in [0, 1]"),
        ("projections", 0, "autoencode.swae_projections=0: must be an integer >= 1"),
        ("swae_weight", -0.1, "autoencode.swae_weight=-0.1: must be a number >= 0"),
    ],
)
def test_autoencoder_config_names_the_key_and_the_range(field: str, value, message: str):
    from artdl.core import ConfigRangeError

    with pytest.raises(ConfigRangeError) as err:
        autoencode.AutoencoderConfig(**{field: value})
    assert str(err.value) == message


def test_fit_from_config_trains_with_the_section_it_is_given():
    from artdl.core import load_config

    cfg = load_config("default", ["autoencode.image_size=32", "autoencode.channels=[8,16]", "autoencode.latent_dim=8",
                                  "autoencode.epochs=2", "autoencode.batch_size=8"])  # fmt: skip
    images = (torch.rand(20, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 255).to(torch.uint8)
    train, val = torch.arange(20) >= 4, torch.arange(20) < 4
    torch.manual_seed(0)
    model, history = autoencode.fit_from_config("swae", images, train, val, cfg, "cpu")
    assert model.kind == "swae" and model.latent_dim == 8
    assert len(history["train_loss"]) == 2 and len(history["train_swd"]) == 2
    torch.manual_seed(0)
    again = models.ConvAutoencoder(32, 8, [8, 16], kind="swae")
    config = autoencode.AutoencoderConfig.from_cfg(cfg.autoencode)
    direct = autoencode.train_autoencoder(
        again, images[train], images[val], config, seed=cfg.seed, progress=False
    )
    assert direct == history  # the one-call entry is exactly the config object's training


def test_sliced_wasserstein_is_fp32_under_bf16_autocast():
    """On CUDA the SWAE loss runs inside bf16 autocast; its projections must not (issue #23)."""
    g = torch.Generator().manual_seed(0)
    z = torch.randn(256, 16, generator=g).bfloat16()  # what the encoder hands over under autocast
    prior = torch.randn(256, 16, generator=g)
    fp32 = autoencode.sliced_wasserstein(z.float(), prior, 64, generator=torch.Generator().manual_seed(3))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = autoencode.sliced_wasserstein(z, prior, 64, generator=torch.Generator().manual_seed(3))
    assert mixed.dtype == torch.float32
    assert mixed.item() == pytest.approx(fp32.item(), rel=1e-6, abs=0)
