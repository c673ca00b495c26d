"""A painting set from the Hugging Face hub (``format: hf``): ``huggan/wikiart``, 27 styles at full scale.

The hub set is 81,444 paintings at their original size (about 30 GB of parquet). Nobody needs that
on disk to train at 224 px, so :func:`fetch_hub_dataset` streams it with 🤗 ``datasets``, shrinks
each image on the fly to ``short_side`` px (JPEG) and writes the artwork table that every other set
has (``metadata.csv``: ``path, index, style, genre, artist, title, date, source``): about 2 GB.
The label names come from the dataset's own ``ClassLabel`` features, never from a list typed here.

Resuming is the normal case for a download that takes an hour: every JPEG and the table are
written atomically (:func:`artdl.core.atomic_path`), the table and the stream position
(``fetch_state.json``, the stream's own ``state_dict``) are saved every ``flush_every`` images and
when the run stops for any reason, and a re-run skips every image already on disk. A folder of
parquet files in the hub's schema (``parquet_dir``) stands in for the hub offline: that is how the
tests run, and how a machine without internet uses a copy made elsewhere.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artdl.core import atomic_path, resolve
from artdl.data.fetch.manifest import FetchError
from artdl.data.sources import dataset_location, dataset_spec

__all__ = [
    "HUB_FORMAT",
    "HUB_LABEL_COLUMNS",
    "HUB_TABLE",
    "HubFetchReport",
    "HubSpec",
    "ensure_hub_dataset",
    "fetch_hub_dataset",
    "hub_datasets",
    "hub_label_names",
    "open_hub_stream",
    "shrink_to_short_side",
]

HUB_FORMAT = "hf"
HUB_TABLE = "metadata.csv"
HUB_STATE = "fetch_state.json"
HUB_LABEL_COLUMNS = ("style", "genre", "artist")  # ClassLabel columns of huggan/wikiart
TEMP_SUFFIX = ".part"  # atomic_path's temp files here: ".<file>.<random>.part", as a manifest fetch names them
TABLE_COLUMNS = ["path", "index", "style", "genre", "artist", "title", "date", "source"]


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
        )

    @property
    def source(self) -> str:
        """Where the rows come from, as written in the table's ``source`` column."""
        if self.parquet_dir is not None:
            return f"parquet:{self.parquet_dir.name}"
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


def hub_datasets(cfg: Any) -> list[str]:
    """Names of the configured sets read from the hub (``format: hf``)."""
    return [n for n in cfg.datasets.keys() if str(cfg.datasets[n].get("format", "")) == HUB_FORMAT]


def open_hub_stream(spec: HubSpec) -> Any:
    """The train split as a 🤗 ``IterableDataset`` with undecoded images (bytes), local folder first.

    The hub is used only when no ``parquet_dir`` is configured. Images stay undecoded so that a
    resumed run skips a painting already on disk without paying for its decoding.
    """
    import datasets

    if spec.parquet_dir is not None:
        folder = spec.parquet_dir
        if not folder.is_dir():
            raise FetchError(
                f"datasets.{spec.name}.parquet_dir={folder} does not exist: point it at a folder of parquet "
                f"files in the {spec.hub_id or 'hub'} schema, or set it to \"\" to stream from the hub."
            )
        files = sorted(str(p) for p in folder.rglob("*.parquet"))
        if not files:
            raise FetchError(f"datasets.{spec.name}.parquet_dir={folder} holds no *.parquet files.")
        stream = datasets.load_dataset("parquet", data_files={"train": files}, split="train", streaming=True)
    else:
        if not spec.hub_id:
            raise FetchError(f"datasets.{spec.name} needs a hub_id (e.g. huggan/wikiart) or a parquet_dir.")
        if set(spec.revision) == {"0"}:
            raise FetchError(
                f"datasets.{spec.name}.revision is a placeholder: pin it to a commit of "
                f"https://huggingface.co/datasets/{spec.hub_id}/commits/main (or set it to main, unpinned)."
            )
        try:
            stream = datasets.load_dataset(spec.hub_id, split="train", streaming=True, revision=spec.revision)
        except Exception as err:  # the hub's errors (offline, unknown revision) are many types
            raise FetchError(
                f"Could not open {spec.hub_id} at revision {spec.revision} on the Hugging Face hub "
                f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}). Offline? Copy its "
                f"parquet files here and set datasets.{spec.name}.parquet_dir=/path/to/them; a wrong revision: "
                f"set datasets.{spec.name}.revision to a commit of https://huggingface.co/datasets/{spec.hub_id}."
            ) from None
    hub_label_names(stream.features, spec.name)
    return stream.cast_column("image", datasets.Image(decode=False))


def hub_label_names(features: Any, name: str = "wikiart_full") -> dict[str, list[str]]:
    """``{column: names}`` of the ``ClassLabel`` columns: the label names are the dataset's own."""
    from datasets import ClassLabel

    features = features or {}
    wrong = [c for c in HUB_LABEL_COLUMNS if not isinstance(features.get(c), ClassLabel)]
    if "image" not in features or wrong:
        raise FetchError(
            f"The parquet files of '{name}' are not in the huggan/wikiart schema: they need an `image` column "
            f"and ClassLabel columns {', '.join(HUB_LABEL_COLUMNS)}; got {dict(features) or 'no features'}."
        )
    return {c: list(features[c].names) for c in HUB_LABEL_COLUMNS}


def shrink_to_short_side(data: bytes, short_side: int) -> Any:
    """The painting upright, in RGB, with its short side at most ``short_side`` px (Lanczos).

    JPEG's draft mode decodes at a power-of-two reduction first, so a 4,000 px scan costs about a
    sixteenth of a full decode: that is most of the fetch's CPU time.
    """
    from PIL import Image, ImageOps

    im = Image.open(io.BytesIO(data))
    if short_side and im.format == "JPEG":
        scale = short_side / min(im.size)
        im.draft("RGB", (max(1, int(im.size[0] * scale)), max(1, int(im.size[1] * scale))))
    im = ImageOps.exif_transpose(im).convert("RGB")
    if short_side and min(im.size) > short_side:
        scale = short_side / min(im.size)
        size = (max(1, round(im.size[0] * scale)), max(1, round(im.size[1] * scale)))
        im = im.resize(size, Image.Resampling.LANCZOS)
    return im


def _image_path(style: str, index: int) -> str:
    return f"images/{style}/{index:06d}.jpg"


def _read_table(dest: Path) -> dict[int, dict[str, Any]]:
    import pandas as pd

    path = dest / HUB_TABLE
    if not path.is_file():
        return {}
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {int(r["index"]): r for r in table.to_dict("records") if (dest / r["path"]).is_file()}


def _save(dest: Path, rows: dict[int, dict[str, Any]], state: dict[str, Any]) -> None:
    import pandas as pd

    table = pd.DataFrame([rows[i] for i in sorted(rows)], columns=TABLE_COLUMNS)
    with atomic_path(dest / HUB_TABLE, suffix=TEMP_SUFFIX) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(dest / HUB_STATE, suffix=TEMP_SUFFIX) as tmp:
        tmp.write_text(json.dumps(state, indent=1))


def _remove_stale_temps(dest: Path) -> None:
    """Delete the temp files of a run that was killed outright (SIGKILL, power loss)."""
    for p in dest.rglob(f".*{TEMP_SUFFIX}"):
        if p.is_file():
            p.unlink()


def _resume_state(spec: HubSpec) -> dict[str, Any]:
    """The saved stream position, when it belongs to the same source and limit (else start over)."""
    path = spec.dest / HUB_STATE
    if not path.is_file():
        return {}
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    same = saved.get("source") == spec.source and saved.get("per_style") == spec.per_style
    return saved if same else {}


def _expected_total(stream: Any, spec: HubSpec, n_styles: int) -> int | None:
    """Rows the run will end with, for the progress bar's ETA (parquet footers or the hub's card)."""
    total: int | None = None
    if spec.parquet_dir is not None:
        import pyarrow.parquet as pq

        total = sum(pq.ParquetFile(p).metadata.num_rows for p in spec.parquet_dir.rglob("*.parquet"))
    else:
        splits = getattr(stream.info, "splits", None) or {}
        total = splits["train"].num_examples if "train" in splits else None
    if spec.per_style and total is not None:
        total = min(total, spec.per_style * n_styles)
    return total


def fetch_hub_dataset(
    cfg: Any,
    name: str,
    dest: str | Path | None = None,
    progress: bool = True,
    on_image: Callable[[int], None] | None = None,
) -> HubFetchReport:
    """Stream hub set ``name`` into ``dest`` (``datasets.<name>.root`` or ``data/raw/<name>``).

    A re-run writes only what is missing and ends with the same table. ``on_image(index)`` is
    called after each JPEG is written (progress hooks; the tests interrupt a run through it).
    """
    started = time.perf_counter()
    spec = HubSpec.from_cfg(cfg, name, dest)
    if dest is None and dataset_location(cfg, name)[0] == "mirror":  # a local mirror is read, never written
        rows = _read_table(spec.dest)
        return HubFetchReport(name, spec.dest, len(rows), len(rows), source="mirror", complete=True)
    stream = open_hub_stream(spec)
    names = hub_label_names(stream.features, name)
    spec.dest.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(spec.dest)
    rows = _read_table(spec.dest)
    report = HubFetchReport(name, spec.dest, present=len(rows), source=spec.source)
    saved = _resume_state(spec)
    if saved.get("complete"):
        report.total, report.complete = len(rows), True
        report.seconds = time.perf_counter() - started
        return report
    start = 0
    if saved.get("stream") is not None:
        stream.load_state_dict(saved["stream"])
        start = int(saved["next_index"])
    run = _Run(spec, names, rows, report, on_image)
    try:
        run.consume(stream, start, _expected_total(stream, spec, len(names["style"])), progress)
    finally:
        run.save()
        report.total = len(rows)
        report.seconds = time.perf_counter() - started
    return report


def ensure_hub_dataset(cfg: Any, name: str, progress: bool = True) -> HubFetchReport | None:
    """Fetch (or finish fetching) hub set ``name`` unless it is complete or in a local mirror.

    Used by ``python -m artdl run`` before the first notebook, as for the shipped sets. Raises
    :class:`FetchError` when the source cannot be read, with the way to fix it.
    """
    kind, where = dataset_location(cfg, name)
    if kind == "mirror":
        return None
    spec = HubSpec.from_cfg(cfg, name)
    if _resume_state(spec).get("complete"):
        return None
    print(f"artdl: data set '{name}' is not complete in {where}: streaming it from {spec.source} ...", flush=True)
    report = fetch_hub_dataset(cfg, name, progress=progress)
    print(f"artdl: {report.summary()}", flush=True)
    return report


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
        limit = self.spec.per_style
        return bool(limit) and all(n >= limit for n in self.per_style.values())

    def consume(self, stream: Any, start: int, total: int | None, progress: bool) -> None:
        from tqdm.auto import tqdm

        self.next_index = start
        desc = f"fetch {self.spec.name}"
        bar = tqdm(total=total, initial=len(self.rows), desc=desc, unit="img", disable=not progress, file=sys.stderr)
        try:
            for index, example in enumerate(stream, start=start):
                if self._full():
                    break
                if self._take(index, example):
                    bar.update(1)
                self.next_index = index + 1
                self.stream_state = stream.state_dict()
                if self.since_save >= self.spec.flush_every:
                    self.save()
                    self.since_save = 0
            self.report.complete = True
        finally:
            bar.close()

    def _take(self, index: int, example: dict[str, Any]) -> bool:
        """Write one painting unless it is present or over the limit; True when it joins the table."""
        row = {c: self.names[c][example[c]] for c in HUB_LABEL_COLUMNS}
        style = row["style"]
        if index in self.rows:
            return False
        if self.spec.per_style and self.per_style.get(style, 0) >= self.spec.per_style:
            return False
        rel = _image_path(style, index)
        target = self.spec.dest / rel
        if not target.is_file():  # a file killed before its table row (SIGKILL) is kept, not redone
            image = example["image"] or {}
            try:
                im = shrink_to_short_side(image.get("bytes") or b"", self.spec.short_side)
            except Exception as err:  # noqa: BLE001 - Pillow raises many types for a broken image
                self.report.failures.append((f"row {index}", f"{type(err).__name__}: {err}"))
                return False
            with atomic_path(target, suffix=TEMP_SUFFIX) as tmp:
                im.save(tmp, "JPEG", quality=self.spec.jpeg_quality)
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
        self.per_style[style] = self.per_style.get(style, 0) + 1
        return True
