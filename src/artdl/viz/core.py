"""Saving figures and drawing images: the pieces every figure module of artdl uses.

Figures are saved to ``images/<step>/<name>.png`` at a modest dpi so the committed notebooks and
the README stay small; figures of painting thumbnails get a 256-colour palette.

The readability rules every figure function follows (``tests/test_figure_layout.py`` checks them):
``layout="constrained"`` so titles and labels get room instead of overlapping; no text under
:data:`MIN_FONT` points at the size a notebook shows the figure (a figure wider than
:data:`DISPLAY_WIDTH` inches is shrunk to fit, so grids cap their width); labels cut only with an
ellipsis, by :func:`fit_label`; one distinct colour per class from :func:`class_colours`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from artdl.core import images_dir

__all__ = [
    "DISPLAY_WIDTH",
    "DPI",
    "MIN_FONT",
    "bare_axes",
    "class_colours",
    "fit_label",
    "grid_cell",
    "image_grid",
    "save_figure",
    "save_photo_figure",
    "spread_labels",
    "thumbnail",
]

DPI = 110
MIN_FONT = 8.0  # points: the smallest text a figure may show at its displayed size
DISPLAY_WIDTH = 10.0  # inches: about what a notebook cell or the README shows unscaled (1,100 px at DPI)
_CHAR_WIDTH = 0.62  # a DejaVu Sans character is about this many font sizes wide, on average
_TAB10 = 10


def fit_label(
    text: object, width: float, fontsize: float = MIN_FONT, lines: int = 2, keep_underscores: bool = False
) -> str:
    """``text`` wrapped to ``lines`` lines that fit ``width`` inches at ``fontsize``; cut with "…".

    Underscores become spaces (``Post_Impressionism``), so a long style name wraps at a word
    instead of being cut mid-word; ``keep_underscores`` for names where they mean something
    (``wgan_gp``). Only what does not fit in ``lines`` lines is replaced by "…".
    """
    chars = max(4, int(width * 72 / (_CHAR_WIDTH * fontsize)))
    clean = " ".join((str(text) if keep_underscores else str(text).replace("_", " ")).split())
    out = textwrap.wrap(clean, chars, max_lines=lines, placeholder=" …", break_long_words=True)
    return "\n".join(out)


def class_colours(n: int) -> list[tuple[float, float, float, float]]:
    """``n`` colours that can be told apart: tab10 up to ten classes, then tab20 dark shades before light.

    tab20 in its own order pairs each colour with a lighter copy (two blues for the first two
    classes); taking the ten dark shades first keeps the first ten classes as distinct as tab10.
    """
    import matplotlib.pyplot as plt

    if n <= _TAB10:
        return [plt.get_cmap("tab10")(i) for i in range(n)]
    tab20 = plt.get_cmap("tab20")
    order = [*range(0, 20, 2), *range(1, 20, 2)]
    return [tab20(order[i % 20]) for i in range(n)]


def grid_cell(ncols: int, size: float) -> float:
    """The side of one image in a grid of ``ncols`` columns: ``size``, or less so the row fits the display."""
    return min(float(size), DISPLAY_WIDTH / max(1, ncols))


def bare_axes(ax: Any) -> None:
    """No ticks and no frame, but titles and axis labels still drawn (``axis("off")`` hides labels).

    Row names of an image grid are y labels of the first column, so the constrained layout makes
    room for them instead of letting them run onto the images.
    """
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)


def spread_labels(texts: Sequence[Any], ax: Any, points: np.ndarray | None = None) -> None:
    """Move ``texts`` apart until none overlaps another (adjustText), with a thin line to its anchor.

    ``points`` (N x 2, data coordinates) are markers the labels should also keep off, e.g. graph nodes.
    """
    if len(texts) < 2:
        return
    from adjustText import adjust_text

    ax.figure.canvas.draw()  # text extents are known only after a draw
    xy = {} if points is None else {"x": np.asarray(points)[:, 0], "y": np.asarray(points)[:, 1]}
    adjust_text(
        list(texts), ax=ax, expand=(1.1, 1.25), ensure_inside_axes=False, iter_lim=500,
        arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.5}, **xy,
    )  # fmt: skip


def save_figure(fig: Any, step: str, name: str, dpi: int = DPI) -> Path:
    """Save ``fig`` as ``images/<step>/<name>.png`` and return the path."""
    path = images_dir(step) / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight", facecolor="white")
    return path


def save_photo_figure(fig: Any, step: str, name: str, dpi: int = DPI, colors: int = 256) -> Path:
    """Like :func:`save_figure`, then re-encode the PNG with a ``colors`` palette.

    Figures made of painting thumbnails compress badly as true-colour PNG (1 MB+); a 256-colour
    palette keeps them readable at a third of the size, so the repository and notebooks stay small.
    """
    from PIL import Image

    path = save_figure(fig, step, name, dpi)
    with Image.open(path) as image:
        quantized = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    quantized.save(path, optimize=True)
    return path


def thumbnail(path: str | Path, size: int = 128) -> Any:
    """An RGB thumbnail (long side ``size``) as a PIL image."""
    from artdl.data import load_image

    image = load_image(path)
    image.thumbnail((size, size))
    return image


def image_grid(
    images: Sequence[Any],
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    size: float = 1.8,
    suptitle: str | None = None,
) -> Any:
    """A grid of images (paths, PIL images or HxWxC arrays) with optional short titles."""
    import matplotlib.pyplot as plt

    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    size = grid_cell(ncols, size)
    lines = 2 if titles is not None else 0
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * size, nrows * (size + 0.16 * lines) + 0.3), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    for ax in axes.flat:
        ax.axis("off")
    for i, img in enumerate(images):
        ax = axes.flat[i]
        if isinstance(img, (str, Path)):
            img = thumbnail(img, 192)
        ax.imshow(np.asarray(img))
        if titles is not None:
            ax.set_title(fit_label(titles[i], size, MIN_FONT, lines), fontsize=MIN_FONT)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig


def _as_image(img: Any) -> Any:
    """A path, PIL image, HxWxC array or CxHxW tensor/array (uint8 or [0, 1]) as an HxWxC array."""
    if isinstance(img, (str, Path)):
        return np.asarray(thumbnail(img, 96))
    arr = np.asarray(img.detach().cpu() if hasattr(img, "detach") else img)
    if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = arr.transpose(1, 2, 0)
    if arr.dtype != np.uint8:
        arr = (np.clip(arr, 0, 1) * 255).astype(np.uint8)
    return arr
