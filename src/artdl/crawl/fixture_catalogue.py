"""What the fixture site (:mod:`artdl.crawl.fixture_site`) serves: its paintings and their JPEGs.

A deterministic catalogue of two styles by two artists, built from real paintings when a folder of
them is at hand (so 01's grid shows paintings) or from generated pictures, plus three trouble-makers
a real crawl meets: a corrupt image, an image rate-limited once, and a page behind robots.txt.
Kept apart from the server so each reads top to bottom: this is the content, the site the answers.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FixturePainting", "build_catalogue"]

STYLES = {"impressionism": "Impressionism", "realism": "Realism"}
ARTISTS = {"claude-monet": "Claude Monet", "berthe-morisot": "Berthe Morisot"}
GENRES = ["landscape", "portrait", "genre painting", "marina", "still life"]
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


def _wikiart_slug(text: str) -> str:
    """A title as WikiArt spells it in a painting's URL: lower-case letters, digits and hyphens.

    Not :func:`artdl.crawl.store.safe_name`, which keeps dots and underscores in the crawler's file
    names: this imitates the site's URLs, so the crawler meets the slugs it would meet there."""
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
            slug = f"{_wikiart_slug(title)}-{n + 1}"
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
