"""Crawl WikiArt into ``data/raw/...``: a Scrapy spider, Selenium for JavaScript pages, a fixture site.

``python -m artdl crawl --style impressionism --limit 500 --out data/raw/wikiart`` (see ``cli``), or
from Python ``run_crawl(CrawlOptions(...))``. Scrapy runs in a child process so every crawl gets a
fresh Twisted reactor (a reactor cannot be restarted inside one process, e.g. a notebook kernel).
"""

from artdl.lazy import lazy_attributes

# Imported on first use: the Scrapy child process imports artdl.crawl.spider, items and store,
# and must not pull in pandas through the runner.
_LAZY = {
    "FixtureSite": "artdl.crawl.fixture_site",
    "CrawlResult": "artdl.crawl.runner",
    "crawl_from_config": "artdl.crawl.runner",
    "run_crawl": "artdl.crawl.runner",
    "start_crawl": "artdl.crawl.runner",
    "summary_table": "artdl.crawl.runner",
    "CrawlOptions": "artdl.crawl.settings",
}


__getattr__ = lazy_attributes(
    "artdl.crawl", _LAZY, ("runner", "settings", "fixture_site", "cli", "spider", "store", "items")
)


__all__ = [
    "CrawlOptions",
    "CrawlResult",
    "FixtureSite",
    "crawl_from_config",
    "run_crawl",
    "start_crawl",
    "summary_table",
]
