"""Crawl WikiArt into ``data/raw/...``: a Scrapy spider, Selenium for JavaScript pages, a fixture site.

``python -m artdl crawl --style impressionism --limit 500 --out data/raw/wikiart`` (see ``cli``), or
from Python ``run_crawl(CrawlOptions(...))``. Scrapy runs in a child process so every crawl gets a
fresh Twisted reactor (a reactor cannot be restarted inside one process, e.g. a notebook kernel).

The package's API is the runner side (options, the fixture site, starting and summarising a crawl),
which imports no Scrapy: the child process imports :mod:`artdl.crawl.worker` and its spider,
middlewares and pipelines by their module paths, as Scrapy's settings name them.
"""

from __future__ import annotations

from artdl.crawl.fixture_site import FixtureSite
from artdl.crawl.record import (
    CrawlRecord,
    CrawlRun,
    crawl_record,
    crawl_run,
)
from artdl.crawl.runner import (
    CrawlError,
    CrawlResult,
    crawl_from_config,
    run_crawl,
    start_crawl,
    summary_table,
)
from artdl.crawl.settings import POLITE_FLOOR, CrawlOptions, is_loopback, polite_options

__all__ = [
    "CrawlError",
    "CrawlOptions",
    "CrawlRecord",
    "CrawlResult",
    "CrawlRun",
    "FixtureSite",
    "POLITE_FLOOR",
    "crawl_from_config",
    "crawl_record",
    "crawl_run",
    "is_loopback",
    "polite_options",
    "run_crawl",
    "start_crawl",
    "summary_table",
]
