"""Reading a photograph of a painting that nobody curated: any mode, any size, possibly broken.

The collection's images were checked when they were fetched; a user's file was not. So every way a
file can go wrong becomes one :class:`ImageProblem` with a one-line reason, and the modes a scan or
a phone photo really comes in are converted rather than refused:

- CMYK JPEGs (print scans), 16-bit greyscale PNGs (archive scans), RGBA / palette PNGs with
  transparency (flattened on white), greyscale and 1-bit scans, EXIF-rotated phone photos;
- a huge scan is reduced *before* it is decoded: JPEGs through Pillow's draft mode (the decoder
  produces a 1/2, 1/4 or 1/8 scale directly), other formats only below a pixel budget. Pillow's own
  decompression-bomb check would otherwise stop a 20,000-pixel scan with a traceback, or a PNG of
  that size would take gigabytes to decode.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from artdl.data import to_rgb

__all__ = ["ImageProblem", "PredictError", "find_images", "read_image"]

# Image.MAX_IMAGE_PIXELS is process-wide; the demo serves requests from several threads.
_OPEN_LOCK = threading.Lock()
_EMPTY_FOLDER = "an empty folder (hidden files and the overlay folder do not count): put the paintings in it"


class PredictError(Exception):
    """A user error with a one-line message that says what to do (printed without a traceback)."""


class ImageProblem(PredictError):
    """One input file that cannot be used, and why (``path: reason``)."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def find_images(
    paths: Sequence[str | Path], skip: str | Path | None = None
) -> tuple[list[Path], list[ImageProblem]]:
    """The files to predict, in a stable order: given files as they are, folders' files recursively.

    Every non-hidden file of a folder is a candidate (a painting saved as ``.jpeg``, ``.tif`` or
    without an extension is still a painting); those that do not decode are reported per file by
    :func:`read_image`. ``skip`` is the folder the overlays go to: a walk never enters it, or a
    second ``predict .`` would predict the first one's overlays (naming it as a PATH still does).
    A missing path or an empty folder is a problem of its own, so the other paths still run.
    """
    skip_dir = Path(skip).resolve() if skip is not None else None
    files: list[Path] = []
    problems: list[ImageProblem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = _walk(path, skip_dir)
            if not found:
                problems.append(ImageProblem(path, _EMPTY_FOLDER))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            problems.append(ImageProblem(path, "no such file or folder"))
    return files, problems


def _walk(root: Path, skip: Path | None) -> list[Path]:
    """``root``'s non-hidden files, sorted, without descending into hidden folders or ``skip``."""
    found: list[Path] = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not d.startswith(".") and (skip is None or (here / d).resolve() != skip)]
        found += [here / n for n in names if not n.startswith(".") and (here / n).is_file()]
    return sorted(found)


def read_image(path: str | Path, max_side: int = 2048, max_pixels: int = 100_000_000) -> Image.Image:
    """The file as an 8-bit RGB image whose longest side is at most about ``max_side``.

    Raises :class:`ImageProblem` for anything else: not an image, truncated, or a non-JPEG larger
    than ``max_pixels`` (which would have to be decoded whole before it could be reduced).
    """
    try:
        with _OPEN_LOCK:
            limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # our own size guard below
            try:
                image = Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = limit
        with image:
            return _decoded(image, path, max_side, max_pixels)
    except ImageProblem:
        raise
    except UnidentifiedImageError:
        raise ImageProblem(path, "not an image Pillow can read (JPEG, PNG, TIFF, WebP ...)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ImageProblem(path, f"truncated or corrupt image ({_first_line(err)})") from None


def _decoded(image: Image.Image, path: str | Path, max_side: int, max_pixels: int) -> Image.Image:
    width, height = image.size
    if image.format == "JPEG" and max(width, height) > max_side:
        # Decode at the largest 1/2^n scale that still covers max_side: never the full bomb.
        scale = max(width, height) / max_side
        image.draft(image.mode, (max(1, int(width / scale)), max(1, int(height / scale))))
    elif width * height > max_pixels:
        raise ImageProblem(
            path,
            f"{width} x {height} pixels is too large to decode safely (limit {max_pixels:,}); "
            f"save it as a JPEG or reduce it to at most {max_side} px first",
        )
    image.load()
    rgb = to_rgb(image)  # the data layer's conversion: a collection painting asked about is the same pixels
    if max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return rgb


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__

