"""Item pipelines: download images atomically, then append the painting to ``metadata.csv``."""

from __future__ import annotations

from io import BytesIO
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar

from scrapy.exceptions import DropItem
from scrapy.pipelines.files import FSFilesStore
from scrapy.pipelines.images import ImagesPipeline

from artdl.core import write_atomic
from artdl.crawl.store import append_row, read_seen, safe_name

__all__ = ["AtomicFSFilesStore", "AtomicImagesPipeline", "MetadataCsvPipeline"]


class AtomicFSFilesStore(FSFilesStore):
    """Scrapy's file store, but a killed crawl never leaves a half-written image at its final path."""

    def persist_file(
        self,
        path: str | PathLike[str],
        buf: BytesIO,
        info: Any,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        write_atomic(Path(self._get_filesystem_path(path)), buf.getvalue())


class AtomicImagesPipeline(ImagesPipeline):
    """ImagesPipeline (Pillow checks and re-encodes every image as JPEG, so a corrupt download
    fails here) with readable paths ``images/<style>/<content_id>.jpg`` and atomic writes."""

    STORE_SCHEMES: ClassVar[dict[str, Any]] = {
        **ImagesPipeline.STORE_SCHEMES,
        "": AtomicFSFilesStore,
        "file": AtomicFSFilesStore,
    }

    def file_path(self, request: Any, response: Any = None, info: Any = None, *, item: Any = None) -> str:
        style = safe_name((item or {}).get("style") or "unknown")
        return f"images/{style}/{safe_name((item or {}).get('content_id') or request.url)}.jpg"


class MetadataCsvPipeline:
    """Append a row per painting whose image is on disk; count and drop the rest (bad images)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.written: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> MetadataCsvPipeline:
        pipe = cls(Path(crawler.settings["IMAGES_STORE"]))
        pipe.crawler = crawler
        return pipe

    def open_spider(self, spider: Any = None) -> None:
        self.written = read_seen(self.out)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        stats = self.crawler.stats
        images = item.get("images") or []
        if not images:
            stats.inc_value("artdl/bad_images")
            raise DropItem(f"no usable image for {item.get('page_url')} ({item.get('image_url')})")
        if item["content_id"] in self.written:
            stats.inc_value("artdl/duplicates_dropped")
            raise DropItem(f"duplicate painting {item['content_id']}")
        item["path"] = images[0]["path"]
        append_row(self.out, dict(item))
        self.written.add(item["content_id"])
        stats.inc_value("artdl/new_paintings")
        return item
