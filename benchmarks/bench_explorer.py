"""Collection explorer: build time and the page's time to first draw, for a small real set,
the whole wikiart_styles7 (7,000 paintings) and a synthetic 50,000-point collection.

Build: ``artdl.archive.explorer.build_explorer`` end to end (decode + thumbnails + previews, CNN embedding,
UMAP, t-SNE, grid, timeline, neighbours, site). ``cold`` computes the embedding; ``warm`` reuses
the cached one (what a second run, or a run after 04, costs). The synthetic set has random
clustered 64-d features and generated 32-px thumbnails (no decoding, no embedding, no previews).

Page: the site served from 127.0.0.1 in headless Chromium (software rendering, ``--disable-gpu``).
``first draw`` is the ``explorer-first-draw`` mark the page sets after its first frame (every point,
as coloured squares until the atlases arrive); ``thumbnails drawn`` the ``explorer-thumbs-draw``
mark once every atlas is loaded and drawn; ``frame`` the median time of a full redraw of the
fitted map; ``animation fps`` frames per second while the points move to the grid layout.

    python benchmarks/bench_explorer.py                      # all three collections
    python benchmarks/bench_explorer.py --only synthetic --synthetic-n 50000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, report  # noqa: E402

COLUMNS = [
    "collection", "paintings", "build", "build_s", "decode_s", "embed_s", "layouts_s", "neighbours_s",
    "site_MB", "first_draw_ms", "thumbs_drawn_ms", "frame_ms", "animation_fps", "measured_utc", "load",
]  # fmt: skip

PAGE_JS = """
const ms = (name) => { const e = performance.getEntriesByName(name); return e.length ? e[0].startTime : null; };
const t = [];
for (let k = 0; k < 15; k++) { const a = performance.now(); explorer.drawNow(); t.push(performance.now() - a); }
t.sort((a, b) => a - b);
return [ms('explorer-first-draw'), ms('explorer-thumbs-draw'), t[7], explorer.drawnCount];
"""


def _site_mb(site: Path) -> float:
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1e6


def measure_page(site: Path, loads: int = 3) -> dict[str, Any]:
    """Median over ``loads`` fresh page loads of the first-draw marks, a redraw and the animation fps."""
    from artdl.archive.explorer import headless_chromium, serve, wait_for

    runs = []
    with serve(site) as url, headless_chromium(1400, 900) as driver:
        for _ in range(loads):
            driver.get(url + f"/index.html?{time.time()}")
            wait_for(driver, "return window.explorer && window.explorer.thumbsReady", timeout=300)
            first, thumbs, frame, drawn = driver.execute_script(PAGE_JS)
            start = driver.execute_script("return [explorer.frames, performance.now()]")
            driver.execute_script("explorer.setLayout('grid')")
            wait_for(driver, "return !explorer.animating", timeout=60)
            end = driver.execute_script("return [explorer.frames, performance.now()]")
            fps = (end[0] - start[0]) / max((end[1] - start[1]) / 1000, 1e-9)
            runs.append({"first": first, "thumbs": thumbs, "frame": frame, "fps": fps, "drawn": drawn})
    med = {k: float(np.median([r[k] for r in runs])) for k in ("first", "thumbs", "frame", "fps")}
    return {
        "first_draw_ms": med["first"],
        "thumbs_drawn_ms": med["thumbs"],
        "frame_ms": med["frame"],
        "animation_fps": med["fps"],
        "drawn": runs[-1]["drawn"],
    }


def bench_real(name: str, datasets: list[str], out: Path, cold: bool, overrides: list[str]) -> dict[str, Any]:
    """One end-to-end ``build_explorer`` of real paintings; ``cold`` drops the cached embedding first."""
    from artdl.archive.explorer import build_explorer, read_site_data
    from artdl.core import load_config, processed_dir

    cfg = load_config("default", ["explorer.source=cnn", f"explorer.reuse_embeddings={not cold}", *overrides])
    if cold:
        for f in processed_dir("explorer", "cache").glob("cnn_*"):
            f.unlink()
    start, cpu = time.perf_counter(), time.process_time()
    site = build_explorer(cfg, datasets, out)
    total, cpu = time.perf_counter() - start, time.process_time() - cpu
    load = os.getloadavg()[0]  # right after the build, before the page is measured
    data = read_site_data(site)
    t = data["info"]["timings_s"]
    return {
        "collection": name, "paintings": data["n"], "build": "cold" if cold else "warm",
        "build_s": total, "decode_s": t["decode"], "embed_s": t["embed"], "layouts_s": t["layouts"],
        "neighbours_s": t["neighbours"], "site_MB": _site_mb(site), "embedding": data["info"]["embedding"],
        "cpu_s": cpu, "load": load,
    }  # fmt: skip


def synthetic_inputs(n: int, seed: int = 0) -> tuple[Any, np.ndarray, list[np.ndarray]]:
    """Clustered random features, a table with 40 labels and years, and 32-px thumbnails in the label colour."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 40, n)
    centres = rng.normal(0, 1, (40, 64)) * 4
    feats = (centres[labels] + rng.normal(0, 1, (n, 64))).astype(np.float32)
    colours = rng.integers(40, 230, (40, 3))
    base = np.indices((32, 32)).sum(0)[..., None] % 7 * 4
    thumbs = [np.clip(colours[k] + base, 0, 255).astype(np.uint8) for k in labels]
    table = pd.DataFrame(
        {
            "title": [f"Synthetic painting {i}" for i in range(n)],
            "artist": [f"Painter {int(a)}" for a in rng.integers(0, 2000, n)],
            "year": rng.integers(1400, 1950, n),
            "label": [f"style {k:02d}" for k in labels],
        }
    )
    return table, feats, thumbs


def bench_synthetic(n: int, out: Path) -> dict[str, Any]:
    """Layouts + neighbours + site for ``n`` synthetic points (no images to decode, no embedding)."""
    from artdl.archive.explorer import build_site, compute_layouts, cosine_neighbours

    table, feats, thumbs = synthetic_inputs(n)
    start = time.perf_counter()
    layouts = compute_layouts(feats, table["year"], table["label"])
    t_layouts = time.perf_counter() - start
    nb = cosine_neighbours(feats, 10)
    t_nb = time.perf_counter() - start - t_layouts
    build_site(out, table, layouts, thumbs, 32, ["label"], nb, title=f"synthetic {n:,}")
    return {
        "collection": f"synthetic {n // 1000}k", "paintings": n, "build": "cold", "build_s": time.perf_counter() - start,
        "decode_s": 0.0, "embed_s": 0.0, "layouts_s": t_layouts, "neighbours_s": t_nb, "site_MB": _site_mb(out),
    }  # fmt: skip


DOCS = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def write_docs(docs: Path = DOCS) -> list[str]:
    """Regenerate the explorer table of ``docs`` (its ``bench-explorer`` block, as ``python -m artdl report``)."""
    from artdl.report import update_readme

    return update_readme(docs)


def merge_rows(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``old`` with each row of a (collection, build) measured again replaced in place, others appended."""
    fresh = {(r["collection"], r["build"]): r for r in new}
    merged = [fresh.pop((r["collection"], r["build"]), r) for r in old]
    return merged + [r for r in new if (r["collection"], r["build"]) in fresh]


def run(which: list[str], args: argparse.Namespace, root: Path) -> list[dict[str, Any]]:
    """Build and open each collection; one row per build, with the time and load it was measured at."""
    real = {
        "small": ("AIC + impressionists", ["aic_paintings", "wikiart_impressionists"]),
        "styles7": ("wikiart_styles7", ["wikiart_styles7"]),
    }
    rows = []
    for key in which:
        site = root / key
        if key == "synthetic":
            builds = [bench_synthetic(args.synthetic_n, site)]
        else:
            label, names = real[key]
            extra = [] if args.classifier else ["explorer.classifier="]
            builds = [] if args.warm_only else [bench_real(label, names, site, True, extra)]
            if not args.no_warm:
                builds.append(bench_real(label, names, site, False, extra))
        page = measure_page(site, args.loads)
        for row in builds:
            when = {"measured_utc": time.strftime("%H:%M", time.gmtime()), "load": os.getloadavg()[0]}
            rows.append({**row, **page, **when, "load": row.get("load", when["load"])})
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="+", choices=["small", "styles7", "synthetic"])
    parser.add_argument("--synthetic-n", type=int, default=50_000)
    parser.add_argument("--loads", type=int, default=3, help="page loads per site (median)")
    parser.add_argument("--no-warm", action="store_true", help="skip the second (cached-embedding) build")
    parser.add_argument("--warm-only", action="store_true", help="only the build with a cached embedding")
    parser.add_argument("--classifier", action="store_true", help="include 02's predictions + Grad-CAM")
    parser.add_argument("--keep", help="write the sites here instead of a temporary folder")
    parser.add_argument(
        "--append",
        action="store_true",
        help="add the rows to benchmarks/results/explorer.json (replacing its rows of the same collection and build)",
    )
    parser.add_argument(
        "--docs-only", action="store_true", help="only regenerate docs/performance.md's table"
    )
    args = parser.parse_args()
    if not args.docs_only:
        root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-explorer-"))
        try:
            rows = run(args.only or ["small", "styles7", "synthetic"], args, root)
        finally:
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
        if args.append and (RESULTS / "explorer.json").is_file():
            rows = merge_rows(json.loads((RESULTS / "explorer.json").read_text())["rows"], rows)
        notes = (
            "load: 1-min load average right after the build (other jobs shared the 2 cores); cpu_s (JSON "
            "only): CPU seconds of the build's own process. "
            + ("" if args.classifier else "Builds without 02's classifier step (predictions + Grad-CAM). ")
            + "build: python -m artdl explore end to end (cnn embedding at retrieve.cnn.image_size; UMAP and "
            "t-SNE fitted on <= explorer.layout_sample paintings, the rest placed by neighbours); cold = "
            "embedding computed, warm = cached. Page: headless Chromium, software rendering, 1400x900, median "
            f"of {args.loads} loads; first draw / thumbnails drawn = performance marks after navigation start."
        )
        report("explorer", rows, COLUMNS, notes)
    print(f"regenerated {write_docs() or 'no'} table(s) in {DOCS}")


if __name__ == "__main__":
    main()
