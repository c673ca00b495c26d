"""The WikiArt crawler against the local fixture site (loopback only, bounded in time)."""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image

from artdl.core import load_config
from artdl.crawl import CrawlOptions, FixtureSite, run_crawl, start_crawl
from artdl.crawl.columns import CRAWL_COLUMNS
from artdl.crawl.fixture_catalogue import CORRUPT_ID, FLAKY_ID, PRIVATE_ID
from artdl.crawl.store import prepare_out
from artdl.data import build_table

from .conftest import execute_notebook

PER_STYLE = 6


def _opts(url: str, out: Path, **kw) -> CrawlOptions:
    base = dict(
        base_url=url, styles=["impressionism", "realism"], out=str(out), limit=100, download_delay=0.0,
        autothrottle=False, concurrency=4, retry_backoff=0.05, timeout=90, log_level="DEBUG",
    )  # fmt: skip
    base.update(kw)
    return CrawlOptions(**base)


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / "metadata.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _assert_complete(out: Path) -> list[dict[str, str]]:
    """Every row has all columns and names a complete image; no image file is half-written."""
    with open(out / "metadata.csv", newline="") as fh:
        raw = list(csv.reader(fh))
    assert raw[0] == CRAWL_COLUMNS
    assert all(len(r) == len(CRAWL_COLUMNS) for r in raw[1:]), "a half-written row in metadata.csv"
    rows = _rows(out)
    for r in rows:
        assert (out / r["path"]).is_file(), f"row names a missing image: {r['path']}"
    for img in (out / "images").rglob("*.jpg") if (out / "images").is_dir() else []:
        with Image.open(img) as im:
            im.load()  # raises on a truncated file
    return rows


@pytest.fixture(scope="module")
def site():
    with FixtureSite(per_style=PER_STYLE) as s:
        yield s


@pytest.fixture(scope="module")
def first_crawl(site, tmp_path_factory):
    out = tmp_path_factory.mktemp("crawl") / "wikiart"
    opts = _opts(
        site.url, out, styles=["impressionism", "realism", "no-such-style", "empty-style", "broken-json"]
    )
    return run_crawl(opts)


def test_crawl_writes_rows_and_images(first_crawl, site):
    s, out = first_crawl.summary, first_crawl.out
    rows = _assert_complete(out)
    good = 2 * PER_STYLE + 1  # every generated painting plus the one that succeeds after a 429
    assert s["finish_reason"] == "finished"
    assert s["new_paintings"] == len(rows) == s["total_rows"] == good
    ids = [r["content_id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert FLAKY_ID in ids and CORRUPT_ID not in ids and PRIVATE_ID not in ids
    assert {r["style"] for r in rows} == {"impressionism", "realism"}
    by_id = {p.content_id: p for p in site.paintings}
    for r in rows:
        p = by_id[r["content_id"]]
        assert r["title"] == p.title and r["genre"] == p.genre and r["date"] == str(p.year)
        assert r["artist"] in {"Claude Monet", "Berthe Morisot"} and r["artist_url"].endswith(p.artist_url)
        assert (int(r["width"]), int(r["height"])) == (p.width, p.height)
        assert r["image_url"].startswith(site.url + "/images/") and r["page_url"].startswith(
            site.url + "/en/"
        )
        assert r["path"] == f"images/{r['style']}/{r['content_id'].lower()}.jpg"
    assert not list(out.rglob("*.part"))
    assert (out / "summary.json").is_file() and (out / "crawl.log").is_file()


def test_bad_input_is_counted_not_fatal(first_crawl):
    s = first_crawl.summary
    assert s["listing_errors"] == 1  # no-such-style: 404
    assert s["empty_listings"] == 1  # empty-style
    assert s["malformed_json"] == 1  # broken-json
    assert s["bad_images"] == 1  # the corrupt JPEG
    assert s["finish_reason"] == "finished"


def test_robots_txt_is_obeyed(first_crawl, site):
    assert site.fetched("/robots.txt"), "robots.txt was never requested"
    assert not site.fetched("/en/private/"), "a page disallowed by robots.txt was fetched"
    assert first_crawl.summary["pages_blocked_by_robots"] == 1


def test_429_and_503_are_retried_then_succeed(first_crawl, site):
    assert len(site.fetched("/images/claude-monet/flaky.jpg")) == 2
    assert len(site.fetched("/en/paintings-by-style/realism?json=2&page=1")) == 2
    assert first_crawl.summary["http_429"] == 1 and first_crawl.summary["retries"] == 2
    assert first_crawl.summary["retry_backoff_seconds"] > 0  # the 503 waited (the 429 said Retry-After: 0)


def test_crawl_loads_with_artdl_data(first_crawl):
    cfg = load_config("default", [f"datasets.wikiart_crawl.root={first_crawl.out}"])
    table = build_table(cfg, "wikiart_crawl")
    assert len(table) == first_crawl.summary["total_rows"]
    assert set(table["label"]) == {"impressionism", "realism"}
    assert all(Path(p).is_file() for p in table["path"])


def test_second_run_resumes_without_duplicates(first_crawl, site, tmp_path):
    out = tmp_path / "wikiart"
    shutil.copytree(first_crawl.out, out)
    before = len(site.fetched("/images/"))
    again = run_crawl(_opts(site.url, out))
    rows = _assert_complete(out)
    assert again.summary["new_paintings"] == 0
    assert again.summary["skipped_already_downloaded"] == first_crawl.summary["total_rows"]
    assert len(rows) == first_crawl.summary["total_rows"]
    assert len({r["content_id"] for r in rows}) == len(rows)
    # only the corrupt image is asked for again; nothing already on disk is downloaded twice
    assert site.fetched("/images/")[before:] == ["/images/claude-monet/corrupt.jpg"]


def test_limit_counts_per_source(site, tmp_path):
    result = run_crawl(_opts(site.url, tmp_path / "w", styles=["realism"], limit=2))
    assert result.summary["new_paintings"] == 2 and len(_rows(tmp_path / "w")) == 2


def test_killed_crawl_leaves_valid_files_and_resumes(tmp_path):
    out = tmp_path / "wikiart"
    with FixtureSite(per_style=10, image_delay=0.25) as slow:
        proc = start_crawl(_opts(slow.url, out, concurrency=2))
        deadline = time.time() + 60
        try:
            while time.time() < deadline and proc.poll() is None:
                if (out / "metadata.csv").is_file() and len(_rows(out)) >= 3:
                    break
                time.sleep(0.05)
            assert proc.poll() is None, "the crawl ended before it could be killed"
            proc.kill()  # SIGKILL: no cleanup code runs
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        killed_rows = _assert_complete(out)
        assert 3 <= len(killed_rows) < 21
        slow.image_delay = 0.0
        result = run_crawl(_opts(slow.url, out))
    rows = _assert_complete(out)
    assert len(rows) == 21 and len({r["content_id"] for r in rows}) == 21
    assert result.summary["skipped_already_downloaded"] >= len(killed_rows)
    assert not list(out.rglob("*.part"))


def test_prepare_out_drops_a_partial_row_and_temp_files(tmp_path):
    prepare_out(tmp_path)
    meta = tmp_path / "metadata.csv"
    with open(meta, "a") as fh:
        fh.write(
            "fx1,A title,Claude Monet,u,impressionism,landscape,1874,10,10,i,p,images/a.jpg\nfx2,Half a r"
        )
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / ".fx2.jpg.part").write_bytes(b"\xff\xd8half")
    repaired = prepare_out(tmp_path)
    assert repaired == {"partial_rows_dropped": 1, "stale_temp_files_removed": 1}
    assert meta.read_text().splitlines()[-1].startswith("fx1,") and meta.read_text().endswith("\n")


def test_backoff_delay_grows_and_honours_retry_after():
    from scrapy.settings import Settings

    from artdl.crawl.middlewares import BackoffRetryMiddleware

    mw = BackoffRetryMiddleware(Settings({"ARTDL_RETRY_BACKOFF": 0.5, "ARTDL_RETRY_BACKOFF_MAX": 3.0}))
    assert [mw.delay(i) for i in range(4)] == [0.5, 1.0, 2.0, 3.0]
    assert mw.delay(0, b"2") == 2.0 and mw.delay(0, b"120") == 3.0


def test_options_reject_bad_input():
    with pytest.raises(ValueError, match="Nothing to crawl"):
        CrawlOptions(styles=[], artists=[])
    with pytest.raises(ValueError, match="Unknown crawl option"):
        CrawlOptions.from_mapping({"styles": ["x"], "dealy": 1})


@pytest.mark.parametrize(
    "url, loopback",
    [("fixture", True), ("http://127.0.0.1:8123", True), ("http://127.5.0.1", True), ("http://[::1]:80", True),
     ("http://localhost:9000/x", True), ("https://www.wikiart.org", False), ("http://10.0.0.1", False),
     ("http://127.0.0.1.example.com", False), ("www.wikiart.org", False)],
)  # fmt: skip
def test_is_loopback(url, loopback):
    from artdl.crawl import is_loopback

    assert is_loopback(url) is loopback


def test_real_site_gets_the_politeness_floor_whatever_the_config(tmp_path):
    """Settings only: nothing is sent to the non-loopback address."""
    from artdl.crawl.settings import scrapy_settings

    impolite = _opts("https://www.wikiart.org", tmp_path, autothrottle_target_concurrency=4.0)
    settings = scrapy_settings(impolite, tmp_path)
    assert settings["DOWNLOAD_DELAY"] >= 1.0 and settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] <= 2 and settings["ROBOTSTXT_OBEY"] is True
    assert settings["AUTOTHROTTLE_TARGET_CONCURRENCY"] <= 2 and settings["AUTOTHROTTLE_START_DELAY"] >= 1.0
    assert settings["ARTDL_RETRY_BACKOFF"] >= 1.0
    # a config already politer than the floor is left as it is
    slow = _opts("https://www.wikiart.org", tmp_path, download_delay=3.0, concurrency=1, autothrottle=True)
    settings = scrapy_settings(slow, tmp_path)
    assert settings["DOWNLOAD_DELAY"] == 3.0 and settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1


def test_loopback_site_keeps_its_fast_settings(site, tmp_path):
    from artdl.crawl import polite_options
    from artdl.crawl.settings import scrapy_settings  # not public: the child process's side

    opts = _opts(site.url, tmp_path)
    assert polite_options(opts) == (opts, [])
    settings = scrapy_settings(opts, tmp_path)
    assert settings["DOWNLOAD_DELAY"] == 0.0 and settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 4
    assert settings["AUTOTHROTTLE_ENABLED"] is False and settings["ROBOTSTXT_OBEY"] is True


def test_start_crawl_says_it_raised_the_floor(tmp_path, monkeypatch, capsys):
    """The child process is a stand-in that only records its options: no request leaves the machine."""
    from artdl.crawl import runner

    started = []
    monkeypatch.setattr(runner.subprocess, "Popen", lambda args, **kw: started.append(args) or "child")
    assert start_crawl(_opts("https://www.wikiart.org", tmp_path / "out")) == "child"
    sent = CrawlOptions.from_json(started[0][-1])
    Path(started[0][-1]).unlink()
    assert (sent.download_delay, sent.concurrency, sent.autothrottle) == (1.0, 2, True)
    said = capsys.readouterr().out
    assert "not a loopback address" in said and "download_delay: 0.0 -> 1.0" in said
    assert "concurrency: 4 -> 2" in said and "autothrottle: False -> True" in said
    start_crawl(_opts("http://127.0.0.1:9", tmp_path / "out"))
    assert CrawlOptions.from_json(started[1][-1]).download_delay == 0.0 and capsys.readouterr().out == ""
    Path(started[1][-1]).unlink()


def test_cli_reports_bad_config_key(capsys):
    from artdl.crawl.cli import main

    assert main(["--config", "default", "crawl.dealy=1"]) == 2
    assert "crawl" in capsys.readouterr().err


def test_artist_listing(site, tmp_path):
    result = run_crawl(_opts(site.url, tmp_path / "w", styles=[], artists=["berthe-morisot", "nobody"]))
    rows = _rows(tmp_path / "w")
    expected = [p for p in site.by_artist("berthe-morisot")]
    assert len(rows) == len(expected) and {r["artist"] for r in rows} == {"Berthe Morisot"}
    assert {r["style"] for r in rows} <= {"impressionism", "realism"}
    assert result.summary["empty_listings"] == 1  # nobody


def _browser_or_skip():
    from artdl.crawl.middlewares import make_driver

    try:
        return make_driver()
    except Exception as err:  # noqa: BLE001 - any failure to start means: no browser here
        pytest.skip(f"headless Chromium could not start ({type(err).__name__}: {err}); "
                    f"install chromium + chromium-driver (see .ci/run)")  # fmt: skip


def test_selenium_renders_load_more_listing(tmp_path):
    from artdl.crawl.middlewares import render_with_load_more

    with FixtureSite(per_style=PER_STYLE, page_size=4) as s:
        driver = _browser_or_skip()
        try:
            html, clicks = render_with_load_more(
                driver, f"{s.url}/en/paintings-by-style/impressionism", wait=10
            )
        finally:
            driver.quit()
        n = len(s.in_style("impressionism"))
        assert clicks == -(-n // 4) - 1
        from scrapy.selector import Selector

        assert len(Selector(text=html).css("ul.wiart-masonry li a.artwork-name")) == n
        # the same page through the spider's Selenium middleware
        result = run_crawl(_opts(s.url, tmp_path / "w", styles=["impressionism"], selenium=True))
    assert result.summary["selenium_pages"] == 1
    assert result.summary["new_paintings"] == PER_STYLE + 1 and result.summary["pages_blocked_by_robots"] == 1


def test_cli_crawls_the_fixture_site(tmp_path, capsys):
    from artdl.crawl.cli import main

    out = tmp_path / "cli"
    code = main(["--config", "default", "--base-url", "fixture", "--style", "realism", "--limit", "3",
                 "--out", str(out), "crawl.fixture.images=", "crawl.autothrottle=false"])  # fmt: skip
    assert code == 0
    assert len(_rows(out)) == 3
    assert "new paintings" in capsys.readouterr().out


@pytest.mark.integration
def test_crawl_notebook_executes(isolated_root: Path):
    import nbformat

    out = execute_notebook(isolated_root, "01", ["crawl.limit=4"])
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    figures = [o for c in nb.cells for o in c.get("outputs", []) if "image/jpeg" in o.get("data", {})]
    assert len(figures) == 3  # inlined as JPEG: small notebooks on GitHub
    crawl_out = isolated_root / "data" / "raw" / "wikiart_fixture"
    assert len(_rows(crawl_out)) == 7  # 4 realism + 4 impressionism listed, one of which is the corrupt image
    for name in ("paintings_per_style_genre", "fetched_grid", "crawl_label_distribution"):
        assert (isolated_root / "images" / "01_crawl" / f"{name}.png").is_file()


def test_scrapy_side_does_not_load_the_data_layer():
    """The spider's process imports items and store; pandas and PIL stay out of it."""
    import subprocess
    import sys

    code = "import sys, artdl.crawl.store, artdl.crawl.items; print('pandas' in sys.modules, 'PIL.Image' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
