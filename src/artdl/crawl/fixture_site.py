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

import io
import json
import random
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FixturePainting", "FixtureSite", "build_catalogue"]

STYLES = {"impressionism": "Impressionism", "realism": "Realism"}
ARTISTS = {"claude-monet": "Claude Monet", "berthe-morisot": "Berthe Morisot"}
GENRES = ["landscape", "portrait", "genre painting", "marina", "still life"]
PAGE_SIZE = 10
CORRUPT_ID = "fx-corrupt"
FLAKY_ID = "fx-flaky"
PRIVATE_ID = "fx-private"


@dataclass
class FixturePainting:
    """One painting of the imitation site."""

    content_id: str
    title: str
    artist_url: str
    style: str
    genre: str
    year: int
    width: int
    height: int
    image_file: str  # name under /images/
    page_path: str  # /<lang>/... without the language prefix, e.g. "claude-monet/some-title"

    def listing(self, base: str, lang: str) -> dict[str, Any]:
        return {
            "id": self.content_id,
            "title": self.title,
            "year": str(self.year),
            "width": self.width,
            "height": self.height,
            "artistName": ARTISTS[self.artist_url],
            "image": f"{base}/images/{self.image_file}",
            "paintingUrl": f"/{lang}/{self.page_path}",
            "artistUrl": f"/{lang}/{self.artist_url}",
            "albums": None,
            "flags": 2,
            "images": None,
        }

    def artist_listing(self, base: str, lang: str) -> dict[str, Any]:
        return {
            "contentId": self.content_id,
            "title": self.title,
            "url": self.page_path.split("/", 1)[1],
            "artistUrl": self.artist_url,
            "artistName": ARTISTS[self.artist_url],
            "completitionYear": self.year,
            "yearAsString": str(self.year),
            "width": self.width,
            "height": self.height,
            "image": f"{base}/images/{self.image_file}",
        }


def safe_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "untitled"


def _generated_jpeg(seed: int, size: tuple[int, int] = (160, 120)) -> bytes:
    """A small picture with coloured shapes, for when no real paintings are at hand."""
    from PIL import Image, ImageDraw  # here, not at the top: the Scrapy child imports no PIL
    rng = random.Random(seed)
    im = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        x1, y1 = x0 + rng.randrange(20, 80), y0 + rng.randrange(20, 60)
        draw.ellipse((x0, y0, x1, y1), fill=tuple(rng.randrange(256) for _ in range(3)))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _shrunk_jpeg(path: Path, max_side: int = 320) -> bytes:
    from PIL import Image  # here, not at the top: the Scrapy child imports no PIL
    with Image.open(path) as im:
        im = im.convert("RGB")
        im.thumbnail((max_side, max_side))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def build_catalogue(
    per_style: int = 12, images_dir: str | Path | None = None
) -> tuple[list[FixturePainting], dict[str, bytes]]:
    """Paintings per style plus the three trouble-makers (corrupt, flaky, robots-disallowed).

    Real JPEGs are taken from ``images_dir`` (e.g. the shared ``wikiart_impressionists`` set, one
    sub-folder per artist) when it exists, so the notebook's grid shows paintings; otherwise small
    pictures are generated. The catalogue is deterministic for a given input.
    """
    from PIL import Image  # here, not at the top: the Scrapy child imports no PIL
    files: list[Path] = []
    if images_dir is not None and Path(images_dir).is_dir():
        files = sorted(
            p for p in Path(images_dir).rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"}
        )
    by_folder: dict[str, list[Path]] = {}
    for f in files:
        by_folder.setdefault(f.parent.name, []).append(f)
    groups = list(by_folder.values())  # alternate between artists (folders)
    paintings: list[FixturePainting] = []
    images: dict[str, bytes] = {}
    rng = random.Random(0)
    n = 0
    artists = list(ARTISTS)
    for style in STYLES:
        for i in range(per_style):
            artist = artists[i % len(artists)]
            source = (
                groups[n % len(groups)][(n // len(groups)) * 7 % len(groups[n % len(groups)])]
                if files
                else None
            )
            if source is not None and source.parent.name in ARTISTS:
                artist = source.parent.name
            title = f"{STYLES[style]} study {i + 1}"
            if source is not None and source.stem.startswith(artist + "-"):
                title = source.stem[len(artist) + 1 :].replace("-", " ").capitalize()
            slug = f"{safe_slug(title)}-{n + 1}"
            cid = f"fx{n + 1:05d}"
            image_file = f"{artist}/{slug}.jpg!Large.jpg"
            images[image_file] = _shrunk_jpeg(source) if source is not None else _generated_jpeg(n)
            with Image.open(io.BytesIO(images[image_file])) as im:
                w, h = im.size
            paintings.append(
                FixturePainting(
                    content_id=cid,
                    title=title,
                    artist_url=artist,
                    style=style,
                    genre=GENRES[rng.randrange(len(GENRES))],
                    year=1865 + rng.randrange(40),
                    width=w,
                    height=h,
                    image_file=image_file,
                    page_path=f"{artist}/{slug}",
                )
            )
            n += 1
    # Trouble-makers, all listed under impressionism by claude-monet.
    extra = [
        (CORRUPT_ID, "A corrupt image", "claude-monet/corrupt-image", "claude-monet/corrupt.jpg"),
        (FLAKY_ID, "Rate limited once", "claude-monet/rate-limited", "claude-monet/flaky.jpg"),
        (PRIVATE_ID, "Behind robots.txt", "private/hidden-painting", "claude-monet/private.jpg"),
    ]
    for k, (cid, title, page, image_file) in enumerate(extra):
        paintings.insert(
            1 + 3 * k,  # early in the impressionism listing, so small crawls meet them
            FixturePainting(
                cid, title, "claude-monet", "impressionism", "landscape", 1874, 160, 120, image_file, page
            ),  # fmt: skip
        )
    images["claude-monet/corrupt.jpg"] = b"\xff\xd8\xff\xe0 this is not really a JPEG " * 20
    images["claude-monet/flaky.jpg"] = _generated_jpeg(999)
    images["claude-monet/private.jpg"] = _generated_jpeg(998)
    return paintings, images


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
