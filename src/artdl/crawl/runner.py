"""Start crawls from Python: a child process per crawl, the fixture site when asked, summaries."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artdl.crawl.fixture_site import FixtureSite
from artdl.crawl.settings import FIXTURE, CrawlOptions, polite_options

if TYPE_CHECKING:  # pandas is imported where a table is made: the Scrapy child imports this package
    import pandas as pd

__all__ = ["CrawlError", "CrawlResult", "crawl_from_config", "options_from_config", "run_crawl",
           "serve", "start_crawl", "summary_table"]  # fmt: skip

log = logging.getLogger(__name__)

FIXTURE_OUT = "data/raw/wikiart_fixture"
REAL_OUT = "data/raw/wikiart"


class CrawlError(RuntimeError):
    """The crawl process failed or timed out; the message points at its log."""


@dataclass
class CrawlResult:
    """What a crawl left: its summary, the metadata table and the folder."""

    summary: dict[str, Any]
    metadata: pd.DataFrame
    out: Path


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2])  # .../src, so the child imports this artdl
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    return env


def start_crawl(opts: CrawlOptions) -> subprocess.Popen[bytes]:
    """Start a crawl in a child process and return it (tests use this to kill one mid-way)."""
    if opts.base_url == FIXTURE:
        raise ValueError("start the fixture site first (see `serve`) and pass its URL as base_url")
    opts = _enforce_politeness(opts)
    out = Path(opts.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="crawl-options-", suffix=".json")
    os.close(fd)
    replace(opts, out=str(out)).to_json(path)
    return subprocess.Popen(
        [sys.executable, "-m", "artdl.crawl.worker", path],
        env=_child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _enforce_politeness(opts: CrawlOptions) -> CrawlOptions:
    """Raise a real site's crawl to the politeness floor and say so (printed: a notebook shows it)."""
    polite, changes = polite_options(opts)
    if changes:
        message = (
            f"crawl: {opts.base_url} is not a loopback address, so the politeness floor applies "
            f"(robots.txt obeyed, AutoThrottle on): " + "; ".join(changes)
        )
        log.info(message)
        print(message)
    return polite


def run_crawl(opts: CrawlOptions) -> CrawlResult:
    """Run a crawl to the end (at most ``opts.timeout`` seconds) and read what it wrote."""
    out = Path(opts.out).resolve()
    proc = start_crawl(opts)
    try:
        _, err = proc.communicate(timeout=opts.timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        raise CrawlError(
            f"crawl did not finish within {opts.timeout:.0f} s (timeout option); what it fetched so far "
            f"is kept in {out} and a rerun resumes. Log: {out / 'crawl.log'}"
        ) from None
    summary_path = out / "summary.json"
    if proc.returncode not in (0, 1) or not summary_path.is_file():
        tail = (err or b"").decode(errors="replace")[-2000:]
        raise CrawlError(f"crawl process exited with {proc.returncode}. Log: {out / 'crawl.log'}\n{tail}")
    summary = json.loads(summary_path.read_text())
    import pandas as pd

    return CrawlResult(summary, pd.read_csv(out / "metadata.csv", dtype=str).fillna(""), out)


def options_from_config(cfg: Any, **overrides: Any) -> CrawlOptions:
    """CrawlOptions from the ``crawl:`` section of a config, plus keyword overrides.

    ``out: ""`` means ``data/raw/wikiart`` for a real crawl and ``data/raw/wikiart_fixture`` for
    the fixture site, so an offline run never mixes imitation paintings into a real crawl.
    """
    from omegaconf import OmegaConf

    from artdl.core import resolve

    section = OmegaConf.to_container(cfg.crawl, resolve=True)
    assert isinstance(section, dict)
    values = {k: v for k, v in section.items() if k != "fixture"}
    values.update({k: v for k, v in overrides.items() if v not in (None, "")})
    if not values.get("out"):
        values["out"] = FIXTURE_OUT if values.get("base_url", FIXTURE) == FIXTURE else REAL_OUT
    values["out"] = str(resolve(values["out"]))
    return CrawlOptions.from_mapping(values)


@contextmanager
def serve(
    opts: CrawlOptions, per_style: int = 12, images_dir: str | Path | None = None
) -> Iterator[CrawlOptions]:
    """Yield ``opts`` unchanged, or, for ``base_url: fixture``, with the URL of a local fixture site."""
    if opts.base_url != FIXTURE:
        yield opts
        return
    with FixtureSite(per_style=per_style, images_dir=images_dir) as site:
        yield replace(opts, base_url=site.url)


def _fixture_images(cfg: Any, value: str) -> Path | None:
    """``crawl.fixture.images``: a registered data set (found like any set: mirror or data/raw) or a folder."""
    if not value:
        return None
    from artdl.core import resolve
    from artdl.data import dataset_root

    return dataset_root(cfg, value) if value in cfg.datasets else resolve(value)


def crawl_from_config(
    cfg: Any, base_url: str | None = None, fresh: bool | None = None, **overrides: Any
) -> CrawlResult:
    """The notebook's entry point: crawl what the config says (the fixture site by default).

    ``fresh`` (default ``crawl.fixture.fresh``) empties the fixture site's output folder first; it
    never applies to a real crawl, which always resumes.
    """
    from omegaconf import OmegaConf

    opts = options_from_config(cfg, base_url=base_url, **overrides)
    fixture = OmegaConf.to_container(cfg.crawl.fixture, resolve=True)
    assert isinstance(fixture, dict)

    images = _fixture_images(cfg, fixture.get("images") or "")
    if (
        opts.base_url == FIXTURE
        and (fixture.get("fresh") if fresh is None else fresh)
        and Path(opts.out).is_dir()
    ):
        shutil.rmtree(opts.out)  # only ever the fixture's own folder: a demo starts from scratch
    with serve(opts, int(fixture["per_style"]), images) as live:
        result = run_crawl(live)
    if opts.base_url == FIXTURE:
        result.summary["base_url"] = f"{FIXTURE} ({result.summary['base_url']})"
    return result


def summary_table(summary: dict[str, Any]) -> pd.DataFrame:
    """The summary as a two-column table (what happened, how often) for notebooks and the CLI."""
    rows = [(k.replace("_", " "), v if not isinstance(v, list) else ", ".join(map(str, v)) or "-")
            for k, v in summary.items()]  # fmt: skip
    import pandas as pd

    return pd.DataFrame(rows, columns=["what", "value"]).set_index("what")
