"""The curator's annotator: show an anchor painting and candidates, record the click as a triplet.

Each click becomes a path-based triplet row (the format :func:`artdl.archive.triplets.load_triplets`
reads), appended to a CSV, so annotations made in one session train the projection head
(:mod:`artdl.archive`) in another. The widget needs a live Jupyter kernel; the candidate choice and
the row it writes are plain functions, tested without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["annotation_row", "annotator", "annotator_candidates"]


def annotator_candidates(
    features: np.ndarray, anchor: int, candidates: int, rng: np.random.Generator
) -> list[int]:
    """One annotator round's candidates: half nearest, half random; distinct and never the anchor."""
    from artdl.retrieve import cosine_topk

    if candidates >= len(features):
        raise ValueError(f"{candidates} candidates need a collection of more than {candidates} paintings.")
    n_near = candidates // 2
    near, _ = cosine_topk(features[anchor : anchor + 1], features, n_near + 1)
    pool = [int(i) for i in near[0] if int(i) != anchor][:n_near]
    rest = np.setdiff1d(np.arange(len(features)), pool + [anchor])
    pool += [int(i) for i in rng.choice(rest, size=candidates - len(pool), replace=False)]
    return pool


def annotator(
    table: pd.DataFrame, features: np.ndarray, out_csv: str | Path, candidates: int = 6, seed: int = 0
) -> Any:
    """A small ipywidgets annotator: pick which candidate is closest to the anchor; saves triplets.

    Shows a random anchor and ``candidates`` distinct paintings (:func:`annotator_candidates`);
    clicking one makes it the positive and the others negatives, appended to ``out_csv`` by path
    (the format :func:`artdl.archive.triplets.load_triplets` reads). Needs a live Jupyter kernel.
    """
    import io

    import ipywidgets as W
    from PIL import ImageOps

    from artdl.data import load_image

    rng = np.random.default_rng(seed)
    out_csv = Path(out_csv)
    paths = table["path"].astype(str).to_numpy()
    state: dict[str, Any] = {}

    def png(i: int) -> bytes:
        buf = io.BytesIO()
        ImageOps.contain(load_image(paths[i]), (160, 160)).save(buf, "PNG")
        return buf.getvalue()

    box = W.VBox()

    def new_round(*_: Any) -> None:
        a = int(rng.integers(len(table)))
        pool = annotator_candidates(features, a, candidates, rng)
        state.update(anchor=a, pool=pool)
        buttons = []
        for i in pool:
            btn = W.Button(description=str(table["title"].iloc[i])[:18], layout=W.Layout(width="170px"))
            btn.on_click(lambda _b, i=i: choose(i))
            buttons.append(W.VBox([W.Image(value=png(i), width=160), btn]))
        box.children = [
            W.HTML("<b>Anchor</b> - click the closest painting"),
            W.Image(value=png(a), width=200),
            W.HBox(buttons),
        ]

    def choose(pos: int) -> None:
        row = annotation_row(paths, state["anchor"], pos, state["pool"])
        pd.DataFrame([row]).to_csv(out_csv, mode="a", header=not out_csv.is_file(), index=False)
        new_round()

    new_round()
    return box


def annotation_row(paths: Sequence[str], anchor: int, positive: int, pool: Sequence[int]) -> dict[str, str]:
    """One annotator click as a path-based triplet row (the other candidates become negatives)."""
    negs = [paths[i] for i in pool if i != positive and i != anchor]
    return {"anchor_path": paths[anchor], "positive_path": paths[positive], "negative_paths": "|".join(negs)}
