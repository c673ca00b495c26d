"""01 · crawl: Findings from ``results/01_crawl.json`` (a :class:`artdl.crawl.CrawlRecord`: the
crawler's own summary of two runs)."""

from __future__ import annotations

from artdl.crawl import CrawlRecord

RECORD = CrawlRecord


def findings(record: CrawlRecord) -> str:
    """01's Findings: what the first crawl added, what politeness blocked, and what the resumed run skipped."""
    first, second = record.first_run, record.second_run
    site = "the offline fixture site" if record.fixture else record.base_url
    lines = [
        f"- Against {site}, the first run added **{first.new_paintings} paintings** "
        f"({first.images_downloaded} images downloaded, {first.bad_images} rejected as not a "
        f"decodable image) in {first.requests} requests and {first.seconds:.1f} s.",
        f"- Politeness: {first.pages_blocked_by_robots} page(s) under a robots.txt `Disallow` were "
        f"never requested; {first.retries} request(s) were retried after "
        f"{first.http_429} × HTTP 429 and server errors.",
        f"- Resume: the second run added {second.new_paintings} paintings and downloaded "
        f"{second.images_downloaded} images, skipping {second.skipped_already_downloaded} "
        f"already on disk; `metadata.csv` holds {second.total_rows} rows.",
    ]
    if second.new_paintings == 0 and second.images_downloaded <= first.bad_images:
        retried = second.images_downloaded
        again = (
            f" except the {retried} image(s) rejected the first time, which are tried again"
            if retried
            else ""
        )
        lines.append(f"- So a crawl that is stopped and started again fetches nothing twice{again}.")
    return "\n".join(lines)
