"""The crawl's files on disk: ``metadata.csv`` (append-only, crash-safe) and image files.

A crawl may be killed at any moment (Ctrl-C, SIGKILL, a lost machine). Images are written to a
hidden ``.<name>.<random>.part`` file and renamed into place, and a CSV row is appended (one ``write`` + fsync)
only after its image is in place, so ``metadata.csv`` never names a missing or half-written image.
``prepare_out`` repairs what a kill can leave: a trailing partial row and stale ``.part`` files.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

from artdl.core import remove_stale_parts, write_atomic
from artdl.crawl.columns import CRAWL_COLUMNS

__all__ = ["append_row", "prepare_out", "read_seen", "safe_name"]


def safe_name(text: str, default: str = "unknown") -> str:
    """A file-system friendly slug (WikiArt ids and slugs are already close to this)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", str(text).strip()).strip("-.").lower()
    return slug[:120] or default


def _row_text(row: dict[str, Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(
        ["" if row.get(c) is None else row.get(c) for c in CRAWL_COLUMNS]
    )
    return buf.getvalue()


def prepare_out(out: Path) -> dict[str, int]:
    """Create ``out`` and a ``metadata.csv`` header; drop a partial last row and stale temp files.

    Returns what was repaired, for the crawl summary.
    """
    out.mkdir(parents=True, exist_ok=True)
    meta = out / "metadata.csv"
    repaired = {"partial_rows_dropped": 0, "stale_temp_files_removed": 0}
    if not meta.exists() or meta.stat().st_size == 0:
        write_atomic(meta, _row_text({c: c for c in CRAWL_COLUMNS}).encode())
    else:
        data = meta.read_bytes()
        if not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(meta, "r+b") as fh:
                fh.truncate(cut)
            repaired["partial_rows_dropped"] = 1
        header = meta.open(newline="").readline().strip().split(",")
        if header != CRAWL_COLUMNS:
            raise ValueError(
                f"{meta} has columns {header}, expected {CRAWL_COLUMNS}. Use a new --out folder "
                f"or move the old file away."
            )
    repaired["stale_temp_files_removed"] = remove_stale_parts(out)
    return repaired


def read_seen(out: Path) -> set[str]:
    """content_ids already in ``metadata.csv`` whose image file exists: a resume skips them."""
    meta = out / "metadata.csv"
    if not meta.is_file():
        return set()
    with open(meta, newline="") as fh:
        return {
            r["content_id"]
            for r in csv.DictReader(fh)
            if r.get("content_id") and (out / r.get("path", "")).is_file()
        }


def append_row(out: Path, row: dict[str, Any]) -> None:
    """Append one complete row to ``metadata.csv`` with a single write, then fsync."""
    text = _row_text(row).encode()
    fd = os.open(out / "metadata.csv", os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, text)
        os.fsync(fd)
    finally:
        os.close(fd)
