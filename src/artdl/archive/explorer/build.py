"""``python -m artdl explore``: a PixPlot-like explorer of a collection as a self-contained static site.

The pipeline, each step in its own module so each can be used (and tested) alone:

1. the collection table (``artdl.retrieve.embed.load_collection``: all splits of the configured sets);
2. one decode per painting: embedding crops, atlas thumbnails, panel previews (:mod:`.atlas`);
3. the embedding (``artdl.retrieve.create_embedder``, the registry 04 uses; 04's saved array when it
   matches, else computed and cached under ``data/processed/explorer/cache/``);
4. layouts: UMAP, t-SNE, snapped grid, timeline (:mod:`.layouts`);
5. neighbours: cosine top-k and influence re-ranked (:mod:`.neighbours`);
6. 02's classifier on the test split, when its checkpoint exists (:mod:`.predict`);
7. the site, written atomically (:mod:`.site`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from artdl import retrieve
from artdl.archive.explorer.atlas import decode_collection
from artdl.archive.explorer.layouts import compute_layouts
from artdl.archive.explorer.neighbours import cosine_neighbours, influence_reranked
from artdl.archive.explorer.predict import classifier_predictions
from artdl.archive.explorer.site import staged_dir, write_site

__all__ = [
    "build_explorer",
    "collection_table",
    "explorer_dir",
    "load_features",
    "main",
    "saved_features",
    "with_prediction_columns",
]


def explorer_dir(name: str) -> Path:
    """``data/processed/explorer/<name>``: where ``python -m artdl explore`` writes a site."""
    from artdl.core import processed_dir

    return processed_dir("explorer") / name


def collection_table(cfg: Any, datasets: Sequence[str], limit: int = 0, seed: int = 0) -> pd.DataFrame:
    """The collection (all splits of ``datasets``), optionally a label-stratified sample of ``limit`` rows."""
    from artdl.retrieve import load_collection

    if not datasets:
        raise ValueError("No data sets given: set explorer.datasets or pass --dataset NAME.")
    unknown = [d for d in datasets if d not in cfg.datasets]
    if unknown:
        raise ValueError(f"Unknown data set(s) {unknown}; known: {', '.join(cfg.datasets.keys())}.")
    table = load_collection(cfg, list(datasets))
    if limit and limit < len(table):
        rng = np.random.default_rng(seed)
        frac = limit / len(table)
        picked = [
            i
            for _, g in table.groupby("label")
            for i in rng.choice(g.index, int(len(g) * frac), replace=False)
        ]
        rest = np.setdiff1d(table.index, picked)
        picked += list(rng.choice(rest, limit - len(picked), replace=False))  # top up to exactly limit
        table = table.loc[sorted(picked)]
    table = table.reset_index(drop=True)
    if "year" in table and pd.to_numeric(table["year"], errors="coerce").notna().any():
        years = pd.to_numeric(table["year"], errors="coerce")
        table["decade"] = [f"{int(y) // 10 * 10}s" if pd.notna(y) else "" for y in years]
    return table


def _embedder(cfg: Any, source: str, device: Any = "cpu", progress: bool = True) -> retrieve.Embedder:
    return retrieve.create_embedder(source, cfg, device, progress)


def _cache_dir() -> Path:
    """Computed features live here, never in 04's ``embeddings/`` folder, so an explorer of another
    collection cannot overwrite what 04 and 05 read."""
    from artdl.core import processed_dir

    return processed_dir("explorer", "cache")


def saved_features(
    cfg: Any, table: pd.DataFrame, source: str, reuse_saved: bool = True
) -> tuple[np.ndarray, str] | None:
    """``source`` features of ``table`` that need no computing: 04's saved array, else the explorer's cache.

    None when neither matches; :func:`load_features` then computes them (and needs the decoded crops).
    The cache is the embedder's own (:meth:`artdl.retrieve.Embedder.cached`), keyed by the source's
    settings (input side, weights) and every path, so a changed ``retrieve.cnn.image_size`` recomputes.
    """
    if reuse_saved:
        try:
            return retrieve.load_embeddings(source, table), f"{source} (saved by 04/03)"
        except (FileNotFoundError, ValueError):
            pass
    hit = _embedder(cfg, source).cached(table, _cache_dir())
    return None if hit is None else (hit, f"{source} (explorer cache)")


def load_features(
    cfg: Any,
    table: pd.DataFrame,
    source: str | retrieve.Embedder,
    images: np.ndarray | None,
    device: Any,
    progress: bool = True,
    reuse_saved: bool = True,
) -> tuple[np.ndarray, str]:
    """(N, D) features of ``source``: 04's saved embedding when it is of this collection, else computed.

    Computed by the same registered embedder as 04's (:func:`artdl.retrieve.create_embedder`), from
    ``images`` (the explorer's one decode, at the embedder's ``input_size``) when given, and cached
    in ``data/processed/explorer/cache/<source>_<N>.npy``.
    """
    import torch

    embedder = source if isinstance(source, retrieve.Embedder) else _embedder(cfg, source, device, progress)
    found = saved_features(cfg, table, embedder.name, reuse_saved)
    if found is not None:
        return found
    crops = None if images is None else torch.from_numpy(images)
    return embedder.embed_cached(table, _cache_dir(), crops), embedder.description


def _label_columns(table: pd.DataFrame) -> list[str]:
    """Colour-by choices: label first, then every other categorical column that has 2+ values."""
    cols = ["label"] + [c for c in ("prediction", "predicted", "dataset", "split", "artist", "decade") if c in table]
    return [c for c in cols if c == "label" or table[c].astype(str).nunique() > 1]


def with_prediction_columns(table: pd.DataFrame, predictions: dict[str, Any] | None) -> pd.DataFrame:
    """``predicted`` (02's top class) and, when the classifier was trained on this table's own
    labels, ``prediction`` (``correct`` / ``wrong``): colour-by choices, so the map shows where
    the classifier errs and the legend can hide the paintings it gets right. Unscored rows say so.
    """
    if not predictions:
        return table
    classes, scored = predictions["classes"], predictions["by_index"]
    top = [scored.get(str(i)) for i in range(len(table))]
    predicted = ["not scored" if t is None else str(classes[t["top"][0][0]]) for t in top]
    out = table.assign(predicted=predicted)
    trained_on = str(predictions.get("dataset") or "")
    if trained_on and "dataset" in table and trained_on in set(table["dataset"].astype(str)):
        labels = table["label"].astype(str)
        out["prediction"] = [
            "not scored" if p == "not scored" else ("correct" if p == lab else "wrong")
            for p, lab in zip(predicted, labels)
        ]
    return out


def _check_given(table: pd.DataFrame, features: np.ndarray | None) -> None:
    """Fail before minutes of work, not after: the columns the site needs, one feature row per painting."""
    missing = [c for c in ("path", "title", "artist", "label") if c not in table]
    if missing:
        raise ValueError(f"The collection table lacks column(s) {missing}; it has {list(table.columns)}.")
    if len(table) == 0:
        raise ValueError("The collection is empty: nothing to explore.")
    if features is not None and (np.ndim(features) != 2 or len(features) != len(table)):
        raise ValueError(f"features have shape {np.shape(features)}; expected ({len(table)}, D).")


def build_explorer(
    cfg: Any,
    datasets: Sequence[str] | None = None,
    out_dir: str | Path | None = None,
    table: pd.DataFrame | None = None,
    features: np.ndarray | None = None,
    neighbours: np.ndarray | None = None,
    reranked_neighbours: np.ndarray | None = None,
    progress: bool = True,
) -> Path:
    """Build the explorer of ``datasets`` (default ``explorer.datasets``) and return its folder.

    ``table`` / ``features`` skip loading and embedding (notebooks that already have them);
    ``neighbours`` / ``reranked_neighbours`` ((N, k) index arrays) skip the retrieval step, e.g.
    for a re-ranking computed elsewhere. Every knob is under ``explorer:`` in the config; the
    timings of each stage are printed and saved in the site's ``info``.
    """
    from artdl.core import get_device

    ec = cfg.explorer
    names = list(datasets or ec.datasets)
    name = "+".join(names)
    out = Path(out_dir) if out_dir else (Path(str(ec.out)) if str(ec.out) else explorer_dir(name))
    device = get_device(str(cfg.device))
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if table is None:
        table = collection_table(cfg, names, ec.limit, cfg.seed)
    if str(ec.split):  # one split only, e.g. the test paintings that 02's classifier never saw
        if "split" not in table or not (table["split"] == str(ec.split)).any():
            raise ValueError(f"explorer.split={ec.split}: the collection has no paintings in that split.")
        table = table[table["split"] == str(ec.split)].reset_index(drop=True)
    n = len(table)
    _check_given(table, features)
    thumb = ec.thumb_size or (64 if n <= 10_000 else 32)
    what, lookup = "given features", time.perf_counter()
    if features is None and (found := saved_features(cfg, table, str(ec.source), ec.reuse_embeddings)):
        features, what = found  # saved or cached: no embedding crops to decode
    lookup = time.perf_counter() - lookup
    embedder = None if features is not None else _embedder(cfg, str(ec.source), device, progress)
    with staged_dir(out) as site:
        embed_size = 0 if embedder is None else embedder.input_size
        images, thumbs, problems = decode_collection(
            table["path"].astype(str).tolist(), thumb, embed_size,
            site / "previews" if ec.previews else None, ec.preview_size, progress,
        )  # fmt: skip
        timings["decode"] = time.perf_counter() - t0 - lookup
        if features is None:
            features, what = load_features(cfg, table, embedder, images, device, progress, False)
        timings["embed"] = time.perf_counter() - t0 - sum(timings.values())
        layouts = compute_layouts(
            features, table.get("year", [None] * n), table["label"], list(ec.layouts), cfg.seed,
            ec.layout_sample, ec.exact_grid, progress, ec.tsne_iterations,
        )  # fmt: skip
        timings["layouts"] = time.perf_counter() - t0 - sum(timings.values())
        nb = cosine_neighbours(features, ec.k, device) if neighbours is None else neighbours
        rr = reranked_neighbours
        if rr is None and neighbours is None and ec.rerank:
            rr = influence_reranked(features, table, cfg, ec.k, progress)
        timings["neighbours"] = time.perf_counter() - t0 - sum(timings.values())
        preds = _predictions(ec, table, site, device, progress)
        table = with_prediction_columns(table, preds)
        timings["classifier"] = time.perf_counter() - t0 - sum(timings.values())
        info = {
            "datasets": names,
            "embedding": f"{ec.source}: {what}",
            "thumb_size": thumb,
            "timings_s": timings,
        }
        write_site(
            site, table, layouts, thumbs, thumb, _label_columns(table), nb, rr, preds,
            previews=ec.previews, title=f"artdl explorer: {name}", info=info, problems=problems,
        )  # fmt: skip
        timings["write"] = time.perf_counter() - t0 - sum(timings.values())
    from artdl.core import relative

    print(f"Explorer of {n} paintings written to {relative(out)} in {time.perf_counter() - t0:.1f} s "
          f"({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())}).")  # fmt: skip
    return out


def _predictions(ec: Any, table: pd.DataFrame, site: Path, device: Any, progress: bool) -> dict | None:
    """02's classifier on the test split, on the configured device; None when ``explorer.classifier`` is empty."""
    if not ec.classifier:
        return None
    checkpoint = _resolve(str(ec.classifier))
    return classifier_predictions(
        table, checkpoint, site, progress=progress, max_rows=ec.classifier_max, device=device,
        quality=int(ec.cam_quality),
    )  # fmt: skip


def _resolve(path: str) -> Path:
    from artdl.core import resolve

    return resolve(path)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m artdl explore [--dataset NAME ...] [--source cnn] [--out DIR] [key=value ...]``."""
    from artdl.core import ConfigKeyError, load_config

    parser = argparse.ArgumentParser(
        prog="python -m artdl explore",
        description="Write a PixPlot-like static explorer of a collection to "
        "data/processed/explorer/<datasets>/ (open its index.html; no server, no internet needed).",
    )
    parser.add_argument("--config", default="default", help="config name in configs/ or a YAML path")
    parser.add_argument("--dataset", action="append", help="data set name(s) under datasets: (repeatable)")
    parser.add_argument("--source", help="embedding: pixels, dae, swae, cnn, clip (explorer.source)")
    parser.add_argument("--layouts", nargs="+", help="subset of umap tsne grid timeline")
    parser.add_argument("--limit", type=int, help="a stratified sample of this many paintings")
    parser.add_argument("--out", help="output folder (default data/processed/explorer/<datasets>)")
    parser.add_argument(
        "overrides", nargs="*", metavar="key=value", help="config overrides, e.g. explorer.k=20"
    )
    args = parser.parse_args(argv)
    extra = [f"explorer.source={args.source}"] if args.source else []
    extra += [f"explorer.limit={args.limit}"] if args.limit is not None else []
    extra += [f"explorer.layouts=[{','.join(args.layouts)}]"] if args.layouts else []
    try:
        cfg = load_config(args.config, [*args.overrides, *extra])
        build_explorer(cfg, args.dataset, args.out)
    except (ConfigKeyError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
