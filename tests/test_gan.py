"""Tests of artdl.gan and artdl.fidelity: penalty, shapes, distances, resume, smoke runs, notebook."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from artdl import fidelity, gan
from artdl.config import load_config

from .conftest import execute_notebook


def tiny_cfg(*extra: str):
    """A config small enough for a few CPU steps in well under a second each."""
    return load_config(
        "default",
        [
            "gan.resolution=16",
            "gan.width=4",
            "gan.z_dim=8",
            "gan.batch_size=8",
            "gan.grid_size=4",
            "gan.grid_every_epochs=1",
            "gan.checkpoint_every=2",
            *extra,
        ],
    ).gan


def tiny_data(n: int = 16, classes: int = 2) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 3, 16, 16), dtype=torch.uint8, generator=g)
    labels = torch.arange(n) % classes
    return images, labels, [f"c{i}" for i in range(classes)]


# --------------------------------------------------------------------------------------------
# Gradient penalty and losses
# --------------------------------------------------------------------------------------------
class LinearCritic(nn.Module):
    """D(x) = <w, x>: its input gradient is w everywhere, so the penalty is (||w|| - 1)^2."""

    def __init__(self, w: list[float]) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) @ self.w


def test_gradient_penalty_matches_hand_computed_value_on_linear_critic():
    critic = LinearCritic([1.0, 2.0, 2.0, 4.0])  # ||w|| = 5 -> (5 - 1)^2 = 16
    real, fake = torch.randn(6, 4), torch.randn(6, 4)
    gp = gan.gradient_penalty(critic, real, fake)
    assert gp.item() == pytest.approx(16.0, rel=1e-6)
    # The penalty is differentiable in the critic's weights: d/dw (||w||-1)^2 = 2(||w||-1) w/||w||.
    gp.backward()
    assert torch.allclose(critic.w.grad, 2 * 4 * critic.w.detach() / 5, atol=1e-5)
    # Image-shaped inputs are flattened per sample the same way.
    critic4 = LinearCritic([0.0, 3.0, 0.0, 0.0])  # (3 - 1)^2 = 4
    assert gan.gradient_penalty(
        critic4, torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2)
    ).item() == pytest.approx(4.0)


def test_gradient_penalty_is_zero_for_unit_gradient_norm():
    w = torch.tensor([0.6, 0.0, 0.8, 0.0])  # ||w|| = 1
    gp = gan.gradient_penalty(LinearCritic(w.tolist()), torch.randn(5, 4), torch.randn(5, 4))
    assert gp.item() == pytest.approx(0.0, abs=1e-10)


def test_gradient_penalty_uses_interpolates():
    # D(x) = 0.5 * ||x||^2 has gradient x: the penalty depends on where x_hat lies.
    class Quadratic(nn.Module):
        def forward(self, x):
            return 0.5 * (x.flatten(1) ** 2).sum(1)

    real = torch.tensor([[3.0, 0.0]])
    fake = torch.tensor([[0.0, 0.0]])
    gp = gan.gradient_penalty(Quadratic(), real, fake, alpha=torch.tensor([0.5]))  # x_hat=(1.5,0)
    assert gp.item() == pytest.approx((1.5 - 1) ** 2)


def test_losses_on_known_logits():
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-2.0, 0.5])
    assert gan.critic_loss(real, fake, "hinge").item() == pytest.approx((0 + 1) / 2 + (0 + 1.5) / 2)
    assert gan.critic_loss(real, fake, "wgan").item() == pytest.approx(-0.75 - 1.0)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    expected = bce(real, torch.ones(2)) + bce(fake, torch.zeros(2))
    assert gan.critic_loss(real, fake, "bce").item() == pytest.approx(expected.item())
    assert gan.generator_loss(fake, "hinge").item() == pytest.approx(0.75)
    with pytest.raises(ValueError, match="Unknown critic loss"):
        gan.critic_loss(real, fake, "lsgan")


# --------------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("resolution", [16, 32, 64, 128])
@pytest.mark.parametrize("n_classes", [0, 3])
def test_generator_and_critic_shapes(resolution: int, n_classes: int):
    G = gan.Generator(resolution, z_dim=8, width=4, n_classes=n_classes)
    D = gan.Critic(resolution, width=4, n_classes=n_classes, norm="layer")
    z = torch.randn(2, 8)
    y = torch.tensor([0, 2]) if n_classes else None
    x = G(z, y)
    assert x.shape == (2, 3, resolution, resolution)
    assert x.min() >= -1 and x.max() <= 1
    assert D(x, y).shape == (2,)


def test_bad_resolution_and_batchnorm_wgan_are_rejected():
    with pytest.raises(ValueError, match="power of two"):
        gan.Generator(48)
    with pytest.raises(ValueError, match="without batch norm"):
        gan.build_models(tiny_cfg("gan.wgan_gp.critic_norm=batch"), "wgan_gp", 2)
    _, D = gan.build_models(tiny_cfg(), "wgan_gp", 2)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())


# --------------------------------------------------------------------------------------------
# Distances
# --------------------------------------------------------------------------------------------
def test_frechet_distance_is_zero_on_itself_and_grows_with_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 8))
    assert fidelity.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shifts = [fidelity.frechet_distance(a, a + s) for s in (0.25, 0.5, 1.0)]
    # A pure mean shift adds exactly ||delta||^2 = 8 s^2.
    assert shifts == pytest.approx([8 * 0.0625, 8 * 0.25, 8 * 1.0], rel=1e-5)
    scaled = fidelity.frechet_distance(a, 2 * a)  # covariance change alone also counts
    assert scaled > 1.0
    with pytest.raises(ValueError, match="same D"):
        fidelity.frechet_distance(a, a[:, :4])


def test_kernel_distance_near_zero_for_same_distribution_and_larger_when_shifted():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(200, 16)), rng.normal(size=(200, 16))
    same, _ = fidelity.kernel_distance(a, b, subset_size=100, subsets=20)
    shifted, _ = fidelity.kernel_distance(a, b + 1.0, subset_size=100, subsets=20)
    assert abs(same) < 0.05
    assert shifted > 10 * max(abs(same), 1e-3)


def test_nearest_neighbours_finds_copies():
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(50, 10))
    idx, dist = fidelity.nearest_neighbours(ref[[7, 3]] * 2.0, ref, k=2)
    assert idx[:, 0].tolist() == [7, 3]
    assert dist[:, 0] == pytest.approx([0.0, 0.0], abs=1e-12)
    assert (dist[:, 1] > 0).all()


def test_distance_table_names_the_feature_space_and_counts():
    rng = np.random.default_rng(3)
    space = fidelity.FeatureSpace(
        "EffNetLite0", "FD-EffNetLite0", "KD-EffNetLite0", nn.Identity(), 8, False, torch.device("cpu")
    )
    ref = rng.normal(size=(40, 4))
    table = fidelity.distance_table(
        space, ref, {"same": ref[:20], "far": ref[:20] + 3}, 32, subset_size=10, subsets=5
    )
    assert list(table["n"]) == [20, 20] and set(table["n_reference"]) == {40}
    assert "FD-EffNetLite0" in table.columns and not any(c.startswith("FID") for c in table.columns)
    assert table["FD-EffNetLite0"][1] > table["FD-EffNetLite0"][0] + 10


def test_missing_inception_weights_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="gan.eval.inception_weights"):
        fidelity.feature_space(str(tmp_path / "pt_inception.pth"))


def test_inception_path_with_random_weights_in_the_real_checkpoint_format(tmp_path: Path, monkeypatch):
    """FID code path end to end with a randomly initialised FID-Inception saved as the real file is."""
    import torch_fidelity.feature_extractor_inceptionv3 as tfi

    with monkeypatch.context() as m:  # build the network once without any weights to write the file
        m.setattr(tfi.torch, "load", lambda *a, **k: {})
        m.setattr(tfi.FeatureExtractorInceptionV3, "load_state_dict", lambda self, sd, *a, **k: None)
        net = tfi.FeatureExtractorInceptionV3(
            "inception-v3-compat", ["2048"], feature_extractor_weights_path="x"
        )
    weights = tmp_path / "pt_inception-random.pth"
    torch.save(net.state_dict(), weights)
    space = fidelity.feature_space(str(weights))  # strict load_state_dict: the format must match
    assert (space.fd_name, space.kd_name) == ("FID", "KID")
    feats = fidelity.extract_features(space, torch.rand(3, 3, 16, 16) * 2 - 1)
    assert feats.shape == (3, 2048) and np.isfinite(feats).all()


def test_effnet_feature_space_is_labelled_not_fid():
    space = fidelity.feature_space(None, feature_size=64)
    assert space.fd_name == "FD-EffNetLite0" and "FID" not in space.fd_name
    images = torch.randint(0, 256, (3, 3, 16, 16), dtype=torch.uint8)
    feats = fidelity.extract_features(space, images)
    assert feats.shape == (3, 1280)
    # uint8 and the same images in [-1, 1] give the same features.
    same = fidelity.extract_features(space, images.float() / 127.5 - 1)
    assert np.allclose(feats, same, atol=1e-4)


# --------------------------------------------------------------------------------------------
# Training: smoke, resume, GIF
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["dcgan", "wgan_gp"])
def test_smoke_training_runs_and_saves(kind: str, tmp_path: Path):
    images, labels, classes = tiny_data()
    run = gan.train_gan(images, labels, classes, kind, tiny_cfg(), tmp_path / kind, steps=3, progress=False)
    assert run.step == 3 and len(run.history) == 3
    assert np.isfinite(run.history[["loss_d", "loss_g"]].to_numpy()).all()
    if kind == "wgan_gp":
        assert {"wasserstein", "gp"} <= set(run.history.columns)
        assert run.epoch >= 1  # 3 steps x 5 critic batches > 2 batches per epoch
    assert run.checkpoint.is_file()
    assert len(run.grids) >= 2 and run.grids[0].shape == run.grids[-1].shape
    samples = gan.generate(run.ema, 5, classes=1)
    assert samples.shape == (5, 3, 16, 16)
    gif = gan.save_gif(run.grids, tmp_path / "train.gif")
    import imageio.v2 as imageio

    frames = imageio.mimread(gif)
    # Pillow merges frames that look the same after palette quantisation, so at most len(grids).
    assert 2 <= len(frames) <= len(run.grids) and frames[0].shape[:2] == run.grids[0].shape[:2]


def test_resume_continues_from_the_same_step(tmp_path: Path):
    images, labels, classes = tiny_data()
    cfg = tiny_cfg()
    first = gan.train_gan(images, labels, classes, "dcgan", cfg, tmp_path, steps=3, progress=False)
    saved = torch.load(first.checkpoint, weights_only=False)
    assert saved["step"] == 3 and "state" in saved["opt_g"] and saved["opt_g"]["state"]
    second = gan.train_gan(images, labels, classes, "dcgan", cfg, tmp_path, steps=5, progress=False)
    assert second.resumed_from == 3 and second.step == 5
    assert second.history["step"].tolist() == [1, 2, 3, 4, 5]
    # The optimizer state was restored, not re-created: Adam's step count continues.
    step_count = next(iter(second.generator.parameters()))
    adam_state = torch.load(second.checkpoint, weights_only=False)["opt_g"]["state"]
    assert float(next(iter(adam_state.values()))["step"]) == 5
    assert step_count is not None
    # A finished run is loaded, not retrained.
    third = gan.train_gan(images, labels, classes, "dcgan", cfg, tmp_path, steps=5, progress=False)
    assert third.resumed_from == 5 and third.step == 5
    # Other settings: not resumed, with a warning.
    with pytest.warns(UserWarning, match="other settings"):
        other = gan.train_gan(
            images, labels, classes, "dcgan", tiny_cfg("gan.width=8"), tmp_path, steps=2, progress=False
        )
    assert other.resumed_from == 0 and other.step == 2


def test_resumed_run_matches_uninterrupted_run(tmp_path: Path):
    images, labels, classes = tiny_data()
    cfg = tiny_cfg()
    straight = gan.train_gan(images, labels, classes, "dcgan", cfg, tmp_path / "a", steps=4, progress=False)
    gan.train_gan(images, labels, classes, "dcgan", cfg, tmp_path / "b", steps=2, progress=False)
    resumed = gan.train_gan(images, labels, classes, "dcgan", cfg, tmp_path / "b", steps=4, progress=False)
    for p, q in zip(straight.generator.parameters(), resumed.generator.parameters()):
        assert torch.allclose(p, q, atol=1e-5)


def test_unconditional_when_asked(tmp_path: Path):
    images, labels, classes = tiny_data()
    run = gan.train_gan(
        images,
        labels,
        classes,
        "wgan_gp",
        tiny_cfg("gan.conditional=false"),
        tmp_path,
        steps=1,
        progress=False,
    )
    assert run.generator.embed is None and run.classes == []


# --------------------------------------------------------------------------------------------
# Notebook
# --------------------------------------------------------------------------------------------
@pytest.mark.integration
def test_gan_notebook_executes(isolated_root: Path, impressionists_root: Path):
    out = execute_notebook(
        isolated_root,
        "06",
        [
            "gan.resolution=16",
            "gan.width=4",
            "gan.dcgan.steps=4",
            "gan.wgan_gp.steps=2",
            "gan.grid_every_epochs=1",
            "gan.eval.n_samples=24",
            "gan.eval.feature_size=64",
            "gan.eval.kid_subset_size=10",
            "gan.eval.kid_subsets=5",
        ],
    )
    nb = json.loads(Path(out).read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    images = isolated_root / "images" / "06_gan"
    for name in (
        "real_samples",
        "loss_curves",
        "training_progress",
        "samples_per_class",
        "distances",
        "nearest_neighbours",
    ):
        assert (images / f"{name}.png").is_file(), name
    assert (images / "wgan_gp_training.gif").is_file()
    assert (isolated_root / "models" / "gan" / "wgan_gp" / "checkpoint.pt").is_file()
    table = (isolated_root / "data" / "processed" / "gan" / "distances.csv").read_text()
    assert "FD-EffNetLite0" in table and "FID" not in table.replace("FD-", "")


@pytest.mark.parametrize("kind", ["dcgan", "wgan_gp"])
def test_full_config_builds_128px_models(kind: str):
    gcfg = load_config("full").gan
    G, D = gan.build_models(gcfg, kind, n_classes=3)
    G.eval()
    x = G(torch.randn(2, int(gcfg.z_dim)), torch.tensor([0, 2]))
    assert x.shape == (2, 3, 128, 128)
    assert D(x, torch.tensor([0, 2])).shape == (2,)


def test_autocast_is_cuda_only():
    import contextlib

    from artdl.utils import autocast

    assert isinstance(autocast(torch.device("cpu"), True), contextlib.nullcontext)
    if torch.cuda.is_available():  # pragma: no cover - no GPU on the CI box
        assert isinstance(autocast(torch.device("cuda"), True), torch.autocast)
