"""Crawl WikiArt into ``data/raw/...``: a Scrapy spider, Selenium for JavaScript pages, a fixture site.

``python -m artdl crawl --style impressionism --limit 500 --out data/raw/wikiart`` (see ``cli``), or
from Python ``run_crawl(CrawlOptions(...))``. Scrapy runs in a child process so every crawl gets a
fresh Twisted reactor (a reactor cannot be restarted inside one process, e.g. a notebook kernel).
"""

from artdl.crawl.fixture_site import FixtureSite
from artdl.crawl.runner import CrawlResult, crawl_from_config, run_crawl, start_crawl, summary_table
from artdl.crawl.settings import CrawlOptions

__all__ = [
    "CrawlOptions",
    "CrawlResult",
    "FixtureSite",
    "crawl_from_config",
    "run_crawl",
    "start_crawl",
    "summary_table",
]
