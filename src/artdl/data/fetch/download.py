"""Downloading a data set: one checked, shrunk, atomically written file at a time, on a thread pool."""

from __future__ import annotations

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
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artdl.core import remove_stale_parts, resolve, write_atomic
from artdl.data.fetch.hub import ensure_hub_dataset, hub_datasets
from artdl.data.fetch.manifest import (
    DEFAULT_URL_TEMPLATE,
    FetchError,
    ManifestRow,
    _fetch_cfg,
    companion_files,
    datasets_needed,
    manifest_path,
    read_manifest,
    shipped_datasets,
)
from artdl.data.sources import IMAGE_EXTENSIONS, dataset_location

__all__ = ["FetchReport", "ensure_datasets", "ensure_notebook_data", "fetch_dataset", "shrink_image", "source_url"]

USER_AGENT = "artdl/0.1 (data fetch for the artdl paintings project; +https://github.com/artdl/artdl)"
ABORT_AFTER = 10  # this many failures before the first success: stop (offline, wrong commit ...)


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


@dataclass
class _Job:
    """The settings that every worker of one :func:`fetch_dataset` call shares."""

    template: str
    max_side: int
    quality: int
    timeout: float
    retries: int
    backoff: float
    dest: Path
    stop: threading.Event = field(default_factory=threading.Event)


def _fetch_file(job: _Job, row: ManifestRow) -> tuple[ManifestRow, str, str | None, int, int]:
    """Download, check, shrink and write one file: ``(row, url, failure or None, bytes in, bytes out)``."""
    url = source_url(job.template, row)
    if job.stop.is_set():
        return row, url, "cancelled", 0, 0
    try:
        data = _download(url, job.timeout, job.retries, job.backoff, job.stop)
    except _Failed as err:
        return row, url, "cancelled" if job.stop.is_set() else str(err), 0, 0
    if len(data) != row.bytes:
        return row, url, f"size mismatch: got {len(data)} bytes, manifest says {row.bytes}", len(data), 0
    digest = hashlib.sha256(data).hexdigest()
    if digest != row.sha256:
        return row, url, f"sha256 mismatch: got {digest}, manifest says {row.sha256}", len(data), 0
    out = shrink_image(data, row.file, job.max_side, job.quality)
    if job.stop.is_set():
        return row, url, "cancelled", len(data), 0
    write_atomic(job.dest / row.file, out)
    return row, url, None, len(data), len(out)


def _run_pool(
    job: _Job,
    todo: Sequence[ManifestRow],
    report: FetchReport,
    workers: int,
    progress: bool,
    on_file: Callable[[ManifestRow], None] | None,
) -> None:
    """Fetch ``todo`` on ``workers`` threads into ``report``; stop early when nothing ever succeeds.

    Work is submitted lazily (at most 2 × workers in flight), so a stop, a Ctrl-C or an offline
    machine leaves little queued work and no half-written file.
    """
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(todo), desc=f"fetch {report.name}", unit="file", disable=not progress, file=sys.stderr
    )
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="artdl-fetch")
    pending: set[Future[Any]] = set()
    queue = iter(todo)

    def top_up() -> None:
        while not job.stop.is_set() and len(pending) < 2 * workers:
            row = next(queue, None)
            if row is None:
                return
            pending.add(pool.submit(_fetch_file, job, row))

    try:
        top_up()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                pending.discard(fut)
                row, url, reason, n_in, n_out = fut.result()  # re-raises a worker's BaseException
                report.downloaded_bytes += n_in
                if reason is None:
                    report.fetched += 1
                    report.written_bytes += n_out
                    if on_file is not None:
                        on_file(row)
                elif reason != "cancelled":
                    report.failures.append((url, reason))
                bar.update(1)
            if report.fetched == 0 and len(report.failures) >= ABORT_AFTER and not job.stop.is_set():
                job.stop.set()
                report.stopped_early = True
            top_up()
    finally:
        job.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()


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
    remove_stale_parts(dest)
    todo = [r for r in rows if not (dest / r.file).is_file()]
    report.present = len(rows) - len(todo)
    if not todo:
        _write_companions(cfg, name, dest)
        report.seconds = time.perf_counter() - started
        return report

    job = _Job(
        template=str(fcfg.url_template or DEFAULT_URL_TEMPLATE),
        max_side=int(fcfg.max_side or 0),
        quality=fcfg.jpeg_quality,
        timeout=fcfg.timeout,
        retries=fcfg.retries,
        backoff=fcfg.backoff,
        dest=dest,
    )
    try:
        _run_pool(job, todo, report, max(1, fcfg.workers), progress, on_file)
    finally:
        report.seconds = time.perf_counter() - started
    if report.fetched or report.present:  # an offline attempt leaves no folder behind
        _write_companions(cfg, name, dest)
    return report


def _write_companions(cfg: Any, name: str, dest: Path) -> None:
    for src, rel in companion_files(cfg, name):
        target = dest / rel
        if not target.exists():
            write_atomic(target, src.read_bytes())


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


def ensure_notebook_data(cfg: Any, notebook: str, progress: bool = True) -> list[str]:
    """Fetch the sets ``notebook`` (e.g. ``"02_classify"``) reads that are not on disk yet, and
    return their names.

    Each notebook's setup cell calls it, so a notebook opened on its own (in Colab, or in Jupyter
    on a clone without the local mirror) gets its data as ``python -m artdl run`` would; a set
    already present costs a look at its files.
    """
    names = datasets_needed(cfg, [notebook])
    ensure_datasets(cfg, names, progress)
    return names


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
        if name in hub_datasets(cfg):  # streamed from the Hugging Face hub, no manifest
            ensure_hub_dataset(cfg, name, progress)
            continue
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
