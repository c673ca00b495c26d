"""Thumbnails, atlas sprite sheets and preview images for the explorer.

The page draws tens of thousands of paintings, so it cannot load one file per painting: small
square thumbnails are packed into a few large JPEG sprite sheets (atlases) and drawn with
``drawImage`` from them. Cell i of the atlas is found from i alone (sheet = i // per_sheet, then
row-major inside the sheet), so the data file needs no per-painting atlas coordinates. Larger
previews for the side panel are separate JPEGs, loaded only when a painting is clicked.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["atlas_cell", "atlas_layout", "decode_collection", "write_atlases"]


def _decode_one(
    path: str, embed_size: int, thumb_size: int, preview: Path | None, preview_size: int
) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    from artdl.data import square, to_rgb

    try:
        with Image.open(path) as im:
            # a small RGB JPEG shown upright as stored can be its own preview
            as_is = im.format == "JPEG" and im.mode == "RGB" and max(im.size) <= preview_size
            as_is = as_is and im.getexif().get(0x0112, 1) == 1  # no EXIF rotation for the browser to apply
            # JPEGs decode at 1/2, 1/4 or 1/8 scale in the DCT (``draft``), far cheaper than full size,
            # down to: 3x an embedding crop (the margin ``square`` keeps before its bicubic step, so
            # crops stay those of 04's embeddings), 2x a preview (as ``Image.thumbnail``), 1x a thumbnail
            need = max(3 * embed_size, thumb_size, 0 if preview is None or as_is else 2 * preview_size)
            if need > 0:
                im.draft("RGB", (need, need))
            image = to_rgb(im)  # upright, as 04 and predict read it
    except (OSError, ValueError, SyntaxError) as err:
        return None, None, f"{path}: {type(err).__name__}: {err}"
    crop = square(image, embed_size) if embed_size else None
    emb = np.asarray(crop).transpose(2, 0, 1) if crop is not None else None
    # the same centre square: from the embedding crop when it is at least as large (4x fewer pixels)
    thumb = np.asarray(square(crop if crop is not None and embed_size >= thumb_size else image, thumb_size))
    if preview is not None:
        if as_is:
            shutil.copyfile(path, preview)  # no decode-resize-encode round trip
        else:
            image.thumbnail((preview_size, preview_size), Image.Resampling.LANCZOS)
            image.save(preview, "JPEG", quality=82)
    return emb, thumb, ""


def decode_collection(
    paths: Sequence[str],
    thumb_size: int,
    embed_size: int = 0,
    preview_dir: Path | None = None,
    preview_size: int = 320,
    progress: bool = True,
) -> tuple[np.ndarray | None, list[np.ndarray | None], list[str]]:
    """Decode every painting once: embedding crops (N, 3, s, s) uint8, thumbnails, previews on disk.

    One decode feeds all three, which matters at 7,000+ paintings on 2 cores; threads overlap the
    JPEG decoding (Pillow releases the GIL). A file that does not decode gives a ``None``
    thumbnail and an entry in the returned problem list instead of stopping the build.
    """
    from tqdm.auto import tqdm

    if preview_dir is not None:
        preview_dir.mkdir(parents=True, exist_ok=True)

    def one(i: int) -> tuple[np.ndarray | None, np.ndarray | None, str]:
        target = preview_dir / f"{i}.jpg" if preview_dir is not None else None
        return _decode_one(str(paths[i]), embed_size, thumb_size, target, preview_size)

    with ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1))) as pool:
        results = list(
            tqdm(pool.map(one, range(len(paths))), total=len(paths), desc="thumbnails", disable=not progress)
        )
    problems = [msg for _, _, msg in results if msg]
    thumbs = [t for _, t, _ in results]
    embed = None
    if embed_size:
        embed = np.zeros((len(paths), 3, embed_size, embed_size), dtype=np.uint8)
        for i, (e, _, _) in enumerate(results):
            if e is not None:
                embed[i] = e
    return embed, thumbs, problems


def atlas_layout(n: int, thumb_size: int, sheet_size: int = 2048) -> dict[str, int]:
    """How ``n`` thumbnails are packed: cells per row, per sheet and the number of sheets."""
    if thumb_size <= 0 or thumb_size > sheet_size:
        raise ValueError(f"thumb_size must be in 1..{sheet_size}, got {thumb_size}.")
    cols = sheet_size // thumb_size
    per_sheet = cols * cols
    return {"size": thumb_size, "cols": cols, "per_sheet": per_sheet, "sheets": max(1, -(-n // per_sheet))}


def atlas_cell(i: int, layout: dict[str, int]) -> tuple[int, int, int]:
    """(sheet, x, y) in pixels of thumbnail ``i``: the same arithmetic as ``explorer.js``."""
    sheet, j = divmod(int(i), layout["per_sheet"])
    row, col = divmod(j, layout["cols"])
    return sheet, col * layout["size"], row * layout["size"]


def _placeholder(size: int) -> np.ndarray:
    """A grey square with a dark cross: a missing thumbnail must look missing, not like a painting."""
    tile = np.full((size, size, 3), 110, dtype=np.uint8)
    d = np.arange(size)
    tile[d, d] = tile[d, size - 1 - d] = 40
    return tile


def write_atlases(
    thumbs: Sequence[np.ndarray | None],
    out_dir: Path,
    thumb_size: int,
    sheet_size: int = 2048,
    quality: int = 85,
) -> tuple[dict[str, object], list[int]]:
    """Write ``atlas_<k>.jpg`` sheets; returns (atlas info for the page, indices of missing thumbnails)."""
    from tqdm.auto import tqdm

    layout = atlas_layout(len(thumbs), thumb_size, sheet_size)
    missing = [i for i, t in enumerate(thumbs) if t is None]
    files = []
    for k in tqdm(range(layout["sheets"]), desc="atlases", leave=False, disable=layout["sheets"] < 3):
        start, stop = k * layout["per_sheet"], min(len(thumbs), (k + 1) * layout["per_sheet"])
        rows = -(-(stop - start) // layout["cols"])
        width = layout["cols"] * thumb_size if rows > 1 else (stop - start) * thumb_size
        sheet = np.zeros((max(rows, 1) * thumb_size, max(width, thumb_size), 3), dtype=np.uint8)
        for i in range(start, stop):
            tile = thumbs[i] if thumbs[i] is not None else _placeholder(thumb_size)
            if tile.shape != (thumb_size, thumb_size, 3):
                raise ValueError(
                    f"thumbnail {i} has shape {tile.shape}, expected ({thumb_size}, {thumb_size}, 3)."
                )
            _, x, y = atlas_cell(i, layout)
            sheet[y : y + thumb_size, x : x + thumb_size] = tile
        name = f"atlas_{k}.jpg"
        Image.fromarray(sheet).save(out_dir / name, "JPEG", quality=quality, optimize=True)
        files.append(name)
    return {**layout, "files": files}, missing
