"""The README's hero image: the committed explorer in ``docs/explorer/``, photographed in headless Chromium.

The screenshot is made by this test so it always shows the site that is committed (781 paintings,
64-px thumbnails, 02's predictions in the panel), never a small test build. The page is served
from 127.0.0.1 and the browser runs with a throw-away profile and no background networking, so
nothing is sent anywhere else. The image is written atomically: a failed run leaves the old one.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artdl.archive.explorer import chromium_available, headless_chromium, read_site_data, serve, wait_for

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "docs" / "explorer"
SCREENSHOT = REPO / "images" / "05_archive" / "explorer.png"
WINDOW = (1400, 860)
ZOOM = 2.5  # into the map's centre: thumbnails large enough to be paintings, not coloured squares


def _painting_to_show(data: dict) -> int:
    """A test painting with a prediction (so the panel shows true vs predicted style and its Grad-CAM)."""
    by_index = (data.get("predictions") or {}).get("by_index") or {}
    titled = [int(i) for i in by_index if len(str(data["items"]["title"][int(i)])) > 10]
    return min(titled or [int(i) for i in by_index] or [0])


def save_screenshot(driver, url: str, target: int, path: Path) -> Path:
    """Open the site, zoom into the map around ``target``, open its panel and save the page atomically."""
    driver.get(url)
    wait_for(driver, "return window.explorer && window.explorer.thumbsReady", timeout=60)
    js = driver.execute_script
    js("explorer.setLayout('umap', false); explorer.fit();")
    js(f"explorer.zoom({ZOOM}); explorer.select({target});")
    wait_for(driver, "return explorer.panelOpen && document.getElementById('preview').complete", timeout=30)
    js("explorer.drawNow()")
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.part.png")
    try:
        driver.save_screenshot(str(part))
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return path


@pytest.mark.browser
def test_readme_screenshot_shows_the_committed_site(tmp_path):
    if not chromium_available():
        pytest.skip("headless Chromium is absent: install the Debian packages chromium chromium-driver")
    if not (SITE / "data.js").is_file():
        pytest.skip(f"no committed explorer at {SITE}")
    data = read_site_data(SITE)
    target = _painting_to_show(data)
    shot = tmp_path / "explorer.png"
    with serve(SITE) as url, headless_chromium(*WINDOW) as driver:
        save_screenshot(driver, url + "/index.html", target, shot)
        js = driver.execute_script
        assert js("return explorer.n") == data["n"]  # the committed collection, not a test build
        assert js("return explorer.selected") == target and js("return explorer.renderer") != "squares"
        assert js("return explorer.drawnCount") > 0
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape[1] == WINDOW[0] and image.shape[0] > 600
    assert (
        image.std() > 30 and len(np.unique(image.reshape(-1, 3), axis=0)) > 5000
    )  # paintings, not a blank page
    part = SCREENSHOT.with_name(
        f".{SCREENSHOT.name}.{os.getpid()}.part.png"
    )  # checked, then swapped in whole
    with Image.open(
        shot
    ) as page:  # a 256-colour palette, as for every thumbnail figure: a third of the bytes
        page.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(part, optimize=True)
    os.replace(part, SCREENSHOT)


STYLES_SITE = REPO / "docs" / "explorer-styles7"


def test_the_committed_styles7_site_shows_every_test_painting_with_its_prediction():
    """docs/explorer-styles7: 02's mistakes on a map. Every painting is a test painting, every one
    has a prediction and a Grad-CAM file, and ``prediction`` (a colour-by choice) says which are wrong."""
    data = read_site_data(STYLES_SITE)
    n = data["n"]
    assert data["title"].endswith("wikiart_styles7") and n > 1000  # the whole test split, not a sample
    by_index = data["predictions"]["by_index"]
    assert len(by_index) == n and data["predictions"]["dataset"] == "wikiart_styles7"
    assert all((STYLES_SITE / p["cam"]).is_file() for p in by_index.values())
    verdicts = data["columns"]["prediction"]
    assert set(verdicts["values"]) == {"correct", "wrong"}
    wrong = verdicts["values"].index("wrong")
    labels, predicted = data["columns"]["label"], data["columns"]["predicted"]
    for i, code in enumerate(verdicts["codes"]):
        said_wrong = labels["values"][labels["codes"][i]] != predicted["values"][predicted["codes"][i]]
        assert (code == wrong) == said_wrong
    size = sum(p.stat().st_size for p in (REPO / "docs").rglob("*") if p.is_file())
    assert size < 32e6, f"docs/ holds {size / 1e6:.1f} MB; keep it under about 30 MB"
