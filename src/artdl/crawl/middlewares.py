"""Downloader middlewares: retries with exponential backoff, and Selenium for JavaScript pages."""

from __future__ import annotations

import logging
import threading
from typing import Any

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import HtmlResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor, task, threads

__all__ = ["BackoffRetryMiddleware", "SeleniumMiddleware", "make_driver", "render_with_load_more"]

log = logging.getLogger(__name__)


async def _sleep(seconds: float) -> None:
    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (429, 5xx, timeouts) that waits before each retry.

    The wait is ``Retry-After`` when the server sends one, else ``backoff * 2**attempt`` seconds,
    capped. Waiting here instead of retrying at once is what a rate-limited server asks for.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("ARTDL_RETRY_BACKOFF", 2.0)
        self.backoff_max = settings.getfloat("ARTDL_RETRY_BACKOFF_MAX", 60.0)

    def delay(self, attempt: int, retry_after: bytes | None = None) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if retry_after:
            try:
                return min(float(retry_after.decode().strip()), self.backoff_max)
            except ValueError:
                pass  # an HTTP date: fall back to exponential backoff
        return min(self.backoff * (2**attempt), self.backoff_max)

    async def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        attempt = int(request.meta.get("retry_times", 0))
        if attempt < int(request.meta.get("max_retry_times", self.max_retry_times)):
            wait = self.delay(attempt, response.headers.get("Retry-After"))
            self.crawler.stats.inc_value("artdl/retry_backoff_seconds", wait)
            if wait > 0:
                await _sleep(wait)
        return self._retry(request, f"HTTP {response.status}") or response

    async def process_exception(self, request: Any, exception: Exception, spider: Any = None) -> Any:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        attempt = int(request.meta.get("retry_times", 0))
        if attempt < int(request.meta.get("max_retry_times", self.max_retry_times)):
            await _sleep(self.delay(attempt))
        return self._retry(request, exception)


def make_driver(chromium: str = "/usr/bin/chromium", chromedriver: str = "/usr/bin/chromedriver",
                user_agent: str | None = None) -> Any:  # fmt: skip
    """Headless Chromium through the system chromedriver (no webdriver-manager downloads)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1280,2000",
    ):  # fmt: skip
        options.add_argument(flag)
    if user_agent:
        options.add_argument(f"--user-agent={user_agent}")
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def render_with_load_more(
    driver: Any,
    url: str,
    item_selector: str = "ul.wiart-masonry li",
    button_selector: str = "button.masonry-load-more-button",
    wait: float = 10.0,
    max_clicks: int = 50,
) -> tuple[str, int]:
    """Open ``url``, click "load more" until it disappears (or ``max_clicks``); return (HTML, clicks).

    After each click we wait until more items are shown, so the HTML holds every loaded page.
    """
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def count() -> int:
        return len(driver.find_elements(By.CSS_SELECTOR, item_selector))

    def button_visible() -> bool:
        buttons = driver.find_elements(By.CSS_SELECTOR, button_selector)
        return bool(buttons) and buttons[0].is_displayed()

    driver.get(url)
    try:
        WebDriverWait(driver, wait).until(lambda d: count() > 0 or button_visible())
    except TimeoutException:
        return driver.page_source, 0  # an empty listing: the spider logs and counts it
    clicks = 0
    while clicks < max_clicks and button_visible():
        before = count()
        try:
            driver.find_element(By.CSS_SELECTOR, button_selector).click()
            WebDriverWait(driver, wait).until(
                lambda d, before=before: count() > before or not button_visible()
            )
        except (TimeoutException, WebDriverException) as err:
            log.warning("load more on %s stopped after %d clicks: %s", url, clicks, type(err).__name__)
            break
        clicks += 1
    return driver.page_source, clicks


class SeleniumMiddleware:
    """Render requests with ``meta["selenium"] = True`` in headless Chromium.

    Turned on with the ``selenium`` crawl option. The browser starts on first use, runs in a thread
    (so Scrapy's other downloads go on) and quits when the spider closes. robots.txt is still
    checked first: RobotsTxtMiddleware runs before this one.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.opts = dict(crawler.settings.getdict("ARTDL_SELENIUM"))
        self.user_agent = crawler.settings.get("USER_AGENT")
        self.driver: Any = None
        self._lock = threading.Lock()  # one browser, one page at a time
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SeleniumMiddleware:
        return cls(crawler)

    def _render(self, url: str) -> tuple[str, int]:
        with self._lock:
            if self.driver is None:
                self.driver = make_driver(self.opts["chromium"], self.opts["chromedriver"], self.user_agent)
            return render_with_load_more(
                self.driver,
                url,
                item_selector=self.opts["item_selector"],
                button_selector=self.opts["button_selector"],
                wait=float(self.opts["wait"]),
                max_clicks=int(self.opts["max_clicks"]),
            )

    async def process_request(self, request: Any, spider: Any = None) -> Any:
        if not request.meta.get("selenium"):
            return None
        html, clicks = await maybe_deferred_to_future(threads.deferToThread(self._render, request.url))
        self.crawler.stats.inc_value("artdl/selenium_pages")
        self.crawler.stats.inc_value("artdl/selenium_load_more_clicks", clicks)
        return HtmlResponse(request.url, body=html.encode("utf-8"), encoding="utf-8", request=request)

    def close(self, *args: Any, **kwargs: Any) -> None:
        if self.driver is not None:
            try:
                self.driver.quit()
            finally:
                self.driver = None
