"""Step 03: the denoising and sliced-Wasserstein autoencoders, and the one t-SNE/UMAP map helper."""

from pathlib import Path

import numpy as np
import pytest
import torch

from artdl import autoencode, models


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


# --- the one map helper (03, 05 and the explorer) ----------------------------------------------
def _clusters(n_per: int = 40, dims: int = 32, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (3, dims)) * 5
    labels = np.repeat(np.arange(3), n_per)
    return centres[labels] + rng.normal(0, 1, (len(labels), dims)), labels


def _separation(xy: np.ndarray, labels: np.ndarray) -> float:
    """Smallest distance between cluster centres over the mean spread inside a cluster."""
    inside = np.mean(
        [np.linalg.norm(xy[labels == k] - xy[labels == k].mean(0), axis=1).mean() for k in range(3)]
    )
    centres = np.array([xy[labels == k].mean(0) for k in range(3)])
    return float(min(np.linalg.norm(a - b) for i, a in enumerate(centres) for b in centres[i + 1 :]) / inside)


def test_project_2d_fits_both_maps_side_by_side_with_the_explorer_options():
    x, labels = _clusters()
    settings = autoencode.MapSettings(
        tsne_iterations=250, umap_epochs=100, metric="cosine", pca_dims=8, sample=100, seed=0
    )
    maps = autoencode.project_2d(x, ["umap", "tsne"], settings)
    assert list(maps) == ["umap", "tsne"]
    for name, xy in maps.items():
        assert xy.shape == (120, 2) and np.isfinite(xy).all(), name
        assert _separation(xy, labels) > 3, name  # the 20 rows outside the sample placed by landmarks
    again = autoencode.project_2d(x, ["tsne"], settings)["tsne"]
    assert np.allclose(again, maps["tsne"], atol=1e-4)  # seeded: alone or side by side, the same map


def test_map_helpers_keep_03s_settings_and_check_their_input():
    x, labels = _clusters(n_per=10, dims=6)
    xy = autoencode.tsne_2d(x, perplexity=30, iterations=500)  # perplexity capped below n = 30
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(30) * 1e9
    assert xy.shape == (30, 2) and (labels[d.argmin(1)] == labels).mean() >= 0.8  # neighbours kept
    assert autoencode.tsne_2d(x[:5], iterations=250).shape == (5, 2)  # tiny sets work
    with pytest.raises(ValueError, match="at least 3"):
        autoencode.tsne_2d(x[:2])
    with pytest.raises(ValueError, match="Unknown map method"):
        autoencode.project_2d(x, ["pca"])
    with pytest.raises(ValueError, match="metric"):
        autoencode.project_2d(x, ["umap"], autoencode.MapSettings(metric="manhattan"))


def test_landmarks_sit_next_to_their_nearest_sampled_rows():
    from artdl.autoencode.projection import _landmark

    rng = np.random.default_rng(2)
    x = np.repeat(np.eye(4), 25, axis=0) + rng.normal(0, 0.01, (100, 4))
    xy = _landmark(lambda part: part[:, :2] * 10, x, autoencode.MapSettings(sample=20, seed=0))
    assert np.abs(xy - x[:, :2] * 10).max() < 1.0
    called = []
    _landmark(lambda part: called.append(len(part)) or part[:, :2], x, autoencode.MapSettings(sample=0))
    assert called == [100]  # sample=0: every row fitted


# --- the decoder, the perceptual loss and the quality numbers ---------------------------------
def test_default_decoder_has_no_transposed_conv_and_keeps_shapes():
    for decoder in ("upsample", "transposed"):
        model = models.ConvAutoencoder(32, 8, [8, 16], decoder=decoder).eval()
        recon, z = model(torch.rand(3, 3, 32, 32))
        assert recon.shape == (3, 3, 32, 32) and z.shape == (3, 8)
        assert 0 <= recon.min() and recon.max() <= 1
        has_transposed = any(isinstance(m, torch.nn.ConvTranspose2d) for m in model.modules())
        assert has_transposed == (decoder == "transposed")
    assert models.ConvAutoencoder(32, 8, [8, 16]).hparams["decoder"] == "upsample"  # the checkerboard-free one
    with pytest.raises(ValueError, match="decoder"):
        models.ConvAutoencoder(32, 8, [8, 16], decoder="pixelshuffle")


def test_perceptual_loss_is_zero_for_identical_inputs_and_positive_otherwise():
    loss = autoencode.PerceptualLoss(stages=2)
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert loss(x, x.clone()).item() == pytest.approx(0.0, abs=1e-8)
    recon = x.flip(-1).requires_grad_()
    value = loss(recon, x)
    assert value.item() > 0
    value.backward()
    assert recon.grad is not None and recon.grad.abs().sum() > 0  # the gradient reaches the reconstruction
    assert not any(p.requires_grad for p in loss.parameters())  # Lite0 stays frozen ...
    loss.train()
    assert not loss.training  # ... and in eval mode, with its ImageNet batch-norm statistics
    with pytest.raises(ValueError, match="stages"):
        autoencode.PerceptualLoss(stages=0, pretrained=False)


def test_perceptual_weight_adds_its_loss_to_training():
    images = (torch.rand(16, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 255).to(torch.uint8)
    config = autoencode.AutoencoderConfig(epochs=1, batch_size=8, perceptual_weight=0.01)
    hist = autoencode.train_autoencoder(models.ConvAutoencoder(32, 8, [8, 16]), images, images[:4], config,
                                        progress=False)  # fmt: skip
    assert hist["train_perceptual"][0] > 0
    assert hist["train_loss"][0] > hist["train_recon"][0]  # the weighted perceptual term is in the loss
    assert len(hist["epoch_seconds"]) == 1 and hist["epoch_seconds"][0] > 0
    with pytest.raises(ValueError, match="perceptual_weight"):
        autoencode.AutoencoderConfig(perceptual_weight=-1.0)


def test_swae_loss_keeps_the_perceptual_term_beside_the_sliced_wasserstein_one():
    """The SWAE's loss is recon + perceptual + SW; it once dropped the perceptual term while its
    history still reported it."""
    images = (torch.rand(16, 3, 32, 32, generator=torch.Generator().manual_seed(2)) * 255).to(torch.uint8)
    config = autoencode.AutoencoderConfig(epochs=1, batch_size=8, perceptual_weight=0.5, swae_weight=0.1)
    model = models.ConvAutoencoder(32, 8, [8, 16], kind="swae")
    hist = autoencode.train_autoencoder(model, images, None, config, progress=False)
    parts = hist["train_recon"][0] + 0.5 * hist["train_perceptual"][0] + 0.1 * hist["train_swd"][0]
    assert hist["train_perceptual"][0] > 0 and hist["train_swd"][0] > 0
    assert hist["train_loss"][0] == pytest.approx(parts, rel=1e-5)


class _Identity(torch.nn.Module):
    """A stand-in autoencoder that returns its input (a perfect reconstruction) or a grey image."""

    def __init__(self, grey: bool = False) -> None:
        super().__init__()
        self.grey = grey

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.full_like(x, 0.5) if self.grey else x), x.flatten(1)[:, :4]


def test_reconstruction_quality_reads_perfect_and_grey_reconstructions():
    images = (torch.rand(5, 3, 32, 32, generator=torch.Generator().manual_seed(2)) * 255).to(torch.uint8)
    perfect = autoencode.reconstruction_quality(_Identity(), images)
    grey = autoencode.reconstruction_quality(_Identity(grey=True), images, batch_size=2)
    assert perfect["ssim"] == pytest.approx(1.0, abs=1e-4) and perfect["psnr"] > 60 and perfect["n"] == 5
    assert grey["ssim"] < 0.1 and grey["psnr"] < 15 and grey["mse"] == pytest.approx(1 / 12, rel=0.15)
    with pytest.raises(ValueError, match="at least one"):
        autoencode.reconstruction_quality(_Identity(), images[:0])


def test_farthest_pair_picks_the_two_codes_farthest_apart_among_the_candidates():
    codes = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [-5.0, 0.0], [0.5, 0.5]])
    assert autoencode.farthest_pair(codes) == (2, 3)
    assert autoencode.farthest_pair(codes, np.array([0, 1, 4])) == (0, 1)
    assert autoencode.farthest_pair(codes, np.array([4, 0, 2])) == (0, 2)
    with pytest.raises(ValueError, match="two"):
        autoencode.farthest_pair(codes, np.array([1]))


def test_spatial_bottleneck_keeps_the_map_and_says_what_to_set():
    from artdl.models import ConvAutoencoder

    model = ConvAutoencoder(32, 128, [8, 16], bottleneck="spatial").eval()  # an 8x8 map, 2 code channels a place
    x = torch.rand(3, 3, 32, 32)
    recon, z = model(x)
    assert z.shape == (3, 128) and recon.shape == x.shape and model.code_channels == 2
    # each code number belongs to one place: changing the code of the top-left place changes the
    # top-left of the picture far more than the bottom-right
    z2 = z.detach().clone().view(3, 2, 8, 8)
    z2[:, :, 0, 0] += 5
    delta = (model.decode(z2.flatten(1)) - model.decode(z.detach())).abs()
    assert delta[..., :8, :8].mean() > 10 * delta[..., -8:, -8:].mean()
    with pytest.raises(ValueError, match="autoencode.latent_dim to one"):
        ConvAutoencoder(32, 100, [8, 16], bottleneck="spatial")
    with pytest.raises(ValueError, match="Unknown bottleneck"):
        ConvAutoencoder(32, 128, [8, 16], bottleneck="round")


def test_a_spatial_checkpoint_loads_back_the_same(tmp_path):
    from artdl.models import ConvAutoencoder, load_autoencoder, save_autoencoder

    model = ConvAutoencoder(32, 64, [8, 16], kind="swae", bottleneck="spatial").eval()
    loaded = load_autoencoder(save_autoencoder(model, tmp_path / "ae.pt"))
    x = torch.rand(2, 3, 32, 32)
    assert loaded.hparams["bottleneck"] == "spatial" and torch.allclose(loaded(x)[0], model(x)[0])
