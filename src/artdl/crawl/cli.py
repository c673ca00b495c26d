"""``python -m artdl crawl``: crawl WikiArt styles/artists into a folder that ``artdl.data`` reads.

Defaults come from the ``crawl:`` section of the config (``--config full`` for the real-crawl
settings); flags override them. ``--base-url fixture`` crawls the local imitation site offline.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m artdl crawl`` options; a function so the tests and ``--help`` read the same parser."""
    p = argparse.ArgumentParser(
        prog="python -m artdl crawl",
        description="Crawl WikiArt paintings (Scrapy; Selenium for JavaScript listings). Polite by default: "
        "robots.txt, AutoThrottle, a delay, retries with backoff, a User-Agent naming artdl.",
    )
    p.add_argument("--style", action="append", default=[], metavar="SLUG",
                   help="WikiArt style slug, e.g. impressionism (repeatable)")  # fmt: skip
    p.add_argument("--artist", action="append", default=[], metavar="SLUG",
                   help="WikiArt artist slug, e.g. claude-monet (repeatable)")  # fmt: skip
    p.add_argument("--language", help="site language in URLs (en, fr, de, ...)")
    p.add_argument("--limit", type=int, help="paintings per style/artist (already downloaded ones count)")
    p.add_argument("--out", help="output folder (metadata.csv, images/, summary.json, crawl.log)")
    p.add_argument("--base-url", help="https://www.wikiart.org (default in full config) or 'fixture'")
    p.add_argument("--delay", type=float, help="download delay in seconds")
    p.add_argument("--concurrency", type=int, help="concurrent requests per site")
    p.add_argument("--retries", type=int, help="retries for 429/5xx/timeouts (with backoff)")
    p.add_argument("--selenium", action="store_true", default=None,
                   help="render style listings in headless Chromium and click 'load more'")  # fmt: skip
    p.add_argument("--jobdir", help="Scrapy JOBDIR to persist the request queue")
    p.add_argument("--timeout", type=float, help="seconds for the whole crawl")
    p.add_argument("--config", default="full", help="config supplying the defaults (default: full)")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. crawl.limit=50")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run a crawl and print its summary; 0 when it finished, 1 when it stopped early, 2 on bad input."""
    from artdl.core import ConfigKeyError, load_config
    from artdl.crawl.runner import CrawlError, crawl_from_config, summary_table

    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        cfg = load_config(args.config, args.overrides)
        flags = {
            "styles": args.style or None, "artists": args.artist or None, "language": args.language,
            "limit": args.limit, "out": args.out, "download_delay": args.delay,
            "concurrency": args.concurrency, "retries": args.retries, "selenium": args.selenium,
            "jobdir": args.jobdir, "timeout": args.timeout,
        }  # fmt: skip
        if args.style or args.artist:  # sources given on the command line replace the config's
            flags["styles"], flags["artists"] = list(args.style), list(args.artist)
        result = crawl_from_config(
            cfg, base_url=args.base_url, **{k: v for k, v in flags.items() if v is not None}
        )
    except (ConfigKeyError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except CrawlError as err:
        print(f"crawl failed: {err}", file=sys.stderr)
        return 1
    print(summary_table(result.summary).to_string())
    print(f"\n{len(result.metadata)} paintings in {result.out / 'metadata.csv'}")
    return 0 if result.summary.get("finish_reason") == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
