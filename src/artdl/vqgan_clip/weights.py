"""Getting VQGAN checkpoints: download with checksum verification, or a random-weight demo.

Each entry of ``vqgan_clip.checkpoints`` in the config names a taming config file, a checkpoint
file, the URLs to fetch them from (several mirrors are tried in order) and, where known, the
SHA-256 of the checkpoint. Verification is on whenever a hash is given. ``random_init: true``
marks the offline wiring demo: the checkpoint is created locally with random weights.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from artdl.paths import resolve
from artdl.utils import atomic_path

__all__ = ["ChecksumError", "MissingCheckpointError", "download", "ensure_checkpoint", "sha256sum"]


class MissingCheckpointError(FileNotFoundError):
    """A VQGAN checkpoint or config is absent and could not be fetched."""


class ChecksumError(RuntimeError):
    """A downloaded file does not have the published SHA-256."""


def sha256sum(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _as_list(urls: str | Sequence[str] | None) -> list[str]:
    if not urls:
        return []
    return [urls] if isinstance(urls, str) else [str(u) for u in urls]


def download(
    urls: str | Sequence[str], target: str | Path, sha256: str | None = None, timeout: float = 60.0
) -> Path:
    """Fetch the first URL that works into ``target`` (atomically) and verify its SHA-256.

    A dead URL (HTTP error, DNS failure, time-out) moves on to the next mirror; when all fail the
    error lists every URL with its reason and says how to place the file by hand.
    """
    from tqdm.auto import tqdm

    target = resolve(target)
    errors: list[str] = []
    for url in _as_list(urls):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, atomic_path(target) as tmp:  # noqa: S310
                total = int(response.headers.get("Content-Length") or 0) or None
                h = hashlib.sha256()
                with (
                    open(tmp, "wb") as f,
                    tqdm(total=total, unit="B", unit_scale=True, desc=target.name) as bar,
                ):
                    while block := response.read(1 << 20):
                        f.write(block)
                        h.update(block)
                        bar.update(len(block))
                if sha256 and h.hexdigest().lower() != sha256.lower():
                    raise ChecksumError(
                        f"{url} gave a file with SHA-256 {h.hexdigest()}, expected {sha256}: the mirror "
                        "serves a different or truncated file. Try another mirror or remove the hash."
                    )
            return target
        except ChecksumError:
            raise
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as err:
            errors.append(f"  {url}: {getattr(err, 'reason', err)}")
    raise MissingCheckpointError(
        f"Could not download {target.name}; every URL failed (dead link or no network):\n"
        + "\n".join(errors or ["  (no URL configured)"])
        + f"\nDownload it by hand on a connected machine and put it at {target}."
    )


def ensure_checkpoint(
    name: str, entry: Mapping[str, Any], download_missing: bool = False, seed: int = 0
) -> tuple[Path, Path]:
    """Return ``(config_path, ckpt_path)`` of a checkpoint entry, fetching or creating it first.

    Missing files are downloaded only when ``download_missing`` is true (the notebook keeps it
    off, so a run never starts a multi-GB download by surprise); otherwise the error says the
    exact command to run.
    """
    config_path = resolve(entry["config"])
    ckpt_path = resolve(entry["ckpt"])
    if entry.get("random_init"):
        if not ckpt_path.is_file():
            from artdl.vqgan_clip.models import save_random_vqgan

            save_random_vqgan(config_path, ckpt_path, seed=seed)
        return config_path, ckpt_path
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
    sha = entry.get("sha256")
    if sha and entry.get("verify", True) and sha256sum(ckpt_path).lower() != str(sha).lower():
        raise ChecksumError(
            f"{ckpt_path} does not have the SHA-256 {sha} of '{name}'. Delete it and download again, "
            f"or set vqgan_clip.checkpoints.{name}.verify=false if you trust the file."
        )
    return config_path, ckpt_path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m artdl vqgan-weights NAME [--config full]``: download one checkpoint entry."""
    import argparse

    from artdl.config import load_config

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
