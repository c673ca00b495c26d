"""The WikiArt spider: JSON listings -> painting pages -> items with an image URL.

Assumed WikiArt shapes (from public crawlers of the site; WikiArt documents no API for this):

- style listing ``/<lang>/paintings-by-style/<style>?json=2&page=N``:
  ``{"Paintings": [{"id", "title", "year", "width", "height", "artistName", "image", "paintingUrl",
  "artistUrl"}, ...] | null, "AllPaintingsCount": n, "PageSize": 60}``;
- artist listing ``/<lang>/App/Painting/PaintingsByArtist?artistUrl=<artist>&json=2``: a JSON list of
  ``{"contentId", "title", "url", "artistUrl", "artistName", "completitionYear", "yearAsString",
  "width", "height", "image"}``;
- painting page: ``li.dictionary-values`` entries ``<s>Style:</s> ... <a href=".../paintings-by-style/x">``
  and ``<s>Genre:</s>``, ``[itemprop=dateCreated]``, ``og:image``/``og:title``;
- with Selenium, the HTML style page ``/<lang>/paintings-by-style/<style>`` whose list
  (``a.artwork-name`` links) grows with each click on ``.masonry-load-more-button``.

Every field has a fallback, so a change of markup degrades a row (empty genre) instead of
stopping the crawl; all trouble is counted in the stats that end up in ``summary.json``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from artdl.crawl.items import PaintingItem
from artdl.crawl.settings import CrawlOptions
from artdl.crawl.store import read_seen

__all__ = ["WikiArtSpider"]


def _first(d: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        v = d.get(k)
        if v not in (None, ""):
            return v
    return ""


class WikiArtSpider(scrapy.Spider):
    """Crawl the styles and artists of ``options``; at most ``options.limit`` paintings per source."""

    name = "wikiart"

    def __init__(self, options: CrawlOptions, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = options
        self.out = Path(options.out)
        self.seen = read_seen(self.out)  # resume: paintings already on disk
        self.scheduled: set[str] = set()
        self.considered: Counter[str] = Counter()

    # -- requests ----------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.options.base_url}/{self.options.language}/{path.lstrip('/')}"

    def style_listing_url(self, style: str, page: int) -> str:
        return self._url(f"paintings-by-style/{quote(style)}?json=2&page={page}")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        for style in self.options.styles:
            source = {"kind": "style", "slug": style}
            if self.options.selenium:
                yield scrapy.Request(
                    self._url(f"paintings-by-style/{quote(style)}"), callback=self.parse_rendered_listing,
                    errback=self.listing_failed, meta={"selenium": True, "source": source}, dont_filter=True,
                )  # fmt: skip
            else:
                yield scrapy.Request(
                    self.style_listing_url(style, 1), callback=self.parse_style_listing,
                    errback=self.listing_failed, meta={"source": source, "page": 1},
                )  # fmt: skip
        for artist in self.options.artists:
            yield scrapy.Request(
                self._url(f"App/Painting/PaintingsByArtist?artistUrl={quote(artist)}&json=2"),
                callback=self.parse_artist_listing, errback=self.listing_failed,
                meta={"source": {"kind": "artist", "slug": artist}},
            )  # fmt: skip

    # -- listings ----------------------------------------------------------------------------
    def _json(self, response: scrapy.http.Response) -> Any:
        try:
            return json.loads(response.text)
        except (ValueError, AttributeError) as err:
            self.crawler.stats.inc_value("artdl/malformed_json")
            self.logger.warning("malformed JSON listing %s: %s", response.url, err)
            return None

    def _source_full(self, source: dict[str, str]) -> bool:
        return self.considered[source["slug"]] >= int(self.options.limit)

    def _painting_request(self, entry: dict[str, Any], source: dict[str, str]) -> scrapy.Request | None:
        """A request for the painting page, or None when it is done already or over the limit."""
        if self._source_full(source):
            return None
        page_url = _first(entry, "paintingUrl")
        if not page_url and entry.get("url") and entry.get("artistUrl"):
            page_url = f"/{self.options.language}/{str(entry['artistUrl']).strip('/')}/{entry['url']}"
        if not page_url:
            self.crawler.stats.inc_value("artdl/entries_without_page")
            return None
        page_url = self._abs(page_url)
        cid = str(_first(entry, "id", "contentId") or _hash_id(page_url))
        self.considered[source["slug"]] += 1
        if cid in self.seen:
            self.crawler.stats.inc_value("artdl/skipped_already_downloaded")
            return None
        if cid in self.scheduled:
            self.crawler.stats.inc_value("artdl/skipped_listed_twice")
            return None
        self.scheduled.add(cid)
        entry = {**entry, "_cid": cid}
        return scrapy.Request(
            page_url, callback=self.parse_painting, errback=self.painting_failed,
            meta={"listing": entry, "source": source},
        )  # fmt: skip

    def _abs(self, url: str) -> str:
        if url.startswith("http://") or url.startswith("https://"):
            return url
        return f"{self.options.base_url}/{url.lstrip('/')}"

    def parse_style_listing(self, response: scrapy.http.Response) -> Iterator[scrapy.Request]:
        source, page = response.meta["source"], int(response.meta["page"])
        self.crawler.stats.inc_value("artdl/listing_pages")
        data = self._json(response)
        if data is None:
            return
        if not isinstance(data, dict):
            self.crawler.stats.inc_value("artdl/malformed_json")
            self.logger.warning("unexpected listing shape at %s: %s", response.url, type(data).__name__)
            return
        paintings = [p for p in (data.get("Paintings") or []) if isinstance(p, dict)]
        if not paintings:
            if page == 1:
                self.crawler.stats.inc_value("artdl/empty_listings")
                self.logger.warning("empty listing for style %r (%s)", source["slug"], response.url)
            return
        for entry in paintings:
            request = self._painting_request(entry, source)
            if request is not None:
                yield request
        total = int(data.get("AllPaintingsCount") or 0)
        page_size = int(data.get("PageSize") or len(paintings))
        if page * page_size < total and not self._source_full(source):
            yield response.follow(
                self.style_listing_url(source["slug"], page + 1), callback=self.parse_style_listing,
                errback=self.listing_failed, meta={"source": source, "page": page + 1},
            )  # fmt: skip

    def parse_artist_listing(self, response: scrapy.http.Response) -> Iterator[scrapy.Request]:
        source = response.meta["source"]
        self.crawler.stats.inc_value("artdl/listing_pages")
        data = self._json(response)
        if data is None:
            return
        entries = data.get("Paintings") if isinstance(data, dict) else data
        entries = [e for e in (entries or []) if isinstance(e, dict)]
        if not entries:
            self.crawler.stats.inc_value("artdl/empty_listings")
            self.logger.warning("empty listing for artist %r (%s)", source["slug"], response.url)
            return
        for entry in entries:
            request = self._painting_request(entry, source)
            if request is not None:
                yield request

    def parse_rendered_listing(self, response: scrapy.http.Response) -> Iterator[scrapy.Request]:
        """A listing rendered by Selenium: painting links from the "load more" list."""
        source = response.meta["source"]
        self.crawler.stats.inc_value("artdl/listing_pages")
        links = response.css(self.options.selenium_link_selector).getall()
        if not links:
            self.crawler.stats.inc_value("artdl/empty_listings")
            self.logger.warning("no paintings rendered for style %r (%s)", source["slug"], response.url)
            return
        for href in dict.fromkeys(links):
            request = self._painting_request({"paintingUrl": response.urljoin(href)}, source)
            if request is not None:
                yield request

    def listing_failed(self, failure: Any) -> None:
        request = failure.request
        source = request.meta.get("source", {})
        if failure.check(HttpError):
            status = failure.value.response.status
            self.crawler.stats.inc_value("artdl/listing_errors")
            hint = " (unknown slug?)" if status == 404 else ""
            self.logger.warning(
                "listing %s %r: HTTP %s%s", source.get("kind"), source.get("slug"), status, hint
            )
        elif failure.check(IgnoreRequest):
            self.crawler.stats.inc_value("artdl/listing_errors")
            self.logger.warning("listing %s skipped (robots.txt or filtered)", request.url)
        else:
            self.crawler.stats.inc_value("artdl/listing_errors")
            self.logger.warning("listing %s failed: %s", request.url, failure.getErrorMessage())

    # -- painting pages ----------------------------------------------------------------------
    def parse_painting(self, response: scrapy.http.Response) -> Iterator[PaintingItem]:
        entry, source = response.meta["listing"], response.meta["source"]
        facts = _dictionary_values(response)
        style = source["slug"] if source["kind"] == "style" else facts.get("style_slug", "")
        image_url = _first(entry, "image") or response.css('meta[property="og:image"]::attr(content)').get("")
        if not image_url:
            self.crawler.stats.inc_value("artdl/bad_images")
            self.logger.warning("no image on %s", response.url)
            return
        artist_url = _first(entry, "artistUrl") or response.css('[itemprop="creator"] a::attr(href)').get("")
        if artist_url and not artist_url.startswith("http") and not artist_url.startswith("/"):
            artist_url = f"/{self.options.language}/{artist_url}"
        yield PaintingItem(
            content_id=entry["_cid"],
            title=_first(entry, "title")
            or response.css('meta[property="og:title"]::attr(content)').get("").strip(),
            artist=_first(entry, "artistName")
            or (response.css('[itemprop="creator"] [itemprop="name"] a::text').get("") or "").strip(),
            artist_url=self._abs(artist_url) if artist_url else "",
            style=style,
            genre=facts.get("genre", ""),
            date=str(_first(entry, "year", "yearAsString", "completitionYear") or facts.get("date", "")),
            width=_first(entry, "width"),
            height=_first(entry, "height"),
            image_url=self._abs(image_url),
            page_url=response.url,
            path="",
            image_urls=[self._abs(image_url)],
        )

    def painting_failed(self, failure: Any) -> None:
        request = failure.request
        if failure.check(IgnoreRequest):
            self.crawler.stats.inc_value("artdl/pages_blocked_by_robots")
            self.logger.info("painting page %s not fetched (robots.txt)", request.url)
        else:
            self.crawler.stats.inc_value("artdl/page_errors")
            self.logger.warning("painting page %s failed: %s", request.url, failure.getErrorMessage())


def _hash_id(url: str) -> str:
    return "u" + hashlib.sha1(urlsplit(url).path.encode()).hexdigest()[:15]


def _dictionary_values(response: scrapy.http.Response) -> dict[str, str]:
    """Style, genre and date from a WikiArt painting page (empty strings when absent)."""
    out: dict[str, str] = {}
    for li in response.css("li"):
        label = (li.css("s::text").get("") or "").strip().rstrip(":").lower()
        if label == "style":
            href = li.css("a::attr(href)").get("") or ""
            out["style_slug"] = href.rstrip("/").rsplit("/", 1)[-1]
            out["style"] = " ".join(t.strip() for t in li.css("a ::text").getall() if t.strip())
        elif label == "genre":
            out["genre"] = " ".join(t.strip() for t in li.css("a ::text").getall() if t.strip())
        elif label == "date":
            out["date"] = " ".join(t.strip() for t in li.css("span ::text").getall() if t.strip())
    return out
