"""A decoded image as upright 8-bit RGB, whatever its bit depth, transparency or EXIF orientation: the
one conversion that readers, fetchers and ``predict`` share, so that a painting in a collection and
the same file asked about as a query become the same pixels.

Pillow's ``convert("RGB")`` maps a 16-bit greyscale image (``I;16``, a 16-bit PNG or TIFF scan) by
clipping each value at 255, so a scan whose values span 0..65535 comes out almost white: a network
would train on blank canvases without an error. Such images are rescaled to 0..255 here instead; an
ordinary 8-bit image (RGB, L, P, CMYK, ...) goes through ``convert("RGB")`` exactly as before.
``convert("RGB")`` also drops an alpha channel, leaving whatever colour the transparent pixels hold
(often black), so transparency is flattened on white, the paper a scan or a cut-out sits on. A
photo whose EXIF says "rotate 90°" is turned upright (:func:`upright`), as a browser would show it.
A leaf of the data layer, so that :mod:`artdl.data.table` and :mod:`artdl.data.fetch` share it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

__all__ = ["WIDE_GREY_MODES", "to_grey", "to_rgb", "upright"]

WIDE_GREY_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")  # greyscale wider than 8 bits
_ORIENTATION = 0x0112  # the EXIF tag; 1 = as stored


def upright(im: Image.Image) -> Image.Image:
    """``im`` turned as its EXIF orientation says (a new image), or ``im`` itself when it needs no turn."""
    if im.getexif().get(_ORIENTATION, 1) in (1, None):
        return im
    return ImageOps.exif_transpose(im) or im


def to_rgb(im: Image.Image) -> Image.Image:
    """``im`` as upright RGB with its full tonal range: wide greyscale (:data:`WIDE_GREY_MODES`) is
    rescaled by :func:`_grey_levels`, not clipped; transparency is flattened on white; every other
    mode converts as Pillow does."""
    im = upright(im)
    if im.mode in WIDE_GREY_MODES:
        grey = _grey_levels(np.asarray(im, dtype=np.float64), im.mode)
        return Image.fromarray(grey, "L").convert("RGB")
    if im.mode in ("RGBA", "LA", "PA", "La") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    return im.convert("RGB")


def to_grey(im: Image.Image) -> Image.Image:
    """``im`` as upright 8-bit greyscale (``L``) on the same terms as :func:`to_rgb`; an 8-bit
    image converts directly, as Pillow does (so hashes of ordinary images do not move)."""
    im = upright(im)
    if im.mode in WIDE_GREY_MODES or "A" in im.mode or "transparency" in im.info:
        return to_rgb(im).convert("L")
    return im.convert("L")


def _grey_levels(values: np.ndarray, mode: str) -> np.ndarray:
    """uint8 levels of a wide greyscale image, on the scale its values were most likely written in.

    16-bit modes are 0..65535. A float image in 0..1 is the usual normalised scan (x255). A 32-bit
    integer image holding 8- or 16-bit data (what Pillow makes of some 16-bit files) keeps that
    scale; anything else (floats beyond 0..1, counts up to 2^31, negatives) is stretched over its own
    range, since no fixed scale would show more than black or white. NaN and inf become 0.
    """
    finite = np.isfinite(values)
    values = np.where(finite, values, 0.0)
    lo, hi = (float(values[finite].min()), float(values[finite].max())) if finite.any() else (0.0, 0.0)
    if mode.startswith("I;16"):
        lo, top = 0.0, 65535.0
    elif mode == "F" and lo >= 0 and hi <= 1:
        lo, top = 0.0, 1.0
    elif mode == "I" and lo >= 0 and hi <= 65535:
        lo, top = 0.0, 255.0 if hi <= 255 else 65535.0
    elif hi > lo:
        top = hi
    else:  # a flat image: one level, as close to its value as 8 bits go
        return np.full(values.shape, int(np.clip(lo, 0, 255)), np.uint8)
    return np.clip((values - lo) / (top - lo) * 255.0 + 0.5, 0, 255).astype(np.uint8)
