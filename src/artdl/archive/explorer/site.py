"""Write the explorer's static site: ``index.html`` + JS/CSS, atlases and ``data.js``.

``data.js`` is one line ``window.EXPLORER_DATA = <JSON>;``: a plain JSON file cannot be fetched by
a page opened from a local folder (``file://``), a script can, so the site works both from disk
and from any static host. :func:`read_site_data` parses it back. The site is built in a hidden
temporary folder next to the target and renamed into place only when complete, so a failed
build never leaves a half-written explorer (an older complete one stays).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from artdl.archive.explorer.atlas import write_atlases

__all__ = [
    "DATA_PREFIX",
    "STATIC_FILES",
    "build_site",
    "encode_column",
    "read_site_data",
    "staged_dir",
    "write_site",
]

DATA_PREFIX = "window.EXPLORER_DATA = "
STATIC_FILES = ("index.html", "explorer.js", "explorer.css")


def _remove_in_background(path: Path) -> None:
    """Delete the folder ``path`` from a detached process, so the caller need not wait for it.

    A replaced 7,000-painting site is 7,000+ files; on a busy virtual disk unlinking them took 20 s,
    longer than building the new site. The new site is already in place by then, so the old one
    goes away in the background (a leftover, e.g. after a power cut, is cleared by a later build).
    """
    code = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"
    try:
        subprocess.Popen(
            [sys.executable, "-c", code, str(path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def staged_dir(out_dir: str | Path) -> Iterator[Path]:
    """Yield an empty hidden folder next to ``out_dir``; on success it replaces ``out_dir`` at once."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    for pattern in (f".{out.name}.tmp-*", f".{out.name}.old-*"):  # left by a killed build or deleter
        for stale in out.parent.glob(pattern):
            with contextlib.suppress(OSError):  # a deleter may finish it meanwhile
                if time.time() - stale.stat().st_mtime > 3600:
                    shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    tmp.chmod(0o755)  # mkdtemp's 0700 would hide the site from a web server running as another user
    try:
        yield tmp
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
            out.rename(old / "site")
        tmp.rename(out)
        if old is not None:
            _remove_in_background(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def encode_column(values: Sequence[Any], max_categories: int = 30) -> dict[str, list]:
    """Categorical column as ``{"values": [...], "codes": [...]}``, most frequent first.

    More than ``max_categories`` values (a few hundred AIC artists) would make an unreadable legend
    and indistinguishable colours, so the rarest are merged into "other".
    """
    s = pd.Series([("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)) for v in values])
    s = s.replace("", "(unknown)")
    counts = s.value_counts(sort=True)
    keep = list(counts.index[: max_categories - 1]) if len(counts) > max_categories else list(counts.index)
    if len(counts) > max_categories:
        s = s.where(s.isin(keep), "other")
        keep.append("other")
    code = {v: i for i, v in enumerate(keep)}
    return {"values": keep, "codes": [code[v] for v in s]}


def _xy_list(xy: np.ndarray, name: str, problems: list[str]) -> list[float | None]:
    """Flat [x0, y0, x1, y1, ...] rounded to 5 decimals; rows with NaN/inf become null and are reported."""
    xy = np.asarray(xy, dtype=float)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        shown = ", ".join(map(str, np.flatnonzero(bad)[:10]))
        problems.append(
            f"layout {name}: {int(bad.sum())} painting(s) without a valid position (rows {shown}); not drawn there"
        )
    xy = np.round(np.where(bad[:, None], np.nan, xy), 5)  # a half-valid row is no position either
    return [None if not math.isfinite(v) else v for v in xy.ravel().tolist()]


def _check_inputs(n: int, layouts: Mapping[str, Mapping[str, Any]], neighbours: Any, reranked: Any) -> None:
    if n == 0:
        raise ValueError("The collection is empty: nothing to explore.")
    if not layouts:
        raise ValueError("At least one layout is needed (umap, tsne, grid, timeline).")
    for name, lay in layouts.items():
        if np.shape(lay["xy"]) != (n, 2):
            raise ValueError(f"layout {name!r} has shape {np.shape(lay['xy'])}, expected ({n}, 2).")
    for what, arr in (("neighbours", neighbours), ("reranked_neighbours", reranked)):
        if arr is not None:
            arr = np.asarray(arr)
            if arr.ndim != 2 or len(arr) != n:
                raise ValueError(f"{what} must be an (N, k) index array with N={n}; got shape {arr.shape}.")
            if arr.size and (arr.min() < -1 or arr.max() >= n):
                raise ValueError(f"{what} holds indices outside 0..{n - 1}.")


def write_site(
    site: Path,
    table: pd.DataFrame,
    layouts: Mapping[str, Mapping[str, Any]],
    thumbs: Sequence[np.ndarray | None],
    thumb_size: int,
    label_columns: Sequence[str] = ("label",),
    neighbours: np.ndarray | None = None,
    reranked_neighbours: np.ndarray | None = None,
    predictions: Mapping[str, Any] | None = None,
    previews: bool = False,
    title: str = "artdl explorer",
    info: Mapping[str, Any] | None = None,
    problems: Sequence[str] = (),
) -> dict[str, Any]:
    """Write atlases, ``data.js`` and the static page into ``site`` (an existing, empty folder).

    ``table`` needs ``title``, ``artist``, ``year`` and the ``label_columns``; ``layouts`` maps a
    name to ``{"xy": (N, 2) in the unit square, "size": point size[, "axes": ...]}``. Returns the
    data dict that was written (also what tests check the schema of).
    """
    n = len(table)
    _check_inputs(n, layouts, neighbours, reranked_neighbours)
    if len(thumbs) != n:
        raise ValueError(f"{len(thumbs)} thumbnails for {n} paintings.")
    missing_cols = [c for c in ("title", "artist", *label_columns) if c not in table]
    if missing_cols:
        raise ValueError(f"The table lacks column(s) {missing_cols}; it has {list(table.columns)}.")
    problems = list(problems)
    atlas, missing = write_atlases(thumbs, site, thumb_size)
    if missing:
        problems.append(
            f"{len(missing)} painting(s) without a thumbnail (rows {', '.join(map(str, missing[:10]))}): shown as a crossed grey tile"
        )
    years = pd.to_numeric(table.get("year", pd.Series([np.nan] * n)), errors="coerce")
    data: dict[str, Any] = {
        "version": 1,
        "title": title,
        "n": n,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "info": dict(info or {}),
        "items": {
            "title": table["title"].fillna("").astype(str).tolist(),
            "artist": table["artist"].fillna("").astype(str).tolist(),
            "year": [None if not math.isfinite(y) else int(y) for y in years.astype(float)],
        },
        "columns": {c: encode_column(table[c].tolist()) for c in label_columns},
        "layouts": {
            name: {**{k: v for k, v in lay.items() if k != "xy"}, "xy": _xy_list(lay["xy"], name, problems)}
            for name, lay in layouts.items()
        },
        "atlas": atlas,
        "missingThumbs": missing,
        "previews": "previews/{i}.jpg" if previews else None,
        "neighbours": None,
        "predictions": dict(predictions) if predictions else None,
        "problems": problems,
    }
    if neighbours is not None:
        nb = np.asarray(neighbours, dtype=np.int64)
        rr = None if reranked_neighbours is None else np.asarray(reranked_neighbours, dtype=np.int64)
        data["neighbours"] = {
            "k": int(nb.shape[1]),
            "cosine": nb.tolist(),
            "reranked": None if rr is None else rr.tolist(),
        }
    for problem in problems:
        warnings.warn(f"explorer: {problem}", stacklevel=2)
    (site / "data.js").write_text(
        DATA_PREFIX + json.dumps(data, separators=(",", ":")) + ";\n", encoding="utf-8"
    )
    static = resources.files("artdl.archive.explorer") / "static"
    for name in STATIC_FILES:
        (site / name).write_bytes((static / name).read_bytes())
    return data


def build_site(out_dir: str | Path, *args: Any, **kwargs: Any) -> Path:
    """:func:`write_site` into a staged folder that replaces ``out_dir`` only when complete."""
    with staged_dir(out_dir) as tmp:
        write_site(tmp, *args, **kwargs)
    return Path(out_dir)


def read_site_data(site: str | Path) -> dict[str, Any]:
    """The data dict of a built explorer (``data.js`` without its one-line JavaScript wrapper)."""
    text = (Path(site) / "data.js").read_text(encoding="utf-8").strip()
    if not text.startswith(DATA_PREFIX):
        raise ValueError(f"{site}/data.js does not start with {DATA_PREFIX!r}; not an artdl explorer.")
    return json.loads(text[len(DATA_PREFIX) :].rstrip(";"))
