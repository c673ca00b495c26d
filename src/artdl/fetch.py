"""Data anyone can get: find each painting set on disk, or fetch it from pinned public sources.

Every shipped data set is described completely by a manifest in ``configs/sources/<name>.csv``:
one row per file with ``file`` (path inside the set), ``source_repo``, ``source_commit``,
``source_path`` and the ``sha256`` and ``bytes`` of the original in a public GitHub repository.
A clone of this repository therefore needs nothing but the internet to rebuild every set, and a
fetched file is the checksummed original, not "whatever the URL served today".

Where a set lives (:func:`dataset_root`), the first that exists of:

1. ``datasets.<name>.root`` when it is set (explicit: used even when missing, so a typo is an
   error that names it instead of silently reading another copy);
2. ``<paths.shared_datasets>/<name>``: a local mirror (``../shared/datasets`` next to the project);
3. ``<paths.data>/raw/<name>``: where ``python -m artdl data fetch`` writes.

The download rule (``python -m artdl data fetch [NAME ...]``, ``make data``): for every manifest row
whose file is missing, download ``data.fetch.url_template`` filled with the row, check ``bytes`` and
``sha256`` (a mismatch writes nothing), shrink an image whose long side exceeds
``data.fetch.max_side`` (Lanczos, RGB, JPEG quality ``data.fetch.jpeg_quality``: the recipe of the
shared mirror copies), and write it atomically (temp file + ``os.replace``). **A file already within
``max_side`` is written byte for byte as downloaded**: it is never re-encoded, so a fetched
``wikiart_styles7`` (224 px) equals the mirror and its sha256 still matches the manifest. Non-image
files (``PainterPalette.csv``) are always written as downloaded.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import http.client
import io
import os
import random
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artdl.data import IMAGE_EXTENSIONS, SPLIT_DIR_NAMES, DataError
from artdl.paths import project_root, resolve

__all__ = [
    "DATASET_INFO",
    "DEFAULT_URL_TEMPLATE",
    "NOTEBOOK_DATASETS",
    "FetchError",
    "FetchReport",
    "ManifestRow",
    "data_table_markdown",
    "dataset_location",
    "dataset_root",
    "datasets_needed",
    "ensure_datasets",
    "fetch_dataset",
    "main",
    "manifest_path",
    "read_manifest",
    "shipped_datasets",
    "shrink_image",
    "source_url",
]

DEFAULT_URL_TEMPLATE = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
USER_AGENT = "artdl/0.1 (data fetch for the artdl paintings project; +https://github.com/artdl/artdl)"
PART_SUFFIX = ".part"  # temp files are ".<file>.<random>.part" beside their target
ABORT_AFTER = 10  # this many failures before the first success: stop (offline, wrong commit ...)

# Which data sets each numbered notebook reads, as config keys (a dotted key whose value is a set
# name or a list of names) or literal set names. The runner fetches exactly these before the first
# notebook; a notebook not listed here reads no shipped set.
NOTEBOOK_DATASETS: dict[str, tuple[str, ...]] = {
    "00_data": ("data.dataset",),
    "02_classify": ("classify.dataset",),
    "03_autoencode": ("autoencode.datasets",),
    "04_retrieve": ("autoencode.datasets", "retrieve.styles.dataset", "louvre_genre", "painter_palette"),
    "05_archive": ("autoencode.datasets", "painter_palette"),
    "06_gan": ("gan.dataset",),
}

# What each shipped set is and under which terms: prose only. Every number in the data table
# (files, labels, bytes, commits) is computed from the manifests.
DATASET_INFO: dict[str, dict[str, str]] = {
    "aic_paintings": {
        "what": "Art Institute of Chicago open-access paintings in period collections; titles, artists, dates",
        "terms": "CC0 (public domain)",
    },
    "louvre_genre": {
        "what": "Louvre paintings of the 17th-19th century by genre; own train/val split",
        "label": "genre",
        "terms": "no licence in the source: rights lie with their holders; research and teaching only",
    },
    "wikiart_impressionists": {
        "what": "WikiArt paintings by Claude Monet and Berthe Morisot",
        "terms": "WikiArt images: rights lie with their holders; research and teaching only",
    },
    "wikiart_styles7": {
        "what": "WikiArt paintings, square 224 px, the same number per style; exact duplicates removed",
        "terms": (
            "WikiArt images under WikiArt's terms (source code CC BY-NC-SA 4.0): rights lie with their "
            "holders; non-commercial research and teaching only"
        ),
    },
    "painter_palette": {
        "what": "PainterPalette.csv: painters with influences, teachers, pupils, styles, movements, dates",
        "terms": "MIT (compiled from WikiArt, Art500k and Wikidata)",
    },
}


class FetchError(DataError):
    """A data set could not be fetched; the message names the failing URL and the manual fix."""


@dataclass(frozen=True)
class ManifestRow:
    """One file of a data set and where its original lives."""

    file: str
    repo: str
    commit: str
    path: str
    sha256: str
    bytes: int


@dataclass
class FetchReport:
    """What one :func:`fetch_dataset` call did."""

    name: str
    dest: Path
    total: int = 0
    present: int = 0
    fetched: int = 0
    downloaded_bytes: int = 0
    written_bytes: int = 0
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    stopped_early: bool = False
    in_mirror: bool = False  # found in the local mirror: nothing to fetch

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if self.in_mirror:
            return f"{self.name}: in the local mirror {self.dest}, nothing to fetch"
        mb = self.downloaded_bytes / 1e6
        text = (
            f"{self.name}: {self.fetched} fetched ({mb:.1f} MB in {self.seconds:.1f} s), "
            f"{self.present} already present, {len(self.failures)} failed -> {self.dest}"
        )
        if self.stopped_early:
            text += f" (stopped after {len(self.failures)} failures and no success)"
        return text


# --------------------------------------------------------------------------------------------
# Manifests and where a data set lives
# --------------------------------------------------------------------------------------------
def _fetch_cfg(cfg: Any) -> Any:
    return cfg.data.fetch


def manifest_path(cfg: Any, name: str) -> Path:
    """``<data.fetch.manifests>/<name>.csv`` (``configs/sources/<name>.csv``); may not exist."""
    return resolve(str(_fetch_cfg(cfg).manifests)) / f"{name}.csv"


def shipped_datasets(cfg: Any) -> list[str]:
    """Names of the data sets that have a manifest, i.e. that :func:`fetch_dataset` can rebuild."""
    folder = resolve(str(_fetch_cfg(cfg).manifests))
    return sorted(p.stem for p in folder.glob("*.csv") if "." not in p.stem)


def read_manifest(path: str | os.PathLike[str]) -> list[ManifestRow]:
    """The rows of a ``sources.csv`` manifest (extra columns such as ``style`` are ignored)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            ManifestRow(
                file=r["file"],
                repo=r["source_repo"],
                commit=r["source_commit"],
                path=r["source_path"],
                sha256=r["sha256"].lower(),
                bytes=int(r["bytes"]),
            )
            for r in csv.DictReader(fh)
        ]


def _extra_files(cfg: Any, name: str) -> list[tuple[Path, str]]:
    """Small committed companions of a set: ``configs/sources/<name>.<file>`` -> ``<root>/<file>``.

    The AIC reader needs ``metadata.csv`` (titles, artists, dates), which is not an image in any
    source repository, so it is committed beside the manifest and copied into a fetched set.
    """
    folder = resolve(str(_fetch_cfg(cfg).manifests))
    prefix = f"{name}."
    return [
        (p, p.name[len(prefix) :])
        for p in sorted(folder.glob(f"{name}.*"))
        if p.name != f"{name}.csv" and p.is_file()
    ]


def _spec(cfg: Any, name: str) -> Any:
    if name not in cfg.datasets:
        raise DataError(
            f"Unknown data set '{name}'. Known: {', '.join(cfg.datasets.keys())}. "
            f"Add it under `datasets:` in a config (root, format, label)."
        )
    return cfg.datasets[name]


def dataset_location(cfg: Any, name: str) -> tuple[str, Path]:
    """``(kind, path)`` of a data set: kind is ``root``, ``mirror``, ``raw`` or ``missing``.

    ``missing`` comes with the path that :func:`fetch_dataset` would write to. See
    :func:`dataset_root` for the order.
    """
    root = str(_spec(cfg, name).get("root") or "").strip()
    if root:
        path = resolve(root)
        return ("root" if path.exists() else "missing"), path
    mirror = resolve(str(cfg.paths.shared_datasets)) / name
    if mirror.exists():
        return "mirror", mirror
    raw = resolve(str(cfg.paths.data)) / "raw" / name
    return ("raw" if raw.exists() else "missing"), raw


def dataset_root(cfg: Any, name: str) -> Path:
    """The folder of data set ``name``: the one place every reader of a data set looks.

    Order: ``datasets.<name>.root`` if set (explicit, used even if it does not exist, so that a
    wrong path is reported rather than silently replaced); else ``<paths.shared_datasets>/<name>``
    if it exists (a local mirror); else ``<paths.data>/raw/<name>``, where
    ``python -m artdl data fetch <name>`` writes (returned even when not fetched yet, so that the
    caller's "does not exist" error names the place to put the files). Stable public API.
    """
    return dataset_location(cfg, name)[1]


def datasets_needed(cfg: Any, notebooks: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The data sets the given notebooks read under ``cfg`` (see :data:`NOTEBOOK_DATASETS`)."""
    names: list[str] = []
    for nb in notebooks:
        for item in NOTEBOOK_DATASETS.get(Path(nb).stem, ()):
            if "." in item:
                value: Any = cfg
                for part in item.split("."):
                    value = value.get(part) if value is not None and part in value else None
                values = [] if value is None else [value] if isinstance(value, str) else list(value)
            else:
                values = [item]
            for v in values:
                if str(v) and str(v) not in names:
                    names.append(str(v))
    return names


# --------------------------------------------------------------------------------------------
# One file: URL, download with retries, check, shrink, atomic write
# --------------------------------------------------------------------------------------------
def source_url(template: str, row: ManifestRow) -> str:
    """The download URL of a manifest row: the template filled with the URL-quoted source path."""
    return template.format(repo=row.repo, commit=row.commit, path=urllib.parse.quote(row.path))


class _Failed(Exception):
    """A download that will not succeed by retrying; the message is the reason."""


_RETRY_EXCEPTIONS = (TimeoutError, socket.timeout, ConnectionError, http.client.IncompleteRead)


def _download(
    url: str, timeout: float, retries: int, backoff: float, stop: threading.Event | None = None
) -> bytes:
    """GET ``url``; retry 429, 5xx, timeouts and dropped connections with exponential backoff.

    A server's ``Retry-After`` (seconds) wins over the backoff, capped at 60 s. A 4xx other than 429
    and a DNS failure are not retried: waiting does not fix a wrong path or a machine offline.
    ``stop`` (set on Ctrl-C or an early stop) ends the backoff waits at once.
    """
    last = ""
    for attempt in range(retries + 1):
        wait_s = backoff * (2**attempt) * (0.5 + random.random())
        try:
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return resp.read()
        except urllib.error.HTTPError as err:
            last = f"HTTP {err.code} {err.reason}"
            if err.code != 429 and err.code < 500:
                raise _Failed(last) from None
            after = err.headers.get("Retry-After") if err.headers else None
            if after and after.strip().isdigit():
                wait_s = min(float(after), 60.0)
        except urllib.error.URLError as err:
            reason = err.reason
            last = f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else str(reason)
            if not isinstance(reason, _RETRY_EXCEPTIONS):
                raise _Failed(last) from None
        except _RETRY_EXCEPTIONS as err:
            last = f"{type(err).__name__}: {err}"
        if attempt < retries:
            if stop is None:
                time.sleep(wait_s)
            elif stop.wait(wait_s):
                raise _Failed("cancelled")
    raise _Failed(f"{last} (after {retries + 1} attempts)")


def shrink_image(data: bytes, file: str, max_side: int | None, quality: int = 85) -> bytes:
    """The bytes to store for a downloaded file: shrunk only if its long side exceeds ``max_side``.

    Contract: non-images, undecodable files, ``max_side`` of 0/None, and images already within
    ``max_side`` come back unchanged (byte-identical: no re-encoding loss, and the sha256 still
    matches the manifest). Larger images are turned upright (EXIF), converted to RGB, shrunk with
    Lanczos keeping the aspect ratio (long side = ``max_side``) and saved in their own format
    (JPEG at ``quality``, 4:2:0, the settings of the shared mirror copies).
    """
    if not max_side or Path(file).suffix.lower() not in IMAGE_EXTENSIONS:
        return data
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            if max(im.size) <= max_side:
                return data
            fmt = im.format or "JPEG"
            im = ImageOps.exif_transpose(im)
            im = im.convert("RGB") if fmt == "JPEG" or im.mode not in ("RGB", "RGBA", "L") else im
            im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if fmt == "JPEG":
                im.save(out, "JPEG", quality=quality)
            else:
                im.save(out, fmt)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return data  # checksummed original that Pillow cannot read: keep it; the reader skips it


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and ``os.replace``.

    Readers see either no file or the whole file; an exception (or Ctrl-C) removes the temp file.
    A process killed outright leaves at most a ``.<name>.*.part`` file, removed by the next fetch.
    """
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=PART_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _remove_stale_parts(dest: Path) -> int:
    """Delete temp files left by a fetch that was killed (SIGKILL, power loss)."""
    removed = 0
    if dest.is_dir():
        for p in dest.rglob(f".*{PART_SUFFIX}"):
            if p.is_file():
                p.unlink()
                removed += 1
    return removed


# --------------------------------------------------------------------------------------------
# One data set
# --------------------------------------------------------------------------------------------
def fetch_dataset(
    cfg: Any,
    name: str,
    dest: str | os.PathLike[str] | None = None,
    progress: bool = True,
    on_file: Callable[[ManifestRow], None] | None = None,
) -> FetchReport:
    """Download every missing file of data set ``name`` into ``dest``; return what happened.

    ``dest`` defaults to the explicit ``datasets.<name>.root`` if set, else ``data/raw/<name>``.
    A set found in a local mirror is left alone (nothing to do) unless ``dest`` is given. Files
    already in ``dest`` are skipped, so a re-run or a resumed run downloads only what is missing.
    Failures are collected (URL, reason), never raised; ``on_file`` is called after each file is
    written (progress hooks, tests).
    """
    started = time.perf_counter()
    fcfg = _fetch_cfg(cfg)
    manifest = manifest_path(cfg, name)
    if not manifest.is_file():
        raise FetchError(
            f"No manifest for data set '{name}' at {manifest}: only sets with a manifest can be fetched "
            f"({', '.join(shipped_datasets(cfg)) or 'none found'})."
        )
    rows = read_manifest(manifest)
    if dest is None:
        kind, where = dataset_location(cfg, name)
        if kind == "mirror":
            return FetchReport(name, where, total=len(rows), present=len(rows), in_mirror=True)
        dest = where
    dest = Path(dest)
    report = FetchReport(name, dest, total=len(rows))
    _remove_stale_parts(dest)
    todo = [r for r in rows if not (dest / r.file).is_file()]
    report.present = len(rows) - len(todo)
    if not todo:
        _write_companions(cfg, name, dest)
        report.seconds = time.perf_counter() - started
        return report

    template = str(fcfg.url_template or DEFAULT_URL_TEMPLATE)
    max_side = int(fcfg.max_side or 0)
    quality = int(fcfg.jpeg_quality)
    timeout, retries, backoff = float(fcfg.timeout), int(fcfg.retries), float(fcfg.backoff)
    stop = threading.Event()
    lock = threading.Lock()

    def one(row: ManifestRow) -> tuple[ManifestRow, str, str | None, int, int]:
        url = source_url(template, row)
        if stop.is_set():
            return row, url, "cancelled", 0, 0
        try:
            data = _download(url, timeout, retries, backoff, stop)
        except _Failed as err:
            return row, url, "cancelled" if stop.is_set() else str(err), 0, 0
        if len(data) != row.bytes:
            return row, url, f"size mismatch: got {len(data)} bytes, manifest says {row.bytes}", len(data), 0
        digest = hashlib.sha256(data).hexdigest()
        if digest != row.sha256:
            return row, url, f"sha256 mismatch: got {digest}, manifest says {row.sha256}", len(data), 0
        out = shrink_image(data, row.file, max_side, quality)
        if stop.is_set():
            return row, url, "cancelled", len(data), 0
        _write_atomic(dest / row.file, out)
        return row, url, None, len(data), len(out)

    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(todo), desc=f"fetch {name}", unit="file", disable=not progress, leave=True, file=sys.stderr
    )
    pool = ThreadPoolExecutor(max_workers=max(1, int(fcfg.workers)), thread_name_prefix="artdl-fetch")
    pending: set[Future[Any]] = set()
    queue = iter(todo)
    try:
        # Submit lazily (at most 2x workers in flight) so that a stop leaves little queued work.
        def top_up() -> None:
            while not stop.is_set() and len(pending) < 2 * max(1, int(fcfg.workers)):
                row = next(queue, None)
                if row is None:
                    return
                pending.add(pool.submit(one, row))

        top_up()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                pending.discard(fut)
                row, url, reason, n_in, n_out = fut.result()  # re-raises a worker's BaseException
                with lock:
                    report.downloaded_bytes += n_in
                    if reason is None:
                        report.fetched += 1
                        report.written_bytes += n_out
                    elif reason != "cancelled":
                        report.failures.append((url, reason))
                if reason is None and on_file is not None:
                    on_file(row)
                bar.update(1)
            if report.fetched == 0 and len(report.failures) >= ABORT_AFTER and not stop.is_set():
                stop.set()
                report.stopped_early = True
            top_up()
    except BaseException:
        stop.set()
        raise
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        report.seconds = time.perf_counter() - started
    if report.fetched or report.present:  # an offline attempt leaves no folder behind
        _write_companions(cfg, name, dest)
    return report


def _write_companions(cfg: Any, name: str, dest: Path) -> None:
    for src, rel in _extra_files(cfg, name):
        target = dest / rel
        if not target.exists():
            _write_atomic(target, src.read_bytes())


def _manual_hint(cfg: Any, name: str, report: FetchReport) -> str:
    url, reason = report.failures[0]
    mirror = resolve(str(cfg.paths.shared_datasets)) / name
    how_many = (
        f"the first {len(report.failures)} downloads all failed (stopped there)"
        if report.stopped_early
        else f"{len(report.failures)} of {report.total - report.present} downloads failed"
    )
    return (
        f"Could not fetch data set '{name}': {how_many}, e.g. {url} ({reason}). Are you offline? "
        f"Put the files by hand in {report.dest} "
        f"(paths as in the `file` column of {manifest_path(cfg, name)}, originals from the URLs it "
        f"describes), or a copy of the whole set in {mirror}, or set datasets.{name}.root=/path/to/it; "
        f"then run `python -m artdl data fetch {name}` again to fetch only what is still missing."
    )


def ensure_datasets(cfg: Any, names: Sequence[str], progress: bool = True) -> list[FetchReport]:
    """Make sure every named set is on disk; fetch into ``data/raw`` what no location holds.

    Used by ``python -m artdl run`` before the first notebook. A set in a local mirror or an
    existing explicit root is left alone; a set without a manifest (a crawl, your own folder) is
    the reader's business. A set already in ``data/raw`` is completed (only missing files are
    fetched), so an interrupted first download resumes. Raises :class:`FetchError` with the failing
    URL and the manual fix when a set stays incomplete.
    """
    reports: list[FetchReport] = []
    for name in names:
        if name not in cfg.datasets or not manifest_path(cfg, name).is_file():
            continue
        kind, where = dataset_location(cfg, name)
        if kind in ("root", "mirror"):
            continue
        rows = read_manifest(manifest_path(cfg, name))
        missing = [r for r in rows if not (where / r.file).is_file()]
        if not missing:
            continue
        size = sum(r.bytes for r in missing) / 1e6
        print(
            f"artdl: data set '{name}' is not at {resolve(str(cfg.paths.shared_datasets)) / name} "
            f"(local mirror){' and is incomplete in' if kind == 'raw' else ' nor in'} {where}: fetching "
            f"{len(missing)} files ({size:.1f} MB) from {rows[0].repo}@{rows[0].commit[:7]} ...",
            flush=True,
        )
        report = fetch_dataset(cfg, name, dest=where, progress=progress)
        print(f"artdl: {report.summary()}", flush=True)
        reports.append(report)
        if report.failures:
            raise FetchError(_manual_hint(cfg, name, report))
    return reports


# --------------------------------------------------------------------------------------------
# The data table of the README (generated: no hand-typed numbers)
# --------------------------------------------------------------------------------------------
def _labels(cfg: Any, name: str, rows: Sequence[ManifestRow]) -> tuple[str, int]:
    spec = cfg.datasets.get(name) if name in cfg.datasets else None
    fmt = str(spec.format) if spec is not None else ""
    label = str(spec.label) if spec is not None and spec.get("label") else ""
    if fmt == "imagefolder":
        values = set()
        for r in rows:
            parts = Path(r.file).parts
            if len(parts) > 2 and parts[0].lower() in SPLIT_DIR_NAMES:
                values.add(parts[1])
            elif len(parts) > 1:
                values.add(parts[0])
        return DATASET_INFO.get(name, {}).get("label", label), len(values)
    for src, rel in _extra_files(cfg, name):
        if rel == "metadata.csv" and label:
            with open(src, newline="", encoding="utf-8") as fh:
                return label, len({r.get(label, "") for r in csv.DictReader(fh)})
    return "", 0


def _human_bytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _minutes(n_bytes: int, bytes_per_s: float) -> str:
    seconds = n_bytes / bytes_per_s
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def data_table_markdown(cfg: Any | None = None, config_name: str = "default") -> str:
    """The README/docs table of every shipped set, computed from ``configs/sources/*.csv``.

    Columns: set, what it is, files, label (number of classes), source repository and pinned
    commit, terms, download size (originals, before shrinking). Followed by one line on what
    ``make run`` downloads on first use for ``config_name``. This is the body between the
    ``<!-- results:data -->`` markers; ``python -m artdl data table`` prints it.
    """
    from artdl.config import load_config

    cfg = cfg if cfg is not None else load_config(config_name)
    lines = [
        "| set | what it is | files | label (classes) | source (repository @ commit) | terms | download |",
        "|---|---|---:|---|---|---|---:|",
    ]
    sizes: dict[str, tuple[int, int]] = {}
    shipped = shipped_datasets(cfg)
    ordered = [n for n in cfg.datasets.keys() if n in shipped] + [n for n in shipped if n not in cfg.datasets]
    for name in ordered:
        rows = read_manifest(manifest_path(cfg, name))
        info = DATASET_INFO.get(name, {})
        label, n_labels = _labels(cfg, name, rows)
        label_text = f"{label} ({n_labels})" if label and n_labels else "–"
        sources = sorted({(r.repo, r.commit) for r in rows})
        source_text = ", ".join(
            f"[{repo}](https://github.com/{repo}/tree/{commit}) @ `{commit[:7]}`" for repo, commit in sources
        )
        total = sum(r.bytes for r in rows)
        sizes[name] = (len(rows), total)
        lines.append(
            f"| `{name}` | {info.get('what', '')} | {len(rows):,} | {label_text} | {source_text} | "
            f"{info.get('terms', 'see the source repository')} | {_human_bytes(total)} |"
        )
    notebooks = sorted(p.stem for p in resolve(str(cfg.run.notebooks_dir)).glob("[0-9][0-9]_*.ipynb"))
    wanted = set(datasets_needed(cfg, notebooks))
    needed = [n for n in ordered if n in wanted]  # table order: stable when a notebook's set changes
    if needed:
        files = sum(sizes[n][0] for n in needed)
        total = sum(sizes[n][1] for n in needed)
        lines += [
            "",
            f"`make run` (config `{config_name}`) reads {', '.join(f'`{n}`' for n in needed)}: on a clone "
            f"without a local mirror it first downloads {files:,} files, {_human_bytes(total)}, about "
            f"{_minutes(total, 10e6)} at 10 MB/s or {_minutes(total, 1e6)} at 1 MB/s "
            f"(all shipped sets, `make data`: {sum(s[0] for s in sizes.values()):,} files, "
            f"{_human_bytes(sum(s[1] for s in sizes.values()))}).",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Command line: python -m artdl data {fetch,where,table}
# --------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """``python -m artdl data fetch [NAME ...]`` | ``data where`` | ``data table``."""
    from artdl.config import load_config

    parser = argparse.ArgumentParser(prog="python -m artdl data", description="the painting data sets")
    sub = parser.add_subparsers(dest="action", required=True)
    p_fetch = sub.add_parser("fetch", help="download missing files of the named sets (default: all shipped)")
    p_fetch.add_argument("names", nargs="*", metavar="NAME|key=value")
    p_fetch.add_argument("--dest", help="write here instead of data/raw/<name> (one set only)")
    p_where = sub.add_parser("where", help="print where each data set is found")
    p_where.add_argument("names", nargs="*", metavar="NAME|key=value")
    p_table = sub.add_parser("table", help="print the Markdown table of the shipped sets")
    p_table.add_argument("names", nargs="*", metavar="key=value")
    for p in (p_fetch, p_where, p_table):
        p.add_argument("--config", default="default", help="config name in configs/ or a YAML path")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    overrides = [n for n in args.names if "=" in n]
    names = [n for n in args.names if "=" not in n]
    cfg = load_config(args.config, overrides)

    if args.action == "table":
        print(data_table_markdown(cfg, args.config), end="")
        return 0
    if args.action == "where":
        for name in names or list(cfg.datasets.keys()):
            kind, path = dataset_location(cfg, name)
            print(f"{name:24s} {kind:8s} {path}")
        return 0

    names = names or shipped_datasets(cfg)
    if args.dest and len(names) != 1:
        parser.error("--dest needs exactly one data set name")
    reports: list[FetchReport] = []
    try:
        for name in names:
            report = fetch_dataset(cfg, name, dest=args.dest, progress=True)
            reports.append(report)
            print(report.summary(), flush=True)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    failures = [(r.name, url, reason) for r in reports for url, reason in r.failures]
    if failures:
        print(f"\n{len(failures)} file(s) failed:", file=sys.stderr)
        for name, url, reason in failures:
            print(f"  [{name}] {url}: {reason}", file=sys.stderr)
        print(
            f"Put missing files by hand under {resolve(str(cfg.paths.data)) / 'raw'}/<name>/<file> "
            f"(the `file` column of configs/sources/<name>.csv), then re-run to fetch the rest.",
            file=sys.stderr,
        )
        return 1
    print(f"All {len(reports)} data set(s) complete ({project_root()}).")
    return 0
