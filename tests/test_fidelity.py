"""Tests of artdl.gan.fidelity: the distances, cross-checked against torchmetrics, and their labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from artdl import gan


class SmallFeatures(nn.Module):
    """A fixed random conv net: images in [-1, 1] -> 12 features (fewer than samples, so the
    covariances are full rank and both square-root methods are well conditioned)."""

    num_features = 12

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(
            nn.Conv2d(3, 12, 3, stride=2), nn.Tanh(), nn.AdaptiveAvgPool2d(1), nn.Flatten()
        ).double()  # float64 throughout: the comparison is of the formulas, not of rounding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.double())


def _space(model: nn.Module) -> gan.FeatureSpace:
    return gan.FeatureSpace(
        "EffNetLite0", "FD-EffNetLite0", "KD-EffNetLite0", model.eval(), 16, False, torch.device("cpu")
    )


def _image_sets() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    real = torch.rand(120, 3, 16, 16, generator=g) * 2 - 1
    fake = (torch.rand(100, 3, 16, 16, generator=g) * 1.6 - 0.5).clamp(-1, 1)
    return real, fake


def test_frechet_distance_equals_torchmetrics_with_the_same_feature_module():
    from torchmetrics.image.fid import FrechetInceptionDistance

    model = SmallFeatures()
    real, fake = _image_sets()
    ours = gan.frechet_distance(
        gan.extract_features(_space(model), real), gan.extract_features(_space(model), fake)
    )
    metric = FrechetInceptionDistance(feature=model, normalize=True)
    metric.set_dtype(torch.float64)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    theirs = float(metric.compute())
    assert ours > 0.01  # a real difference, not two zeros
    assert ours == pytest.approx(theirs, rel=1e-6)


@pytest.mark.filterwarnings("ignore:Metric `Kernel Inception Distance` will save")
def test_kernel_distance_equals_torchmetrics_with_the_same_feature_module():
    from torchmetrics.image.kid import KernelInceptionDistance

    model = SmallFeatures()
    real, fake = _image_sets()
    a = gan.extract_features(_space(model), real[:100])
    b = gan.extract_features(_space(model), fake)
    # One subset of all 100 samples: the unbiased MMD^2 then does not depend on the subsampling,
    # which is random in both implementations (numpy here, torch.randperm there).
    ours, ours_std = gan.kernel_distance(a, b, subset_size=100, subsets=3)
    metric = KernelInceptionDistance(feature=model, subsets=3, subset_size=100, normalize=True)
    metric.update(real[:100], real=True)
    metric.update(fake, real=False)
    theirs, theirs_std = (float(v) for v in metric.compute())
    assert ours > 1e-4
    assert ours == pytest.approx(theirs, rel=1e-6)
    assert ours_std == pytest.approx(0.0, abs=1e-12) and theirs_std == pytest.approx(0.0, abs=1e-12)


def test_effnet_space_is_described_as_a_frechet_distance_not_fid():
    space = _space(nn.Identity())
    assert space.description == "Fréchet distance on EfficientNet-Lite0 features"
    assert "FID" not in space.description and "FID" not in space.fd_name


def test_frechet_distance_is_zero_on_itself_and_grows_with_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 8))
    assert gan.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shifts = [gan.frechet_distance(a, a + s) for s in (0.25, 0.5, 1.0)]
    # A pure mean shift adds exactly ||delta||^2 = 8 s^2.
    assert shifts == pytest.approx([8 * 0.0625, 8 * 0.25, 8 * 1.0], rel=1e-5)
    scaled = gan.frechet_distance(a, 2 * a)  # covariance change alone also counts
    assert scaled > 1.0
    with pytest.raises(ValueError, match="same D"):
        gan.frechet_distance(a, a[:, :4])


def test_kernel_distance_near_zero_for_same_distribution_and_larger_when_shifted():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(200, 16)), rng.normal(size=(200, 16))
    same, _ = gan.kernel_distance(a, b, subset_size=100, subsets=20)
    shifted, _ = gan.kernel_distance(a, b + 1.0, subset_size=100, subsets=20)
    assert abs(same) < 0.05
    assert shifted > 10 * max(abs(same), 1e-3)


def test_nearest_neighbours_finds_copies():
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(50, 10))
    idx, dist = gan.nearest_neighbours(ref[[7, 3]] * 2.0, ref, k=2)
    assert idx[:, 0].tolist() == [7, 3]
    assert dist[:, 0] == pytest.approx([0.0, 0.0], abs=1e-12)
    assert (dist[:, 1] > 0).all()


def test_distance_table_names_the_feature_space_and_counts():
    rng = np.random.default_rng(3)
    space = gan.FeatureSpace(
        "EffNetLite0", "FD-EffNetLite0", "KD-EffNetLite0", nn.Identity(), 8, False, torch.device("cpu")
    )
    ref = rng.normal(size=(40, 4))
    table = gan.distance_table(
        space, ref, {"same": ref[:20], "far": ref[:20] + 3}, 32, subset_size=10, subsets=5
    )
    assert list(table["n"]) == [20, 20] and set(table["n_reference"]) == {40}
    assert "FD-EffNetLite0" in table.columns and not any(c.startswith("FID") for c in table.columns)
    assert table["FD-EffNetLite0"][1] > table["FD-EffNetLite0"][0] + 10


def test_missing_inception_weights_without_a_mirror_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="gan.eval.inception_weights"):
        gan.feature_space(str(tmp_path / "pt_inception.pth"), urls=())


def _random_inception_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A randomly initialised FID-Inception saved as the published file is: its state dict."""
    import torch_fidelity.feature_extractor_inceptionv3 as tfi

    with monkeypatch.context() as m:  # build the network once without any weights to write the file
        m.setattr(tfi.torch, "load", lambda *a, **k: {})
        m.setattr(tfi.FeatureExtractorInceptionV3, "load_state_dict", lambda self, sd, *a, **k: None)
        net = tfi.FeatureExtractorInceptionV3(
            "inception-v3-compat", ["2048"], feature_extractor_weights_path="x"
        )
    torch.save(net.state_dict(), path)
    return path


def test_inception_path_with_random_weights_in_the_real_checkpoint_format(tmp_path: Path, monkeypatch):
    """FID code path end to end with a randomly initialised FID-Inception saved as the real file is."""
    weights = _random_inception_file(tmp_path / "pt_inception-random.pth", monkeypatch)
    space = gan.feature_space(str(weights), sha256=None)  # strict load_state_dict: the format must match
    assert (space.fd_name, space.kd_name) == ("FID", "KID") and "not pinned" in space.weights
    feats = gan.extract_features(space, torch.rand(3, 3, 16, 16) * 2 - 1)
    assert feats.shape == (3, 2048) and np.isfinite(feats).all()


def test_pinned_inception_url_is_torch_fidelitys_and_the_hash_matches_its_name():
    from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3

    assert gan.INCEPTION_URLS[0] == URL_INCEPTION_V3
    # torch.hub's rule: the name ends in the first hex digits of the file's SHA-256.
    for url in gan.INCEPTION_URLS:
        assert gan.INCEPTION_SHA256.startswith(url.rsplit("-", 1)[1].split(".")[0])
    assert len(gan.INCEPTION_SHA256) == 64


@pytest.fixture
def local_server(tmp_path: Path):
    """An HTTP server on 127.0.0.1 serving ``tmp_path / "www"``; yields (folder, base URL, request log)."""
    import functools
    import http.server
    import threading

    www = tmp_path / "www"
    www.mkdir()
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_request(self, *args) -> None:  # one entry per request, whatever its status
            requests.append(self.path)

        def log_message(self, *args) -> None:  # keep the test output quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield www, f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def test_inception_is_downloaded_once_from_the_first_working_mirror_and_pinned(
    tmp_path: Path, monkeypatch, local_server, isolated_root: Path
):
    from artdl.core import load_config
    from artdl.models import sha256_of

    www, base, requests = local_server
    served = _random_inception_file(www / "weights-inception-2015-12-05-6726825d.pth", monkeypatch)
    pin = sha256_of(served)
    target = "models/gan/weights-inception.pth"
    cfg = load_config(
        "default",
        [
            f"gan.eval.inception_weights={target}",
            f"gan.eval.inception_urls=[{base}/missing.pth,{base}/{served.name}]",
            f"gan.eval.inception_sha256={pin}",
        ],
    )
    space = gan.configured_feature_space(cfg.gan.eval)
    assert space.fd_name == "FID" and "checked" in space.weights and "models/gan" in space.weights
    assert sha256_of(isolated_root / target) == pin
    assert requests == ["/missing.pth", f"/{served.name}"]  # the dead mirror, then the good one
    gan.configured_feature_space(cfg.gan.eval)
    assert len(requests) == 2  # already there: no second download, only the hash check


def test_inception_with_another_hash_is_refused_and_nothing_is_left(tmp_path: Path, local_server):
    from artdl.models import WeightsChecksumError, WeightsUnavailableError

    www, base, _ = local_server
    served = www / "weights.pth"
    served.write_bytes(b"not the pinned file")  # the hash is checked before anything is unpickled
    target = tmp_path / "models" / "inception.pth"
    with pytest.raises(WeightsUnavailableError, match="not the pinned"):  # the only mirror serves another file
        gan.feature_space(str(target), urls=[f"{base}/{served.name}"], sha256="0" * 64)
    assert not target.exists() and not list(target.parent.glob(".*"))
    target.write_bytes(served.read_bytes())  # a file put there by hand, also not the pinned one
    with pytest.raises(WeightsChecksumError, match="sha256 key to null"):
        gan.feature_space(str(target), urls=(), sha256="0" * 64)


def test_features_are_extracted_with_tf32_off():
    seen = []

    class Probe(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append((torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32))
            return x.flatten(1)

    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        gan.extract_features(_space(Probe()), torch.zeros(2, 3, 4, 4))
        assert seen == [(False, False)]
        assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32  # restored
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def test_effnet_feature_space_is_labelled_not_fid():
    space = gan.feature_space(None, feature_size=64)
    assert space.fd_name == "FD-EffNetLite0" and "FID" not in space.fd_name
    images = torch.randint(0, 256, (3, 3, 16, 16), dtype=torch.uint8)
    feats = gan.extract_features(space, images)
    assert feats.shape == (3, 1280)
    # uint8 and the same images in [-1, 1] give the same features.
    same = gan.extract_features(space, images.float() / 127.5 - 1)
    assert np.allclose(feats, same, atol=1e-4)


def test_inception_weights_with_pickled_objects_are_refused(tmp_path: Path):
    import fractions

    weights = tmp_path / "pt_inception-odd.pth"
    torch.save({"w": torch.zeros(1), "odd": fractions.Fraction(1, 3)}, weights)
    with pytest.raises(ValueError, match="pickled objects"):
        gan.feature_space(str(weights), sha256=None)


def test_frechet_distance_with_fewer_samples_than_dimensions_matches_the_matrix_square_root():
    """The singular-value route (N < D, the usual case with 2048-d Inception features) against the
    textbook formula with scipy's sqrtm of the D x D covariance product."""
    from scipy import linalg

    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(30, 50)), rng.normal(0.3, 1.2, size=(40, 50))
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = np.real(linalg.sqrtm(s_a @ s_b))
    expected = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * np.trace(covmean)
    assert gan.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
