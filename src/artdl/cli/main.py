"""Command line: ``python -m artdl <command>``.

- ``run``: execute the notebooks in order (``--only 02``, ``--config full``, ``key=value`` overrides).
- ``config``: print the merged configuration.
- ``crawl``: crawl WikiArt (see ``python -m artdl crawl --help``).
- other step commands are listed by ``python -m artdl --help``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Commands implemented in step modules: name -> ("module", "function", "help").
# The function takes the remaining argv and returns an exit code.
STEP_COMMANDS: dict[str, tuple[str, str, str]] = {
    "crawl": ("artdl.crawl.cli", "main", "crawl WikiArt paintings into data/raw (Scrapy + Selenium)"),
    "report": (
        "artdl.report",
        "main",
        "rewrite the README result tables from results/*.json (--check: verify)",
    ),
    "vqgan-weights": (
        "artdl.vqgan_clip.weights",
        "main",
        "download VQGAN checkpoints (SHA-256 verified, or recorded on first use)",
    ),
    "explore": (
        "artdl.archive.explorer.build",
        "main",
        "write a zoomable static explorer of a collection (issue #16)",
    ),
    "data": ("artdl.cli.data", "main", "fetch the painting sets from pinned sources (data fetch|where|table)"),
    "predict": ("artdl.predict", "predict_main", "styles, CAM overlay and nearest paintings of your own images"),
    "demo": ("artdl.predict", "demo_main", "a local web page (127.0.0.1) over predict (issue #26)"),
}


def _split_only(only: list[str] | None, overrides: list[str]) -> tuple[list[str] | None, list[str]]:
    """``--only 02 classify.epochs=1``: argparse gives both to ``--only``; keep key=value as overrides."""
    if not only:
        return only, overrides
    names = [o for o in only if "=" not in o]
    return names or None, [o for o in only if "=" in o] + overrides


def _run(args: argparse.Namespace) -> int:
    from artdl.cli.runner import NotebookFailed, run_pipeline

    only, overrides = _split_only(args.only, args.overrides)
    try:
        run_pipeline(args.config, overrides, only=only, output_dir=args.output_dir)
    except NotebookFailed as err:
        print(f"\nFAILED: {err}", file=sys.stderr)
        return 1
    return 0


def _config(args: argparse.Namespace) -> int:
    from artdl.core import load_config, to_yaml

    print(to_yaml(load_config(args.config, args.overrides)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m artdl", description="artdl: deep learning on paintings")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute the numbered notebooks in order, saving outputs in place")
    run.add_argument(
        "--config", default="default", help="config name in configs/ (default, full) or a YAML path"
    )
    run.add_argument("--only", nargs="+", metavar="NN", help="run only these notebooks, e.g. --only 00 02")
    run.add_argument("--output-dir", help="write executed notebooks here instead of in place")
    run.add_argument(
        "overrides", nargs="*", metavar="key=value", help="config overrides, e.g. classify.epochs=2"
    )
    run.set_defaults(func=_run)

    cfg = sub.add_parser("config", help="print the merged configuration")
    cfg.add_argument("--config", default="default")
    cfg.add_argument("overrides", nargs="*", metavar="key=value")
    cfg.set_defaults(func=_config)

    for name, (_, _, help_text) in STEP_COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in STEP_COMMANDS:
        module, func, _ = STEP_COMMANDS[argv[0]]
        return int(getattr(importlib.import_module(module), func)(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    from artdl.core import ConfigKeyError

    try:
        return int(args.func(args))
    except (ConfigKeyError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

