"""``python -m artdl data fetch [NAME ...]`` | ``data where`` | ``data table``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from artdl.core import project_root, resolve
from artdl.data import DataError, dataset_location
from artdl.data.fetch import (
    FetchReport,
    HubFetchReport,
    fetch_dataset,
    fetch_hub_dataset,
    hub_datasets,
    shipped_datasets,
)
from artdl.report.data import data_table_markdown


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m artdl data fetch [NAME ...]`` | ``data where`` | ``data table``."""
    from artdl.core import load_config

    parser = argparse.ArgumentParser(prog="python -m artdl data", description="the painting data sets")
    sub = parser.add_subparsers(dest="action", required=True)
    p_fetch = sub.add_parser(
        "fetch",
        help="download missing files of the named sets (default: all shipped; a hub set such as "
        "wikiart_full, about 2 GB, only when named)",
    )
    p_fetch.add_argument("names", nargs="*", metavar="NAME|key=value")
    p_fetch.add_argument("--dest", help="write here instead of data/raw/<name> (one set only)")
    p_where = sub.add_parser("where", help="print where each data set is found")
    p_where.add_argument("names", nargs="*", metavar="NAME|key=value")
    p_table = sub.add_parser("table", help="print the Markdown table of the shipped sets")
    p_table.add_argument("names", nargs="*", metavar="key=value")
    for p in (p_fetch, p_where, p_table):
        p.add_argument("--config", default="default", help="config name in configs/ or a YAML path")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    overrides = [n for n in args.names if "=" in n]
    names = [n for n in args.names if "=" not in n]
    cfg = load_config(args.config, overrides)

    if args.action == "table":
        print(data_table_markdown(cfg, args.config), end="")
        return 0
    if args.action == "where":
        for name in names or list(cfg.datasets.keys()):
            base = str(cfg.datasets[name].get("subset_of") or "") if name in cfg.datasets else ""
            kind, path = dataset_location(cfg, base or name)
            print(f"{name:24s} {kind:8s} {path}" + (f"  (a view of {base})" if base else ""))
        return 0

    names = names or shipped_datasets(cfg)
    if args.dest and len(names) != 1:
        parser.error("--dest needs exactly one data set name")
    reports: list[FetchReport | HubFetchReport] = []
    hub = set(hub_datasets(cfg))
    try:
        for name in names:
            fetch = fetch_hub_dataset if name in hub else fetch_dataset
            report = fetch(cfg, name, dest=args.dest, progress=True)
            reports.append(report)
            print(report.summary(), flush=True)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: what was written is kept; run the same command again to resume.", file=sys.stderr)
        return 130
    # A hub set's undecodable images are counted in its summary: no re-run or manual copy fixes the source.
    failures = [(r.name, url, reason) for r in reports if isinstance(r, FetchReport) for url, reason in r.failures]
    if failures:
        print(f"\n{len(failures)} file(s) failed:", file=sys.stderr)
        for name, url, reason in failures:
            print(f"  [{name}] {url}: {reason}", file=sys.stderr)
        print(
            f"Put missing files by hand under {resolve(str(cfg.paths.data)) / 'raw'}/<name>/<file> "
            f"(the `file` column of configs/sources/<name>.csv), then re-run to fetch the rest.",
            file=sys.stderr,
        )
        return 1
    print(f"All {len(reports)} data set(s) complete ({project_root()}).")
    return 0
