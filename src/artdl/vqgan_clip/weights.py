"""Getting VQGAN checkpoints safely: download, pin the SHA-256, load without running code.

Each entry of ``vqgan_clip.checkpoints`` in the config names a taming config file, a checkpoint
file, the URLs to fetch them from (several mirrors are tried in order) and, where known, the
SHA-256 of the checkpoint. ``random_init: true`` marks the offline wiring demo: the checkpoint is
created locally with random weights.

Why all three safeguards: a checkpoint is a pickle, and unpickling can run arbitrary code, so a
compromised mirror could take over the machine that loads its file.

- **Known hash** (``sha256`` in the entry): the download and every later use are verified.
- **No known hash** (the default: the published hashes could not be checked offline here): the
  first use records the file's SHA-256 in ``sha256.json`` beside it and prints it (compare it
  with a hash you trust), and every later use verifies against that record ("trust on first use").
- **Loading** is ``torch.load(weights_only=True)`` with the few Lightning classes a published
  checkpoint pickles allow-listed (:data:`SAFE_GLOBALS`). A file that needs anything else loads
  only with ``vqgan_clip.trust_checkpoint=true``; the error names the class it wanted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from artdl.core import atomic_path, resolve
from artdl.models import WeightsChecksumError, WeightsUnavailableError, download_first, sha256_of

__all__ = [
    "ChecksumError",
    "MissingCheckpointError",
    "UntrustedCheckpointError",
    "download",
    "ensure_checkpoint",
    "load_checkpoint_state",
    "recorded_sha256",
    "safe_globals",
    "verify_or_record",
]

SHA_RECORD = "sha256.json"  # beside the weights: {file name: {"sha256", "recorded"}}


class MissingCheckpointError(FileNotFoundError):
    """A VQGAN checkpoint or config is absent and could not be fetched."""


class ChecksumError(RuntimeError):
    """A file does not have the published, or the first recorded, SHA-256."""


class UntrustedCheckpointError(RuntimeError):
    """A checkpoint needs classes beyond the allow-list and ``trust_checkpoint`` is off."""


def safe_globals() -> list[Any]:
    """The classes a published Lightning/taming checkpoint pickles besides tensors.

    Lightning 1.x stores callback state keyed by the callback class (``ModelCheckpoint``) and
    hyper-parameters as an ``argparse.Namespace``. Neither runs code when unpickled as a global.
    """
    allowed: list[Any] = [argparse.Namespace]
    try:
        from pytorch_lightning.callbacks.model_checkpoint import ModelCheckpoint

        allowed.append(ModelCheckpoint)
    except ImportError:  # pragma: no cover - Lightning is pinned with taming
        pass
    return allowed


def load_checkpoint_state(path: str | Path, trust_checkpoint: bool = False) -> Any:
    """``torch.load`` a checkpoint with ``weights_only=True`` and the Lightning allow-list.

    With ``trust_checkpoint`` a file that needs other classes is unpickled in full (it can run
    code: only for a file you trust); without it the error says which class was refused.
    """
    import torch

    path = resolve(path)
    try:
        with torch.serialization.safe_globals(safe_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if trust_checkpoint:
            print(f"vqgan_clip.trust_checkpoint=true: unpickling {path.name} in full (it may run code)")
            return torch.load(path, map_location="cpu", weights_only=False)
        try:
            refused = ", ".join(torch.serialization.get_unsafe_globals_in_checkpoint(path)) or "unknown"
        except Exception:  # noqa: BLE001 - only for the message
            refused = "unknown"
        raise UntrustedCheckpointError(
            f"{path} pickles objects beyond tensors and the allow-listed Lightning classes "
            f"(refused: {refused}). Unpickling them could run arbitrary code, so it is refused. If you "
            f"trust this file (e.g. its SHA-256 matches a published one), load it with "
            f"vqgan_clip.trust_checkpoint=true, or re-save only its state_dict."
        ) from err


def _as_list(urls: str | Sequence[str] | None) -> list[str]:
    if not urls:
        return []
    return [urls] if isinstance(urls, str) else [str(u) for u in urls]


def download(
    urls: str | Sequence[str], target: str | Path, sha256: str | None = None, timeout: float = 60.0
) -> Path:
    """Fetch the first URL that works into ``target`` (atomically) and verify its SHA-256.

    :func:`artdl.models.download_first` does the fetching (the same routine as FID's Inception
    weights); this adds what a VQGAN user needs to read: a dead URL moves on to the next mirror,
    and when all fail the error lists every URL with its reason and says how to place the file.
    """
    target = resolve(target)
    try:
        return download_first(_as_list(urls), target, sha256, timeout)
    except WeightsChecksumError as err:
        raise ChecksumError(
            f"{err}: the mirror serves a different or truncated file. Try another mirror or remove the hash."
        ) from None
    except WeightsUnavailableError as err:
        errors = str(err).split("; ")
        raise MissingCheckpointError(
            f"Could not download {target.name}; every URL failed (dead link or no network):\n"
            + "\n".join(f"  {e}" for e in errors)
            + f"\nDownload it by hand on a connected machine and put it at {target}."
        ) from None


def _record_file(path: Path) -> Path:
    return path.parent / SHA_RECORD


def recorded_sha256(path: str | Path) -> str | None:
    """The SHA-256 recorded for ``path`` on its first use, or None."""
    path = resolve(path)
    record = _record_file(path)
    if not record.is_file():
        return None
    entry = json.loads(record.read_text()).get(path.name)
    return str(entry["sha256"]) if entry else None


def verify_or_record(path: str | Path, expected: str | None = None, what: str = "") -> str:
    """Check ``path`` against ``expected`` or its recorded hash; record it on first use.

    Returns the file's SHA-256. With neither a known nor a recorded hash the hash is written to
    ``sha256.json`` beside the file and printed, so that a later, different file is caught.
    """
    path = resolve(path)
    actual = sha256_of(path)
    if expected:
        if actual.lower() != str(expected).lower():
            raise ChecksumError(
                f"{path} does not have the SHA-256 {expected}{what}. Delete it and download again, "
                f"or set verify=false for this checkpoint if you trust the file."
            )
        return actual
    recorded = recorded_sha256(path)
    if recorded is not None:
        if recorded != actual:
            raise ChecksumError(
                f"{path} has SHA-256 {actual}, but {recorded} was recorded on its first use in "
                f"{_record_file(path)}: the file changed. If you replaced it on purpose, delete its entry "
                f"there (or set verify=false for this checkpoint)."
            )
        return actual
    record = _record_file(path)
    data = json.loads(record.read_text()) if record.is_file() else {}
    data[path.name] = {
        "sha256": actual,
        "recorded": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    with atomic_path(record) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(
        f"{path.name}: no published SHA-256 is configured; recorded {actual} on first use in "
        f"{record.name} beside it. Later loads are verified against it; compare it with a hash you trust."
    )
    return actual


def ensure_checkpoint(
    name: str, entry: Mapping[str, Any], download_missing: bool = False
) -> tuple[Path, Path]:
    """Return ``(config_path, ckpt_path)`` of a published checkpoint entry, downloading it first.

    Missing files are downloaded only when ``download_missing`` is true (the notebook keeps it
    off, so a run never starts a multi-GB download by surprise); otherwise the error says the
    exact command to run. Random-weight entries are made by
    :func:`artdl.vqgan_clip.pipeline.prepare_checkpoint`, not here: this module only downloads,
    verifies and safe-loads.
    """
    config_path = resolve(entry["config"])
    ckpt_path = resolve(entry["ckpt"])
    for path, urls, sha in (
        (config_path, entry.get("config_urls"), None),
        (ckpt_path, entry.get("ckpt_urls"), entry.get("sha256")),
    ):
        if path.is_file():
            continue
        if not download_missing:
            raise MissingCheckpointError(
                f"VQGAN checkpoint '{name}' is missing: {path} does not exist. Get it with "
                f"`python -m artdl vqgan-weights {name}` (downloads from {_as_list(urls)[:1] or 'no URL'}), "
                f"or copy the file there by hand. For the offline wiring demo use "
                f"vqgan_clip.checkpoint=tiny_random."
            )
        download(_as_list(urls), path, sha256=sha)
    if entry.get("verify", True):  # the yaml config is parsed, never unpickled: only the ckpt is pinned
        verify_or_record(ckpt_path, entry.get("sha256"), f" of '{name}'")
    return config_path, ckpt_path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m artdl vqgan-weights NAME [--config full]``: download a checkpoint entry.

    Verified against ``sha256`` when the config gives one; otherwise its SHA-256 is recorded on
    first use and later loads are checked against that record.
    """
    from artdl.core import load_config

    parser = argparse.ArgumentParser(prog="python -m artdl vqgan-weights", description=main.__doc__)
    parser.add_argument("names", nargs="+", help="checkpoint names in vqgan_clip.checkpoints")
    parser.add_argument("--config", default="default")
    args = parser.parse_args(list(argv or []))
    cfg = load_config(args.config)
    for name in args.names:
        if name not in cfg.vqgan_clip.checkpoints:
            print(f"unknown checkpoint {name!r}; known: {', '.join(cfg.vqgan_clip.checkpoints)}")
            return 2
        try:
            cfg_path, ckpt = ensure_checkpoint(name, cfg.vqgan_clip.checkpoints[name], download_missing=True)
        except (MissingCheckpointError, ChecksumError) as err:
            print(f"error: {err}")
            return 1
        print(f"{name}: {cfg_path} and {ckpt} are ready")
    return 0
