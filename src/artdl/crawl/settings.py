"""Crawl options and the Scrapy settings they turn into.

One dataclass holds everything a crawl needs, so the CLI, the notebook (via the ``crawl:`` config
section) and the tests configure a crawl the same way, and the options travel to the Scrapy
child process as one JSON file.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["FIXTURE", "POLITE_FLOOR", "CrawlOptions", "is_loopback", "polite_options", "scrapy_settings"]

FIXTURE = "fixture"  # base_url value meaning "start the local fixture site"
DEFAULT_USER_AGENT = (
    "artdl/0.1 (research crawler for the artdl paintings project; +https://github.com/artdl/artdl)"
)


@dataclass
class CrawlOptions:
    """What to crawl, where to write it, and how politely."""

    base_url: str = "https://www.wikiart.org"
    styles: list[str] = field(default_factory=list)
    artists: list[str] = field(default_factory=list)
    language: str = "en"
    limit: int = 100  # paintings per style/artist, counting ones already downloaded (so resume works)
    out: str = "data/raw/wikiart"
    download_delay: float = 1.0  # seconds between requests to one site (randomised 0.5x-1.5x)
    concurrency: int = 4  # concurrent requests per site
    autothrottle: bool = True
    autothrottle_start_delay: float = 5.0
    autothrottle_max_delay: float = 60.0
    autothrottle_target_concurrency: float = 1.0
    user_agent: str = DEFAULT_USER_AGENT
    retries: int = 3
    retry_backoff: float = 2.0  # first wait in seconds before a retry, doubled each time (or Retry-After)
    retry_backoff_max: float = 60.0
    download_timeout: float = 30.0
    selenium: bool = False  # render style listings with headless Chromium ("load more" pages)
    chromium: str = "/usr/bin/chromium"
    chromedriver: str = "/usr/bin/chromedriver"
    selenium_wait: float = 10.0  # seconds to wait for JavaScript content
    selenium_max_clicks: int = 50  # "load more" clicks per listing page
    selenium_item_selector: str = "ul.wiart-masonry li"  # CSS: one painting of a rendered listing
    selenium_link_selector: str = "a.artwork-name::attr(href)"  # CSS: its painting-page link
    selenium_button_selector: str = "button.masonry-load-more-button"  # CSS: the "load more" button
    jobdir: str = ""  # Scrapy JOBDIR for pausing/resuming the request queue ("" = off)
    timeout: float = 3600.0  # seconds for the whole crawl process
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        self.styles = [str(s) for s in (self.styles or [])]
        self.artists = [str(a) for a in (self.artists or [])]
        if not self.styles and not self.artists:
            raise ValueError("Nothing to crawl: give at least one style (--style impressionism) or artist.")
        if int(self.limit) < 1:
            raise ValueError(f"limit must be >= 1, got {self.limit}")
        self.base_url = str(self.base_url).rstrip("/")

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> CrawlOptions:
        """Options from a plain dict (e.g. the ``crawl:`` config section); unknown keys are errors."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"Unknown crawl option(s) {unknown}; known: {sorted(names)}")
        return cls(**values)

    def to_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def from_json(cls, path: str | Path) -> CrawlOptions:
        return cls(**json.loads(Path(path).read_text()))


# The least politeness a crawl of somebody else's site gets, whatever the config says: the
# default config is tuned for the loopback fixture site (no delay, 4 at a time), and a reader who
# only changes base_url must not hit a real server with it.
POLITE_FLOOR = {
    "download_delay": 1.0,
    "concurrency": 2,
    "autothrottle_start_delay": 1.0,
    "retry_backoff": 1.0,
}


def is_loopback(base_url: str) -> bool:
    """Whether a crawl stays on this machine: the fixture site, ``localhost`` or a loopback IP."""
    if base_url == FIXTURE:
        return True
    host = urlsplit(base_url if "//" in base_url else f"//{base_url}").hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def polite_options(opts: CrawlOptions) -> tuple[CrawlOptions, list[str]]:
    """``opts`` raised to :data:`POLITE_FLOOR` (and AutoThrottle on) for a site that is not loopback.

    Returns the options and one line per setting it raised, so the caller can say what it did;
    a loopback crawl comes back unchanged with no lines.
    """
    if is_loopback(opts.base_url):
        return opts, []
    changes: dict[str, Any] = {}
    for name in ("download_delay", "autothrottle_start_delay", "retry_backoff"):
        if float(getattr(opts, name)) < POLITE_FLOOR[name]:
            changes[name] = POLITE_FLOOR[name]
    if int(opts.concurrency) > POLITE_FLOOR["concurrency"]:
        changes["concurrency"] = POLITE_FLOOR["concurrency"]
    if float(opts.autothrottle_target_concurrency) > POLITE_FLOOR["concurrency"]:
        changes["autothrottle_target_concurrency"] = float(POLITE_FLOOR["concurrency"])
    if not opts.autothrottle:
        changes["autothrottle"] = True
    lines = [f"{name}: {getattr(opts, name)} -> {value}" for name, value in changes.items()]
    return replace(opts, **changes), lines


def scrapy_settings(opts: CrawlOptions, out: Path) -> dict[str, Any]:
    """Scrapy settings for a polite crawl: robots.txt, AutoThrottle, delays, retries with backoff.

    A site that is not loopback always gets :func:`polite_options` first (robots.txt is obeyed
    for every site), so the floor holds even for options that never went through the runner.
    """
    opts, _ = polite_options(opts)
    middlewares: dict[str, int | None] = {
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "artdl.crawl.middlewares.BackoffRetryMiddleware": 550,
    }
    if opts.selenium:
        middlewares["artdl.crawl.middlewares.SeleniumMiddleware"] = 950
    settings: dict[str, Any] = {
        "BOT_NAME": "artdl",
        "USER_AGENT": opts.user_agent,
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": opts.user_agent,
        "DOWNLOAD_DELAY": float(opts.download_delay),
        "DOWNLOAD_DELAY_JITTER": 0.5,  # wait 0.5x-1.5x the delay, so requests do not come in lockstep
        "CONCURRENT_REQUESTS": max(2, 2 * int(opts.concurrency)),
        "CONCURRENT_REQUESTS_PER_DOMAIN": int(opts.concurrency),
        "AUTOTHROTTLE_ENABLED": bool(opts.autothrottle),
        "AUTOTHROTTLE_START_DELAY": float(opts.autothrottle_start_delay),
        "AUTOTHROTTLE_MAX_DELAY": float(opts.autothrottle_max_delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(opts.autothrottle_target_concurrency),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": int(opts.retries),
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
        "ARTDL_RETRY_BACKOFF": float(opts.retry_backoff),
        "ARTDL_RETRY_BACKOFF_MAX": float(opts.retry_backoff_max),
        "DOWNLOAD_TIMEOUT": float(opts.download_timeout),
        "DOWNLOADER_MIDDLEWARES": middlewares,
        "ARTDL_SELENIUM": {
            "chromium": opts.chromium,
            "chromedriver": opts.chromedriver,
            "wait": opts.selenium_wait,
            "max_clicks": opts.selenium_max_clicks,
            "item_selector": opts.selenium_item_selector,
            "button_selector": opts.selenium_button_selector,
        },
        "ITEM_PIPELINES": {
            "artdl.crawl.pipelines.AtomicImagesPipeline": 300,
            "artdl.crawl.pipelines.MetadataCsvPipeline": 800,
        },
        "IMAGES_STORE": str(out),
        "IMAGES_URLS_FIELD": "image_urls",
        "IMAGES_RESULT_FIELD": "images",
        "MEDIA_ALLOW_REDIRECTS": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": opts.log_level,
        "LOG_FILE": str(out / "crawl.log"),
        "LOG_FILE_APPEND": False,
    }
    if opts.jobdir:
        settings["JOBDIR"] = opts.jobdir
    return settings
