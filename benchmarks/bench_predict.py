"""Latency per image of ``python -m artdl predict``: decoding, classification, each CAM method, neighbours.

Times the :class:`artdl.predict.Predictor` that the command and the demo page both use, once its
models are loaded (``load`` is that one-off cost). The classifier is ``models/classifier/best.pt``
when it exists, else the same architecture (ImageNet EfficientNet-Lite0 with a new 7-class head) at
the default 224 px, which costs the same; neighbours search a collection of ``--collection``
synthetic embeddings (1280-d, the cnn source) in a throw-away project root, with the query
embedded by the real ImageNet Lite0 at ``retrieve.cnn.image_size``. Images are ``wikiart_styles7``
paintings where :func:`artdl.data.dataset_location` finds the set (its root, the mirror at
``paths.shared_datasets`` or a fetched copy), else generated 800 x 600 photos.

    python benchmarks/bench_predict.py --images 5 --methods cam gradcam gradcam++
    python benchmarks/bench_predict.py --methods scorecam --images 1   # one forward per channel: slow
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402

CLASSES = ["Art_Nouveau_Modern", "Baroque", "Expressionism", "Impressionism", "Post_Impressionism",
           "Romanticism", "Symbolism"]  # fmt: skip


def _images(folder: Path, n: int) -> list[Path]:
    """``n`` styles7 paintings where the set is at hand, else generated photos (800 x 600 noise).

    Called before :func:`_project` points ``ARTDL_ROOT`` at a temporary project, from which the
    config's relative ``paths.shared_datasets`` would name another folder."""
    from artdl.core import load_config
    from artdl.data import dataset_location

    kind, root = dataset_location(load_config("default"), "wikiart_styles7")  # the mirror, or a fetched copy
    shared = [] if kind == "missing" else sorted(root.rglob("*.jpg"))[:n]
    if len(shared) == n:
        return shared
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        paths.append(folder / f"photo_{i}.jpg")
        Image.fromarray(rng.integers(0, 255, (600, 800, 3), dtype=np.uint8)).save(paths[-1], quality=90)
    return paths


def _project(folder: Path, collection: int) -> tuple[str, list[str]]:
    """A project root with the checkpoint and a saved cnn embedding; returns (checkpoint, overrides)."""
    import pandas as pd

    from artdl.models import build_classifier, save_classifier
    from artdl.retrieve import save_embeddings

    for name in ("configs", "src"):
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    os.environ["ARTDL_ROOT"] = str(folder)
    real = ROOT / "models" / "classifier" / "best.pt"
    checkpoint = folder / "best.pt"
    if real.is_file():
        shutil.copy(real, checkpoint)
    else:
        model = build_classifier("efficientnet_lite0", len(CLASSES), pretrained=True)
        save_classifier(model.eval(), checkpoint, backbone="efficientnet_lite0", classes=CLASSES, image_size=224)
    rng = np.random.default_rng(1)
    features = np.abs(rng.standard_normal((collection, 1280))).astype(np.float32)
    table = pd.DataFrame({"path": [f"painting_{i}.jpg" for i in range(collection)], "title": "",
                          "artist": [f"artist {i % 100}" for i in range(collection)], "artist_known": True,
                          "label": [CLASSES[i % len(CLASSES)] for i in range(collection)]})  # fmt: skip
    save_embeddings("cnn", features, table)
    return str(checkpoint), ["device=cpu"]


def _time(fn, repeats: int) -> list[float]:
    fn()  # warm-up: first-call allocations, lazy imports
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=5, help="paintings timed (each once per repeat)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--methods", nargs="+", default=["cam", "gradcam", "gradcam++"])
    parser.add_argument("--collection", type=int, default=7000, help="synthetic collection size searched")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    from artdl.core import load_config
    from artdl.predict import PredictOptions, Predictor

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-predict-") as tmp:
        paths = _images(Path(tmp), args.images)
        checkpoint, overrides = _project(Path(tmp), args.collection)
        cfg = load_config("default", [*overrides, f"device={args.device}"])
        start = time.perf_counter()
        predictor = Predictor(cfg, PredictOptions.from_config(cfg, checkpoint=checkpoint), args.device)
        load_ms = (time.perf_counter() - start) * 1000
        images = [predictor.read(p) for p in paths]
        stages = {
            "decode (read_image)": lambda: [predictor.read(p) for p in paths],
            "classify (top-k styles)": lambda: [predictor.probabilities(im) for im in images],
            **{f"CAM {m}": (lambda m=m: [predictor.cam_overlay(im, m) for im in images]) for m in args.methods},
            f"neighbours (cnn, top-10 of {args.collection:,})": lambda: [predictor.nearest(im, 10, 0.0) for im in images],
        }  # fmt: skip
        rows = [{"stage": "load models (once per call)", "ms / image": load_ms, "min": load_ms, "max": load_ms,
                 "images": 1}]  # fmt: skip
        for name, fn in stages.items():
            per_image = [t / len(images) for t in _time(fn, args.repeats)]
            rows.append({"stage": name, "ms / image": statistics.median(per_image), "min": min(per_image),
                         "max": max(per_image), "images": len(images) * args.repeats})  # fmt: skip
            print(rows[-1], flush=True)
        source = "the trained best.pt" if (ROOT / "models/classifier/best.pt").is_file() else "ImageNet Lite0 + new head"
    notes = (
        f"Classifier: {source}, {predictor.meta['image_size']} px; query embedding: ImageNet Lite0 at "
        f"{cfg.retrieve.cnn.image_size} px; {len(images)} paintings x {args.repeats} repeats (median of the per-image "
        f"means; min-max over repeats), device {args.device}; 1-minute load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores."
    )
    report("predict", rows, ["stage", "ms / image", "min", "max", "images"], notes=notes)


if __name__ == "__main__":
    main()
