"""The columns of a crawl's ``metadata.csv``, owned by the crawler that writes them.

This module imports nothing, so the Scrapy child process does not load pandas or PIL through the
data layer; ``artdl.data`` imports the list from here to read a crawl folder.
"""

CRAWL_COLUMNS = [
    "content_id",
    "title",
    "artist",
    "artist_url",
    "style",
    "genre",
    "date",
    "width",
    "height",
    "image_url",
    "page_url",
    "path",
]
