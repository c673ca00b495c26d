"""One pass over a hub set's stream: shrink images on threads, write JPEGs and the table in order.

:mod:`artdl.data.fetch.hub` opens the stream and decides where to resume; this module holds what a
pass needs: the set's settings (:class:`HubSpec`), the report, the image shrinking and the atomic
writes. Every file is written through :func:`artdl.core.atomic_path`, so a stopped pass leaves whole
JPEGs and a whole table, never half of one.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artdl.core import PART_SUFFIX, atomic_path, resolve
from artdl.data.fetch.manifest import FetchError
from artdl.data.pixels import to_rgb
from artdl.data.sources import dataset_location, dataset_spec

__all__ = ["HUB_FORMAT", "HUB_LABEL_COLUMNS", "HUB_TABLE", "HubFetchReport", "HubSpec", "shrink_to_short_side"]

HUB_FORMAT = "hf"
HUB_TABLE = "metadata.csv"
HUB_STATE = "fetch_state.json"
HUB_LABEL_COLUMNS = ("style", "genre", "artist")  # ClassLabel columns of huggan/wikiart
TABLE_COLUMNS = ["path", "index", "style", "genre", "artist", "title", "date", "source"]
MISSING_STYLE_DIR = "_no_style"  # the image folder of a row whose style label is missing (-1)


def parquet_files(folder: Path) -> list[Path]:
    """The parquet files of a local stand-in for the hub, in the order they are streamed."""
    return sorted(folder.rglob("*.parquet")) if folder.is_dir() else []


def parquet_files_digest(folder: Path) -> str:
    """8 hex digits of the folder's parquet file names and sizes: the identity of what a row number means.

    A row's number is its position in the stream over :func:`parquet_files`, so a folder that gains,
    loses or replaces a file numbers its paintings differently; the digest is part of the ``source``,
    which a resumed fetch must match.
    """
    import hashlib

    listing = [f"{p.relative_to(folder).as_posix()}:{p.stat().st_size}" for p in parquet_files(folder)]
    return hashlib.sha256("\n".join(listing).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class HubSpec:
    """What to read (hub id at a revision, or a local parquet folder) and how to store it."""

    name: str
    hub_id: str
    revision: str
    parquet_dir: Path | None
    dest: Path
    per_style: int = 0  # > 0: at most this many paintings per style (a quick try)
    short_side: int = 256
    jpeg_quality: int = 90
    flush_every: int = 500  # images between saves of the table and the stream position
    workers: int = 4  # threads that shrink and encode images
    endpoint: str = ""  # the hub's address; "" = huggingface_hub's own (HF_ENDPOINT or huggingface.co)
    parquet_digest: str = ""  # of the local folder's file names and sizes (parquet_files_digest)

    @classmethod
    def from_cfg(cls, cfg: Any, name: str, dest: str | Path | None = None) -> HubSpec:
        spec = dataset_spec(cfg, name)
        if str(spec.get("format", "")) != HUB_FORMAT:
            raise FetchError(f"Data set '{name}' has format '{spec.get('format')}', not '{HUB_FORMAT}'.")
        parquet = str(spec.get("parquet_dir") or "").strip()
        return cls(
            name=name,
            hub_id=str(spec.get("hub_id") or ""),
            revision=str(spec.get("revision") or "main"),
            parquet_dir=resolve(parquet) if parquet else None,
            dest=Path(dest) if dest is not None else dataset_location(cfg, name)[1],
            per_style=int(spec.get("per_style") or 0),
            short_side=int(spec.get("short_side") or 256),
            jpeg_quality=int(spec.get("jpeg_quality") or 90),
            flush_every=max(1, int(spec.get("flush_every") or 500)),
            workers=max(1, int(spec.get("workers") or (os.cpu_count() or 1))),
            endpoint=str(spec.get("endpoint") or ""),
            parquet_digest=parquet_files_digest(resolve(parquet)) if parquet else "",
        )

    @property
    def source(self) -> str:
        """Where the rows come from, as written in the table's ``source`` column."""
        if self.parquet_dir is not None:
            return f"parquet:{self.parquet_dir.name}#{self.parquet_digest}"
        return f"{self.hub_id}@{self.revision[:7]}"


@dataclass
class HubFetchReport:
    """What one :func:`fetch_hub_dataset` call did (the same ``summary``/``failures`` as a manifest fetch)."""

    name: str
    dest: Path
    total: int = 0  # paintings in the table after this run
    present: int = 0  # already on disk before it
    fetched: int = 0  # written by it
    seconds: float = 0.0
    source: str = ""
    complete: bool = False  # the stream was read to its end (or every style reached per_style)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (row, reason): undecodable images

    def summary(self) -> str:
        state = "complete" if self.complete else "stopped before the end (run it again to resume)"
        return (
            f"{self.name}: {self.fetched} written ({self.seconds:.1f} s), {self.present} already present, "
            f"{len(self.failures)} undecodable, {self.total} in the table, {state} -> {self.dest} "
            f"(from {self.source})"
        )


def shrink_to_short_side(data: bytes, short_side: int) -> Any:
    """The painting upright, in RGB, with its short side at most ``short_side`` px (Lanczos).

    JPEG's draft mode decodes at a power-of-two reduction of the scan first (never below the target),
    so a large original is never decoded at full size.
    """
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    if short_side and im.format == "JPEG":
        scale = short_side / min(im.size)
        im.draft("RGB", (max(1, int(im.size[0] * scale)), max(1, int(im.size[1] * scale))))
    im = to_rgb(im)  # upright; 16-bit greyscale rescaled, not clipped to white; alpha flattened on white
    if short_side and min(im.size) > short_side:
        scale = short_side / min(im.size)
        size = (max(1, round(im.size[0] * scale)), max(1, round(im.size[1] * scale)))
        im = im.resize(size, Image.Resampling.LANCZOS)
    return im


def _image_path(style: str, index: int) -> str:
    return f"images/{style or MISSING_STYLE_DIR}/{index:06d}.jpg"


def _label(names: list[str], value: Any) -> str:
    """The name of ClassLabel ``value``; "" when it is missing (-1 or None).

    🤗 ``datasets`` stores a missing label as -1, and ``names[-1]`` would quietly file the painting
    under the last name of the list (a real style, genre or artist).
    """
    if value is None or int(value) < 0:
        return ""
    return names[int(value)]


def _save(dest: Path, rows: dict[int, dict[str, Any]], state: dict[str, Any]) -> None:
    import pandas as pd

    table = pd.DataFrame([rows[i] for i in sorted(rows)], columns=TABLE_COLUMNS)
    with atomic_path(dest / HUB_TABLE, suffix=PART_SUFFIX) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(dest / HUB_STATE, suffix=PART_SUFFIX) as tmp:
        tmp.write_text(json.dumps(state, indent=1))


class _Run:
    """One pass over the stream: the rows so far, the per-style counts, the position to save."""

    def __init__(self, spec: HubSpec, names: dict[str, list[str]], rows: dict[int, dict[str, Any]],
                 report: HubFetchReport, on_image: Callable[[int], None] | None) -> None:  # fmt: skip
        self.spec, self.names, self.rows, self.report, self.on_image = spec, names, rows, report, on_image
        self.per_style = {s: 0 for s in names["style"]}
        for r in rows.values():
            self.per_style[r["style"]] = self.per_style.get(r["style"], 0) + 1
        self.stream_state: Any = None
        self.next_index = 0
        self.since_save = 0

    def save(self) -> None:
        state = {
            "source": self.spec.source,
            "per_style": self.spec.per_style,
            "complete": self.report.complete,
            "next_index": self.next_index,
            "stream": self.stream_state,
        }
        _save(self.spec.dest, self.rows, state)

    def _full(self) -> bool:
        limit = self.spec.per_style  # the named styles only: a row without a style may never come again
        return bool(limit) and all(self.per_style.get(s, 0) >= limit for s in self.names["style"])

    def consume(self, stream: Any, start: int, total: int | None, progress: bool) -> None:
        """Read the stream in chunks: shrink a chunk's images on threads, then write them in order.

        Pillow releases the GIL while it decodes, resizes and encodes, so threads use every core; the
        writes, the table and the saved position stay sequential, so a resume starts at a chunk boundary.
        """
        from concurrent.futures import ThreadPoolExecutor
        from itertools import islice

        from tqdm.auto import tqdm

        self.next_index = start
        desc = f"fetch {self.spec.name}"
        bar = tqdm(total=total, initial=len(self.rows), desc=desc, unit="img", disable=not progress, file=sys.stderr)
        examples = iter(stream)
        with ThreadPoolExecutor(self.spec.workers, thread_name_prefix="artdl-hub") as pool:
            try:
                while not self._full():
                    chunk = list(islice(examples, 4 * self.spec.workers))
                    if not chunk:
                        break
                    encoded = self._encode(pool, chunk)
                    for offset, example in enumerate(chunk):
                        if self._take(self.next_index + offset, example, encoded.get(offset)):
                            bar.update(1)
                    self.next_index += len(chunk)
                    self.stream_state = stream.state_dict()
                    if self.since_save >= self.spec.flush_every:
                        self.save()
                        self.since_save = 0
                self.report.complete = True
            finally:
                bar.close()

    def _wanted(self, index: int, example: dict[str, Any], counts: dict[str, int]) -> bool:
        """True when row ``index`` joins the table (not present, within the limit); counts it."""
        style = _label(self.names["style"], example["style"])
        if index in self.rows or (self.spec.per_style and counts.get(style, 0) >= self.spec.per_style):
            return False
        counts[style] = counts.get(style, 0) + 1
        return True

    def _encode(self, pool: Any, chunk: list[dict[str, Any]]) -> dict[int, bytes | Exception]:
        """The JPEG bytes (or the decoding error) of each row of ``chunk`` that needs writing."""
        counts, todo = dict(self.per_style), []
        for offset, example in enumerate(chunk):
            index = self.next_index + offset
            if self._wanted(index, example, counts):
                style = _label(self.names["style"], example["style"])
                if not (self.spec.dest / _image_path(style, index)).is_file():
                    todo.append(offset)
        jobs = [((chunk[o]["image"] or {}).get("bytes") or b"", self.spec) for o in todo]
        return dict(zip(todo, pool.map(_encode_jpeg, jobs), strict=True))

    def _take(self, index: int, example: dict[str, Any], encoded: bytes | Exception | None) -> bool:
        """Write one painting unless it is present or over the limit; True when it joins the table.

        A row that :meth:`_encode` did not expect to be wanted (its style's slot was freed by an
        undecodable row earlier in the chunk) and is not on disk is encoded here, on this thread:
        a table row is only ever written with its file.
        """
        row = {c: _label(self.names[c], example[c]) for c in HUB_LABEL_COLUMNS}
        style = row["style"]
        if not self._wanted(index, example, self.per_style):
            return False
        rel = _image_path(style, index)
        if encoded is None and not (self.spec.dest / rel).is_file():
            encoded = _encode_jpeg(((example["image"] or {}).get("bytes") or b"", self.spec))
        if isinstance(encoded, Exception):
            self.per_style[style] -= 1
            self.report.failures.append((f"row {index}", f"{type(encoded).__name__}: {encoded}"))
            return False
        if encoded is not None:  # None: the file is there (a run killed before its table row)
            with atomic_path(self.spec.dest / rel, suffix=PART_SUFFIX) as tmp:
                tmp.write_bytes(encoded)
            self.report.fetched += 1
            self.since_save += 1
            if self.on_image is not None:
                self.on_image(index)
        self.rows[index] = {
            "path": rel,
            "index": index,
            **row,
            "title": str(example.get("title") or ""),  # huggan/wikiart has none; a set that has one keeps it
            "date": str(example.get("date") or ""),
            "source": self.spec.source,
        }
        return True


def _encode_jpeg(job: tuple[bytes, HubSpec]) -> bytes | Exception:
    """Shrink and JPEG-encode one image on a worker thread; a broken image returns its error."""
    data, spec = job
    try:
        out = io.BytesIO()
        shrink_to_short_side(data, spec.short_side).save(out, "JPEG", quality=spec.jpeg_quality)
        return out.getvalue()
    except Exception as err:  # noqa: BLE001 - Pillow raises many types for a broken image
        return err
