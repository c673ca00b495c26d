"""02's classifier on the explorer's test-split paintings: class probabilities and Grad-CAM overlays.

Optional: without a checkpoint the build says so and goes on. Only the test split is explained,
because predictions on training paintings say little about the model, and Grad-CAM costs a
backward pass per painting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["classifier_predictions"]


def classifier_predictions(
    table: pd.DataFrame,
    checkpoint: str | Path | None,
    out_dir: Path,
    top: int = 5,
    batch_size: int = 16,
    progress: bool = True,
    max_rows: int = 0,
    device: Any = "cpu",
    quality: int = 85,
) -> dict[str, Any] | None:
    """Top-``top`` classes with probabilities for the test split's paintings + ``cam/<i>.jpg``.

    The forward and the Grad-CAM backward passes run on ``device`` (the configured one: a GPU
    explains a batch in milliseconds); the overlays are drawn on the CPU.

    ``max_rows`` > 0 explains a seeded random sample of at most that many of them: Grad-CAM costs
    a backward pass each, about a second per painting on a CPU, so all 1,050 test paintings of
    wikiart_styles7 would dominate the build.

    ``quality`` is the JPEG quality of the overlays (a committed site of a thousand paintings
    keeps its size down with a lower one).

    Returns ``{"classes": [...], "by_index": {i: {"top": [[class_id, p], ...], "cam": "cam/i.jpg"}}}``
    or None (printing why) when the checkpoint is missing or unreadable.
    """
    import torch
    from PIL import Image
    from tqdm.auto import tqdm

    from artdl.classify import denormalize, explain, overlay
    from artdl.data import load_image, square
    from artdl.models import load_classifier

    if not checkpoint or not Path(checkpoint).is_file():
        print(
            f"Note: no classifier checkpoint at {checkpoint}; predictions and Grad-CAM skipped (train one with 02)."
        )
        return None
    try:
        model, meta = load_classifier(Path(checkpoint))
    except Exception as err:  # noqa: BLE001 - an unreadable checkpoint is a note, not a failed build
        print(
            f"Note: could not load classifier {checkpoint} ({type(err).__name__}: {err}); predictions skipped."
        )
        return None
    split = table["split"] if "split" in table else pd.Series([""] * len(table))
    rows = [int(r) for r in np.flatnonzero(split.astype(str).to_numpy() == "test")]
    device = torch.device(device)
    model = model.to(device).eval()
    size, mean, std = int(meta["image_size"]), meta["mean"], meta["std"]
    (out_dir / "cam").mkdir(parents=True, exist_ok=True)
    by_index: dict[str, Any] = {}
    m, s = (torch.tensor(v).view(1, 3, 1, 1).to(device) for v in (mean, std))
    if 0 < max_rows < len(rows):
        rows = sorted(int(r) for r in np.random.default_rng(0).choice(rows, max_rows, replace=False))
    for start in tqdm(range(0, len(rows), batch_size), desc="grad-cam", disable=not progress, leave=False):
        part = rows[start : start + batch_size]
        crops = [np.asarray(square(load_image(table["path"].iloc[i]), size)) for i in part]
        x = (torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).to(device).float() / 255 - m) / s
        with torch.no_grad():
            probs = torch.softmax(model(x).float(), dim=1).cpu().numpy()
        maps = explain(model, x, "gradcam")
        images = denormalize(x.cpu(), mean, std)
        for j, i in enumerate(part):
            order = np.argsort(-probs[j])[:top]
            Image.fromarray(overlay(images[j], maps[j])).save(out_dir / "cam" / f"{i}.jpg", quality=quality)
            by_index[str(i)] = {
                "top": [[int(c), round(float(probs[j, c]), 4)] for c in order],
                "cam": f"cam/{i}.jpg",
            }
    return {
        "classes": [str(c) for c in meta["classes"]],
        "dataset": str(meta.get("dataset", "")),
        "checkpoint": Path(checkpoint).name,
        "by_index": by_index,
    }
