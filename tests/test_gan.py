"""Tests of artdl.gan: penalty, shapes, the image cache, resume, safe checkpoints, smoke runs, notebook."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from artdl import gan
from artdl.core import load_config
from artdl.gan import FeatureSpace

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
    short = imageio.mimread(gan.save_gif(run.grids, tmp_path / "short.gif", max_frames=2))
    assert len(short) <= 2


def test_resume_continues_from_the_same_step(tmp_path: Path):
    images, labels, classes = tiny_data()
    cfg = tiny_cfg()
    first = gan.train_gan(images, labels, classes, "dcgan", cfg, tmp_path, steps=3, progress=False)
    saved = torch.load(first.checkpoint, weights_only=True)  # tensors and primitives only
    assert saved["step"] == 3 and "state" in saved["opt_g"] and saved["opt_g"]["state"]
    second = gan.train_gan(images, labels, classes, "dcgan", cfg, tmp_path, steps=5, progress=False)
    assert second.resumed_from == 3 and second.step == 5
    assert second.history["step"].tolist() == [1, 2, 3, 4, 5]
    # The optimizer state was restored, not re-created: Adam's step count continues.
    adam_state = torch.load(second.checkpoint, weights_only=True)["opt_g"]["state"]
    assert float(next(iter(adam_state.values()))["step"]) == 5
    # The first three steps' history was restored from the checkpoint, not recomputed.
    assert second.history["loss_g"].tolist()[:3] == first.history["loss_g"].tolist()
    assert len(second.grids) > len(first.grids) and second.grids[0].dtype == np.uint8
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


def test_pickled_old_format_checkpoint_is_replaced_not_unpickled(tmp_path: Path):
    """A checkpoint that needs arbitrary classes (here a numpy array) is never unpickled."""
    images, labels, classes = tiny_data()
    torch.save({"signature": {}, "grids": [np.zeros((2, 2, 3), np.uint8)]}, tmp_path / "checkpoint.pt")
    with pytest.warns(UserWarning, match="older format"):
        run = gan.train_gan(images, labels, classes, "dcgan", tiny_cfg(), tmp_path, steps=1, progress=False)
    assert run.resumed_from == 0 and run.step == 1
    torch.load(run.checkpoint, weights_only=True)  # the replacement is in the safe format


# --------------------------------------------------------------------------------------------
# Training images: the data layer's cache
# --------------------------------------------------------------------------------------------
def _write_painting(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (40, 24)) -> None:
    from PIL import Image

    Image.new("RGB", size, colour).save(path)


def test_training_images_come_from_the_data_cache_and_a_changed_file_invalidates_it(tmp_path: Path):
    import os

    import pandas as pd

    folder = tmp_path / "paintings"
    folder.mkdir()
    paths = [folder / f"{i}.png" for i in range(3)]
    for i, p in enumerate(paths):
        _write_painting(p, (10 * i, 100, 200))
    table = pd.DataFrame({"path": [str(p) for p in paths], "label": ["b", "a", "b"]})
    cache = tmp_path / "cache"
    images, labels, classes = gan.load_training_images(table, 16, cache_dir=cache)
    assert images.shape == (3, 3, 16, 16) and images.dtype == torch.uint8
    assert classes == ["a", "b"] and labels.tolist() == [1, 0, 1]
    assert images[1, :, 8, 8].tolist() == [10, 100, 200]  # the table's order, not the file order
    assert len(list(cache.glob("*.npy"))) == 1
    again, _, _ = gan.load_training_images(table, 16, cache_dir=cache)  # unchanged: the same file
    assert torch.equal(again, images) and len(list(cache.glob("*.npy"))) == 1
    # Same size, new pixels, new modification time: the cache must not serve the old pixels.
    _write_painting(paths[1], (250, 0, 0))
    stat = os.stat(paths[1])
    os.utime(paths[1], ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    changed, _, _ = gan.load_training_images(table, 16, cache_dir=cache)
    assert changed[1, :, 8, 8].tolist() == [250, 0, 0]
    assert torch.equal(changed[[0, 2]], images[[0, 2]])
    assert len(list(cache.glob("*.npy"))) == 2


# --------------------------------------------------------------------------------------------
# Distance tables of notebook 06
# --------------------------------------------------------------------------------------------
def _space():

    return FeatureSpace(
        "EffNetLite0", "FD-EffNetLite0", "KD-EffNetLite0", nn.Identity(), 8, False, torch.device("cpu")
    )


def test_distance_rows_name_their_model_without_parsing_the_set_name():
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    ref, held = rng.normal(size=(40, 4)), rng.normal(size=(12, 4))
    generated = {"wgan gp": rng.normal(size=(20, 4)) + 2, "dcgan": rng.normal(size=(12, 4))}
    runs = {"wgan gp": SimpleNamespace(step=7, seconds=3.21), "dcgan": SimpleNamespace(step=5, seconds=1.0)}
    config = gan.DistanceConfig(subset_size=10, subsets=3, resamples=20)
    out = gan.distance_rows(_space(), ref, held, generated, runs, 16, config)
    table = out.table
    assert [(c.a, c.b) for c in out.comparisons] == [("wgan gp", "dcgan")]  # the models at equal n
    assert table["set"].tolist() == ["real held-out", "wgan gp", "wgan gp (all 20)", "dcgan"]
    assert table["model"].tolist() == ["", "wgan gp", "wgan gp", "dcgan"]
    assert table["steps"].tolist() == [0, 7, 7, 5] and table["train_seconds"].tolist()[1] == 3.2
    assert table["n"].tolist() == [12, 12, 20, 12]


def test_two_images_a_set_still_give_finite_intervals():
    """full's smoke run has 2 held-out paintings: half the resamples of 2 draw one image twice,
    whose unbiased kernel distance is undefined; those are left out, not written as NaN."""
    from types import SimpleNamespace

    rng = np.random.default_rng(3)
    runs = {m: SimpleNamespace(step=2, seconds=1.0) for m in ("dcgan", "wgan_gp")}
    generated = {m: rng.normal(size=(2, 4)) for m in runs}
    config = gan.DistanceConfig(subset_size=4, subsets=2, resamples=200)
    out = gan.distance_rows(_space(), rng.normal(size=(6, 4)), rng.normal(size=(2, 4)), generated, runs, 16, config)
    bounds = out.table[["fd_low", "fd_high", "kd_low", "kd_high"]].to_numpy()
    assert np.isfinite(bounds).all() and set(out.table["n"]) == {2}
    c = out.comparisons[0]
    assert all(np.isfinite([v.low, v.high]).all() for v in (c.fd, c.kd))


def test_per_class_distances_compare_each_painter_with_the_other():
    rng = np.random.default_rng(1)
    train_labels = np.repeat([0, 1], 30)
    train = rng.normal(size=(60, 4)) + 5 * train_labels[:, None]  # two well-separated painters
    held_labels = np.repeat([0, 1], 10)
    held = rng.normal(size=(20, 4)) + 5 * held_labels[:, None]
    generated = {"g": {0: rng.normal(size=(15, 4)), 1: rng.normal(size=(15, 4)) + 5}}
    config = gan.DistanceConfig(subset_size=8, subsets=3, resamples=50)
    out = gan.per_class_distances(
        _space(), train, train_labels, held, held_labels, generated, ["monet", "morisot"], config
    )
    table = out.table
    assert [(c.reference, c.a, c.b, c.claim) for c in out.comparisons] == [
        ("monet", "g", "real other painter", "closer"), ("morisot", "g", "real other painter", "closer")
    ]  # fmt: skip
    assert (table["fd_low"] <= table["fd_high"]).all() and (table["kd_low"] <= table["kd_high"]).all()
    assert table["painter"].tolist() == ["monet"] * 3 + ["morisot"] * 3
    assert set(table["n"]) == {10}
    fd = table.set_index(["painter", "set"])["FD-EffNetLite0"]
    for painter in ("monet", "morisot"):
        assert fd[painter, "real other painter"] > 10 * fd[painter, "real held-out"]
        assert fd[painter, "g"] < fd[painter, "real other painter"]



def test_per_class_distances_of_a_one_class_set_are_empty_with_a_reason():
    """full's GAN set is one genre (unconditional): 06 must go on, and its Findings must say why."""
    import dataclasses

    from artdl.report import gan as report

    from .record_samples import gan_sample

    rng = np.random.default_rng(2)
    feats = rng.normal(size=(12, 4))
    out = gan.per_class_distances(_space(), feats, [0] * 12, feats[:6], [0] * 6, {}, ["landscape"])
    assert out.table.empty and out.comparisons == [] and "one class (landscape)" in out.note
    sparse = gan.per_class_distances(_space(), feats, [0] * 11 + [1], feats[:2], [0, 1], {}, ["a", "b"])
    assert sparse.table.empty and "at least 2" in sparse.note
    record = gan_sample()
    record = dataclasses.replace(record, per_painter=[], painter_comparisons=[],
                                 training_set=dataclasses.replace(record.training_set, classes=["landscape"]))
    assert "Per painter: not scored, because the GAN set has one class (landscape)" in report.findings(record)


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

    from artdl.core import autocast

    assert isinstance(autocast(torch.device("cpu"), True), contextlib.nullcontext)
    if torch.cuda.is_available():  # pragma: no cover - no GPU on the CI box
        assert isinstance(autocast(torch.device("cuda"), True), torch.autocast)


# --------------------------------------------------------------------------------------------
# Findings and README table (artdl.report.gan)
# --------------------------------------------------------------------------------------------
def test_gan_findings_and_readme_are_computed_from_the_record():
    from artdl.report import gan as report

    from .record_samples import gan_sample as _record

    text = report.findings(_record())
    assert "So **wgan_gp** is closest, at 1.5× the floor" in text  # both distances agree beyond noise
    assert "This run cannot tell whether **wgan_gp** or the other painter's real paintings sits nearer claude-monet" in text
    assert "the kernel distance's interval includes zero" in text
    assert "dcgan 600.0 [580.0, 625.0]" in text and "(95 % bootstrap intervals over the images)" in text
    assert "no sign of copying" in text and "Memorisation (every model" in text and "Wasserstein estimate ends at 1.50" in text
    copied = report.findings(_record(close_samples=40))  # 27% of samples closer than 95% of real paintings
    assert "40 of 150 samples (27% [20%, 34%])" in copied and "**possible copies" in copied
    assert "generator steps dcgan 2000, wgan_gp 2000" in text  # from configs/full.yaml via the record
    assert "FID" not in text.replace("Not FID", "")
    table = report.readme(_record())["gan"]
    assert "| DCGAN, EMA generator, n=150 | 300 | 30 s | 10.0 | 600.0 [580.0, 625.0] | 6.0 [5.0, 7.0] |" in table
    assert "(all 300)" not in table and "Not FID" in table
    assert "**dcgan** is farther from the train paintings than **wgan_gp** is" in table
    # a model-vs-model claim says what its interval leaves out; a painter comparison has no second model
    caveat = "one training run of each model: the interval covers which images were drawn, not another training seed"
    assert caveat in table and caveat in text
    assert not any(caveat in x for x in text.splitlines() if "other painter's real paintings" in x)


def _distance_verdict(value: float, low: float, high: float):
    from artdl.core import Interval, verdict

    return verdict(Interval(value, low, high, 70, 0.95, kind="bootstrap over images"), "a", "b", "closeness")


@pytest.mark.parametrize(
    ("fd", "kd", "claim"),
    [
        ((30.0, 10.0, 50.0), (2.0, 1.0, 3.0), "closer"),  # both gains beyond zero: a is closer
        ((-30.0, -50.0, -10.0), (-2.0, -3.0, -1.0), "farther"),
        ((30.0, 10.0, 50.0), (-2.0, -3.0, -1.0), "cannot tell"),  # they disagree
        ((30.0, 10.0, 50.0), (0.5, -1.0, 2.0), "cannot tell"),  # the kernel interval straddles zero
        ((3.0, -10.0, 15.0), (0.5, -1.0, 2.0), "cannot tell"),
    ],
)
def test_a_painter_claim_needs_both_distances_to_agree_beyond_their_intervals(fd, kd, claim):
    said, reason = gan.agreement(_distance_verdict(*fd), _distance_verdict(*kd))
    assert said == claim
    assert ("disagree" in reason) == (claim == "cannot tell" and fd[1] > 0 and kd[2] < 0)


def test_gan_report_claims_nothing_the_verdicts_do_not_support():
    from artdl.report import gan as report

    from .record_samples import gan_sample

    noisy = gan_sample(fd_gain=(40.0, -10.0, 90.0), kd_gain=(-1.0, -3.0, 1.0))  # per painter: within noise
    lines = [x for x in report.findings(noisy).splitlines() if "claude-monet" in x]
    assert lines and not any("closer" in x or "farther" in x for x in lines)
    assert "cannot tell" in lines[0] and "both distances' intervals include zero" in lines[0]
    opposite = gan_sample(fd_gain=(40.0, 10.0, 90.0), kd_gain=(-1.0, -3.0, -0.5))
    assert "the Fréchet and kernel distances disagree" in report.findings(opposite)
    converted = gan_sample()
    converted.comparisons = converted.painter_comparisons = None
    for row in [*converted.distances, *converted.per_painter]:
        row.fd_low = row.fd_high = row.kd_low = row.kd_high = None
    text = report.findings(converted)
    assert "closest" not in text and "closer" not in text.replace("closer to the training set", "")
    assert text.count("re-run 06") >= 2 and "re-run 06" in report.readme(converted)["gan"]


def test_distance_bootstrap_tells_a_shifted_set_from_a_matching_one():
    from artdl.gan import fidelity
    from artdl.gan.evaluate import _frechet

    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(30, 6)), rng.normal(size=(45, 6)) * 1.3 + 0.2
    feats = np.concatenate([a, b])
    assert _frechet(feats @ feats.T, np.arange(30), 30 + np.arange(45)) == pytest.approx(
        fidelity.frechet_distance(a, b), rel=1e-9
    )  # the SVD form used for the resamples is the standard Fréchet distance
    ref, held = rng.normal(size=(80, 6)), rng.normal(size=(40, 6))
    generated = {"same": rng.normal(size=(40, 6)), "shifted": rng.normal(size=(40, 6)) + 1.5}
    runs = {k: SimpleNamespace(step=1, seconds=1.0) for k in generated}
    config = gan.DistanceConfig(subset_size=20, subsets=5, resamples=100)
    out = gan.distance_rows(_space(), ref, held, generated, runs, 16, config)
    (c,) = out.comparisons
    assert (c.a, c.b, c.claim) == ("same", "shifted", "closer") and c.fd.significant and c.kd.significant
    rows = out.table.set_index("set")
    assert rows.loc["shifted", "fd_low"] > rows.loc["same", "fd_high"]
    twins = {"x": rng.normal(size=(40, 6)), "y": rng.normal(size=(40, 6))}
    out = gan.distance_rows(_space(), ref, held, twins, {k: runs["same"] for k in twins}, 16, config)
    assert out.comparisons[0].claim == "cannot tell"  # two draws of one distribution
    with pytest.raises(ValueError, match="bootstrap_resamples"):
        gan.DistanceConfig(resamples=5)
    assert gan.DistanceConfig.from_config(load_config()).resamples == load_config().gan.eval.bootstrap_resamples


def test_full_config_steps_are_what_the_report_reads():
    full = load_config("full").gan
    assert {m: int(full[m].steps) for m in full.models} == {"dcgan": 2000, "wgan_gp": 2000}


# --------------------------------------------------------------------------------------------
# CUDA defects of issue #23 that a CPU test can see
# --------------------------------------------------------------------------------------------
def test_critic_step_builds_no_generator_graph_and_returns_device_tensors():
    """The critic step only uses the fakes detached: G runs under no_grad (no graph to build on a
    GPU), and the losses come back as tensors, read once per log interval instead of per step."""
    from artdl.gan import Networks
    from artdl.gan.train import StepSettings

    cfg = tiny_cfg()
    nets = Networks.build(cfg, "wgan_gp", 2, torch.device("cpu"))
    grad_modes = []
    nets.G.register_forward_hook(lambda *_: grad_modes.append(torch.is_grad_enabled()))
    images, labels, _ = tiny_data(8)
    settings = StepSettings("wgan", 10.0, False, torch.device("cpu"))
    row = gan.critic_step(nets, gan.to_float(images), labels, settings)
    assert grad_modes == [False]
    assert all(p.grad is None for p in nets.G.parameters())
    assert set(row) == {"gp", "wasserstein", "loss_d"} and all(
        isinstance(v, torch.Tensor) for v in row.values()
    )
    loss_g = gan.generator_step(nets, labels, 8, settings)
    assert grad_modes == [False, True] and isinstance(loss_g, torch.Tensor)


def test_history_is_read_back_per_log_interval_with_every_step_in_it(tmp_path: Path):
    images, labels, classes = tiny_data()
    run = gan.train_gan(images, labels, classes, "dcgan", tiny_cfg("gan.log_every=4", "gan.checkpoint_every=0"),
                        tmp_path, steps=6, progress=False)  # fmt: skip
    assert run.history["step"].tolist() == [1, 2, 3, 4, 5, 6]
    assert np.isfinite(run.history[["loss_d", "loss_g"]].to_numpy()).all()


def test_checkpoint_saves_and_restores_the_cuda_generator_state(tmp_path: Path, monkeypatch):
    """On CUDA the GPU's RNG state goes into the checkpoint and comes back on resume, or a resumed
    run would replay step 0's noise (CUDA faked here: the networks report a cuda device)."""
    from artdl.gan import checkpoint as ckpt

    images, labels, classes = tiny_data()
    cfg = tiny_cfg()
    nets = ckpt.Networks.build(cfg, "dcgan", 2, torch.device("cpu"))
    fake_cuda, restored = torch.device("cuda", 0), []
    state = torch.arange(16, dtype=torch.uint8)
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda device=None: state.clone())
    monkeypatch.setattr(
        torch.cuda, "set_rng_state", lambda s, device=None: restored.append((s.clone(), device))
    )
    param = next(nets.G.parameters())
    monkeypatch.setattr(type(nets.G), "parameters", lambda self, recurse=True: iter([_OnCuda(param)]))
    signature = gan.checkpoint_signature(cfg, "dcgan", 2, len(images))
    path = gan.save_checkpoint(tmp_path / "c.pt", nets, gan.Progress(step=1), signature, classes)
    assert torch.equal(torch.load(path, weights_only=True)["cuda_rng"], state)
    monkeypatch.undo()
    monkeypatch.setattr(
        torch.cuda, "set_rng_state", lambda s, device=None: restored.append((s.clone(), device))
    )
    fresh = ckpt.Networks.build(cfg, "dcgan", 2, torch.device("cpu"))
    monkeypatch.setattr(torch, "load", _load_to_cpu(torch.load))
    assert gan.load_checkpoint(path, fresh, signature, fake_cuda) is not None
    assert len(restored) == 1 and torch.equal(restored[0][0], state) and restored[0][1] == fake_cuda


class _OnCuda:
    """A parameter stand-in that says it lives on a GPU."""

    def __init__(self, param: torch.Tensor) -> None:
        self.device = torch.device("cuda", 0)


def _load_to_cpu(load):
    return lambda path, map_location=None, **kw: load(path, map_location="cpu", **kw)


def test_ema_keeps_its_warm_up_schedule_without_reading_the_counter_on_the_host():
    """The EMA decay is computed on the device now; the weights it gives are the same schedule:
    decay_n = min(decay, (1 + n) / (10 + n)) after the first (copying) update."""
    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    ema = gan.make_ema(net, 0.9)
    expected = net.weight.detach().clone()
    for n in range(4):
        with torch.no_grad():
            net.weight.add_(1.0)
        ema.update_parameters(net)
        d = min(0.9, (1 + n) / (10 + n))
        expected = net.weight.detach().clone() if n == 0 else expected * d + net.weight.detach() * (1 - d)
    assert torch.allclose(ema.module.weight, expected, atol=1e-6)
