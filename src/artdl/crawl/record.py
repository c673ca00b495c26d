"""01's results record: the crawler's own summary of two runs against the same site.

The second run is the resume check (it should fetch nothing twice), so the record keeps both.
Built by :func:`crawl_record` from two :class:`artdl.crawl.CrawlResult` objects and read by
:mod:`artdl.report.crawl`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from artdl.core import Provenance, Record

__all__ = ["CrawlRecord", "CrawlRun", "crawl_record", "crawl_run"]


@dataclass(kw_only=True)
class CrawlRun:
    """One crawl's ``summary.json`` (written by :mod:`artdl.crawl.worker`): Scrapy's counters."""

    new_paintings: int = 0
    skipped_already_downloaded: int = 0
    skipped_listed_twice: int = 0
    listing_pages: int = 0
    listing_errors: int = 0
    empty_listings: int = 0
    malformed_json: int = 0
    bad_images: int = 0
    page_errors: int = 0
    pages_blocked_by_robots: int = 0
    robots_forbidden_requests: int = 0
    retries: int = 0
    retry_backoff_seconds: float = 0.0
    http_429: int = 0
    selenium_pages: int = 0
    selenium_load_more_clicks: int = 0
    requests: int = 0
    images_downloaded: int = 0
    images_already_on_disk: int = 0
    partial_rows_dropped: int = 0
    stale_temp_files_removed: int = 0
    finish_reason: str = "unknown"
    total_rows: int = 0
    seconds: float = 0.0
    base_url: str = ""
    styles: list[str] = field(default_factory=list)
    artists: list[str] = field(default_factory=list)
    selenium: bool = False


def crawl_run(summary: Mapping[str, Any]) -> CrawlRun:
    """A :class:`CrawlRun` from a crawl's summary dict (keys it does not know are left out)."""
    known = {f.name for f in fields(CrawlRun)}
    return CrawlRun(**{k: v for k, v in summary.items() if k in known})


@dataclass(kw_only=True)
class CrawlRecord(Record):
    """01's results: the fixture or real site crawled, and the first and the resumed run, for its Findings."""

    NOTEBOOK = "01_crawl"
    SCHEMA_VERSION = 1
    SECTIONS = ("crawl",)

    fixture: bool
    base_url: str
    first_run: CrawlRun
    second_run: CrawlRun


def crawl_record(first: Any, second: Any) -> CrawlRecord:
    """01's record of a first crawl and its resume (two :class:`artdl.crawl.CrawlResult`)."""
    base_url = str(first.summary["base_url"])
    return CrawlRecord(
        provenance=Provenance(dataset=base_url, split="all"),
        fixture=base_url.startswith("fixture"),
        base_url=base_url,
        first_run=crawl_run(first.summary),
        second_run=crawl_run(second.summary),
    )
