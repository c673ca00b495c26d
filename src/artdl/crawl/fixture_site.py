"""A local imitation of WikiArt, served on 127.0.0.1, for offline crawls and tests.

The crawler must work against the real site, but tests and the offline notebook default cannot
reach it. This server answers the same URLs in the same shapes (as far as we could learn them
from public crawlers of WikiArt; see ``docs`` in the crawl README section), plus the awkward
cases a real crawl meets: a robots.txt ``Disallow``, a 429 that succeeds on retry, a 503 on the first realism listing page, a corrupt
image, a malformed JSON page, an empty listing, an unknown style (404) and a listing that only
renders with JavaScript behind a "Load more" button.

URLs (``<lang>`` is any language code, e.g. ``en``):

- ``/robots.txt``: disallows ``/<lang>/private/`` for every agent.
- ``/<lang>/paintings-by-style/<style>?json=2&page=N``: ``{"Paintings": [...], "AllPaintingsCount": n,
  "PageSize": p}`` with WikiArt's field names (``id, title, year, width, height, artistName, image,
  paintingUrl, artistUrl``). ``empty-style`` gives an empty listing, ``broken-json`` malformed JSON,
  any other unknown style a 404.
- ``/<lang>/App/Painting/PaintingsByArtist?artistUrl=<artist>&json=2``: a JSON list with the
  artist-API field names (``contentId, title, yearAsString, completitionYear, width, height,
  artistName, image``...).
- ``/<lang>/paintings-by-style/<style>`` (no ``json``): an HTML page whose painting list is built by
  JavaScript from the JSON listing, one page per click on ``button.masonry-load-more-button``.
- ``/<lang>/<artist>/<painting>``: a painting page with WikiArt's style/genre/date markup.
- ``/images/...``: JPEG bytes (real paintings from a folder, or generated pictures).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from artdl.crawl.fixture_catalogue import ARTISTS, STYLES, FixturePainting, build_catalogue

__all__ = ["FixtureSite"]

PAGE_SIZE = 10  # paintings per JSON listing page: few, so that a short crawl already pages

_PAINTING_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title} - {artist} - WikiArt.org</title>
<meta property="og:title" content="{title}">
<meta property="og:image" content="{image}">
</head><body>
<div class="wiki-layout-artist-image-wrapper"><img itemprop="image" src="{image}" alt="{title}"></div>
<article data-content-id="{cid}">
<h3>{title}</h3>
<h5 itemprop="creator" itemscope itemtype="https://schema.org/Person">
  <span itemprop="name"><a href="/{lang}/{artist_url}">{artist}</a></span></h5>
<ul>
<li><s>Date:</s><span itemprop="dateCreated">{year}</span></li>
<li class="dictionary-values"><s>Style:</s><span><a href="/{lang}/paintings-by-style/{style}">{style_name}</a></span></li>
<li class="dictionary-values"><s>Genre:</s><span><a href="/{lang}/paintings-by-genre/{genre_slug}"><span itemprop="genre">{genre}</span></a></span></li>
</ul></article></body></html>
"""

_LOAD_MORE_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{style_name} - WikiArt.org</title></head>
<body>
<noscript>This page needs JavaScript.</noscript>
<ul class="wiart-masonry"></ul>
<button class="masonry-load-more-button" style="display:none">Load more</button>
<script>
var page = 0;
function loadMore() {{
  page += 1;
  fetch(location.pathname + "?json=2&page=" + page).then(function (r) {{ return r.json(); }}).then(function (d) {{
    var list = document.querySelector("ul.wiart-masonry");
    (d.Paintings || []).forEach(function (p) {{
      var li = document.createElement("li");
      li.innerHTML = '<a class="artwork-name" href="' + p.paintingUrl + '">' + p.title + '</a>';
      list.appendChild(li);
    }});
    var shown = list.querySelectorAll("li").length;
    var button = document.querySelector("button.masonry-load-more-button");
    button.style.display = (shown < d.AllPaintingsCount && (d.Paintings || []).length) ? "inline" : "none";
    document.body.setAttribute("data-loaded-pages", String(page));
  }});
}}
document.querySelector("button.masonry-load-more-button").addEventListener("click", loadMore);
loadMore();
</script></body></html>
"""


@dataclass
class FixtureSite:
    """The imitation site: ``with FixtureSite() as site: crawl(site.url)``.

    ``requests`` logs every request path (thread-safe), so tests can check what the crawler
    fetched (robots.txt obedience, retries). ``image_delay`` slows image answers so a test can
    kill a crawl half-way.
    """

    per_style: int = 12
    images_dir: str | Path | None = None
    image_delay: float = 0.0
    page_size: int = PAGE_SIZE
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.paintings, self.images = build_catalogue(self.per_style, self.images_dir)
        self._lock = threading.Lock()
        self._flaky_hits = 0
        self._busy_hits = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FixtureSite is not started; use `with FixtureSite() as site:` or .start()")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FixtureSite:
        """Serve on 127.0.0.1 at a free port in a daemon thread."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                site._handle(self)

            def log_message(self, *args: Any) -> None:  # keep test and notebook output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FixtureSite:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- content ---------------------------------------------------------------------------
    def in_style(self, style: str) -> list[FixturePainting]:
        return [p for p in self.paintings if p.style == style]

    def by_artist(self, artist: str) -> list[FixturePainting]:
        return [p for p in self.paintings if p.artist_url == artist]

    def fetched(self, prefix: str) -> list[str]:
        """Logged request paths that start with ``prefix``."""
        with self._lock:
            return [r for r in self.requests if r.startswith(prefix)]

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = parse_qs(parts.query)
        path = parts.path
        with self._lock:
            self.requests.append(h.path)
        segs = [s for s in path.split("/") if s]
        base = self.url
        if path == "/robots.txt":
            return self._send(
                h, 200, "text/plain", b"User-agent: *\nDisallow: /en/private/\nDisallow: /fr/private/\n"
            )
        if segs[:1] == ["images"]:
            name = "/".join(segs[1:])
            if name == "claude-monet/flaky.jpg":
                with self._lock:
                    self._flaky_hits += 1
                    first = self._flaky_hits == 1
                if first:
                    return self._send(h, 429, "text/plain", b"Too Many Requests", {"Retry-After": "0"})
            if name not in self.images:
                return self._send(h, 404, "text/plain", b"not found")
            if self.image_delay:
                threading.Event().wait(self.image_delay)
            return self._send(h, 200, "image/jpeg", self.images[name])
        if len(segs) >= 3 and segs[1] == "paintings-by-style":
            lang, style = segs[0], segs[2]
            if "json" not in query:
                if style not in STYLES:
                    return self._send(h, 404, "text/html", b"<html><body>Not found</body></html>")
                html = _LOAD_MORE_PAGE.format(lang=lang, style_name=STYLES[style])
                return self._send(h, 200, "text/html; charset=utf-8", html.encode())
            if style == "broken-json":
                return self._send(h, 200, "application/json", b'{"Paintings": [{"id": "x", "title": ')
            if style == "empty-style":
                body = {"Paintings": [], "AllPaintingsCount": 0, "PageSize": self.page_size}
                return self._json(h, body)
            if style not in STYLES:
                return self._send(h, 404, "text/html", b"<html><body>Not found</body></html>")
            page = max(1, int(query.get("page", ["1"])[0] or 1))
            if style == "realism" and page == 1:
                with self._lock:
                    self._busy_hits += 1
                    first = self._busy_hits == 1
                if first:  # a server hiccup: retried with backoff
                    return self._send(h, 503, "text/plain", b"Service Unavailable")
            items = self.in_style(style)
            chunk = items[(page - 1) * self.page_size : page * self.page_size]
            body = {
                "Paintings": [p.listing(base, lang) for p in chunk] or None,
                "AllPaintingsCount": len(items),
                "PageSize": self.page_size,
            }
            return self._json(h, body)
        if len(segs) == 4 and segs[1:] == ["App", "Painting", "PaintingsByArtist"]:
            artist = query.get("artistUrl", [""])[0]
            if artist not in ARTISTS:
                return self._json(h, [])
            return self._json(h, [p.artist_listing(base, segs[0]) for p in self.by_artist(artist)])
        if len(segs) == 3:
            lang, page_path = segs[0], "/".join(segs[1:])
            for p in self.paintings:
                if p.page_path == page_path:
                    html = _PAINTING_PAGE.format(
                        lang=lang, title=p.title, artist=ARTISTS[p.artist_url], artist_url=p.artist_url,
                        image=f"{base}/images/{p.image_file}", cid=p.content_id, year=p.year, style=p.style,
                        style_name=STYLES[p.style], genre=p.genre, genre_slug=p.genre.replace(" ", "-"),
                    )  # fmt: skip
                    return self._send(h, 200, "text/html; charset=utf-8", html.encode())
        return self._send(h, 404, "text/html", b"<html><body>Not found</body></html>")

    def _json(self, h: BaseHTTPRequestHandler, body: Any) -> None:
        self._send(h, 200, "application/json; charset=utf-8", json.dumps(body).encode())

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler, status: int, ctype: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client (a killed crawl) went away
            pass
