"""The item a painting becomes: the ``metadata.csv`` columns plus the image pipeline's fields."""

from __future__ import annotations

import scrapy

from artdl.crawl.columns import CRAWL_COLUMNS

__all__ = ["PaintingItem"]


class PaintingItem(scrapy.Item):
    """One painting. ``path`` is filled by the image pipeline (relative to the crawl's out dir)."""

    content_id = scrapy.Field()
    title = scrapy.Field()
    artist = scrapy.Field()
    artist_url = scrapy.Field()
    style = scrapy.Field()
    genre = scrapy.Field()
    date = scrapy.Field()
    width = scrapy.Field()
    height = scrapy.Field()
    image_url = scrapy.Field()
    page_url = scrapy.Field()
    path = scrapy.Field()
    image_urls = scrapy.Field()
    images = scrapy.Field()


assert set(CRAWL_COLUMNS) <= set(PaintingItem.fields), "PaintingItem must carry every metadata.csv column"
