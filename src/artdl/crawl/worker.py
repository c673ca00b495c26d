"""The child process that runs Scrapy: ``python -m artdl.crawl.worker options.json``.

Kept separate so each crawl gets a fresh Twisted reactor, and so a crawl can be killed without
taking the notebook kernel or the CLI with it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from artdl.core import write_atomic
from artdl.crawl.settings import CrawlOptions, scrapy_settings
from artdl.crawl.store import prepare_out

__all__ = ["crawl", "main"]

SUMMARY_KEYS = {
    "new_paintings": "artdl/new_paintings",
    "skipped_already_downloaded": "artdl/skipped_already_downloaded",
    "skipped_listed_twice": "artdl/skipped_listed_twice",
    "listing_pages": "artdl/listing_pages",
    "listing_errors": "artdl/listing_errors",
    "empty_listings": "artdl/empty_listings",
    "malformed_json": "artdl/malformed_json",
    "bad_images": "artdl/bad_images",
    "page_errors": "artdl/page_errors",
    "pages_blocked_by_robots": "artdl/pages_blocked_by_robots",
    "robots_forbidden_requests": "robotstxt/forbidden",
    "retries": "retry/count",
    "retry_backoff_seconds": "artdl/retry_backoff_seconds",
    "http_429": "downloader/response_status_count/429",
    "selenium_pages": "artdl/selenium_pages",
    "selenium_load_more_clicks": "artdl/selenium_load_more_clicks",
    "requests": "downloader/request_count",
    "images_downloaded": "file_status_count/downloaded",
    "images_already_on_disk": "file_status_count/uptodate",
}


def crawl(opts: CrawlOptions) -> dict[str, object]:
    """Run one crawl in this process (its reactor cannot be reused) and write ``summary.json``."""
    from scrapy.crawler import CrawlerProcess

    from artdl.crawl.spider import WikiArtSpider

    out = Path(opts.out).resolve()
    opts.out = str(out)
    repaired = prepare_out(out)
    process = CrawlerProcess(scrapy_settings(opts, out), install_root_handler=True)
    crawler = process.create_crawler(WikiArtSpider)
    started = time.time()
    process.crawl(crawler, options=opts)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    with open(out / "metadata.csv", newline="") as fh:
        rows = max(0, sum(1 for _ in fh) - 1)
    summary: dict[str, object] = {}
    for key, stat in SUMMARY_KEYS.items():
        value = stats.get(stat, 0) or 0
        summary[key] = round(value, 2) if isinstance(value, float) else int(value)
    summary.update(repaired)
    summary.update(
        finish_reason=str(stats.get("finish_reason", "unknown")),
        total_rows=rows,
        seconds=round(time.time() - started, 2),
        base_url=opts.base_url,
        styles=opts.styles,
        artists=opts.artists,
        selenium=opts.selenium,
    )
    write_atomic(out / "summary.json", json.dumps(summary, indent=1).encode())
    return summary


def main(argv: list[str] | None = None) -> int:
    """The child process's entry: options as JSON in ``argv[0]``; exit 1 when the crawl did not finish."""
    argv = sys.argv[1:] if argv is None else argv
    summary = crawl(CrawlOptions.from_json(argv[0]))
    return 0 if summary["finish_reason"] == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
