"""Data pipeline throughput: images/s of the training DataLoader (decode, resize, augment).

Compares decoding the originals with a pre-resized JPEG cache (``artdl.data.image_cache.cache_resized``) and a
uint8 tensor cache (``artdl.data.image_cache.cache_tensors``: no decoding, augmentation on uint8 tensors) for
0, 2 and N workers. The shared sets are already small (<= 256 px), so the script also builds a
"crawl-sized" copy (long side 1600 px, like WikiArt downloads) to show where the cache matters.

    python benchmarks/bench_data.py --images 384 --size 224
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402

from artdl import data
from artdl.core import load_config  # noqa: E402


def upscale_copy(table: pd.DataFrame, folder: Path, long_side: int) -> pd.DataFrame:
    """Re-save images with a larger long side, to mimic full-size crawled JPEGs."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, path in enumerate(table["path"]):
        image = data.load_image(path)
        scale = long_side / max(image.size)
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC
        )
        target = folder / f"{i:05d}.jpg"
        image.save(target, "JPEG", quality=90)
        paths.append(str(target))
    return table.assign(path=paths)


def images_per_second(
    table: pd.DataFrame,
    size: int,
    workers: int,
    batch_size: int,
    tensors: Path | None = None,
    repeats: int = 3,
) -> float:
    transform = data.train_transform(size, tensors=tensors is not None)
    ds = data.ArtworkDataset(table, transform=transform, tensors=tensors)
    loader = data.make_loader(ds, batch_size=batch_size, shuffle=True, num_workers=workers)
    next(iter(loader))  # start-up (worker spawn, first decode) is not throughput
    rates = []
    for _ in range(repeats):  # whole epochs with the same (persistent) workers; the median is kept
        seen, start = 0, time.perf_counter()
        for xb, _ in loader:
            seen += xb.shape[0]
        rates.append(seen / (time.perf_counter() - start))
    return float(np.median(rates))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", default="louvre_genre")
    parser.add_argument("--images", type=int, default=384)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--large", type=int, default=1600, help="long side of the crawl-sized copy")
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs per row (median)")
    args = parser.parse_args()

    cfg = load_config()
    table = data.build_table(cfg, args.dataset).sample(frac=1, random_state=0).head(args.images)
    workers = sorted({0, 2, os.cpu_count() or 1})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sources = {
            f"{args.dataset} originals (<=256 px)": table,
            f"crawl-sized JPEGs ({args.large} px)": upscale_copy(table, Path(tmp) / "large", args.large),
        }
        side = round(args.size * 256 / 224)
        for name, src in sources.items():
            folder = Path(tmp) / "cache" / str(abs(hash(name)))
            cached = data.cache_resized(src, side, cache_dir=folder, progress=False)
            tensor_table, npy = data.cache_tensors(src, side, cache_dir=folder, progress=False)
            for variant, tab, tensors in (
                ("decode originals", src, None),
                (f"pre-resized JPEG cache ({side} px)", cached, None),
                (f"uint8 tensor cache ({side} px squares)", tensor_table, npy),
            ):
                for w in workers:
                    ips = images_per_second(tab, args.size, w, args.batch_size, tensors, args.repeats)
                    rows.append({"source": name, "pipeline": variant, "workers": w, "images/s": ips})
                    print(rows[-1], flush=True)
    report(
        "data_loader",
        rows,
        ["source", "pipeline", "workers", "images/s"],
        notes=f"{args.images} images, median of {args.repeats} epochs, RandomResizedCrop {args.size} + flip + colour jitter + normalise, batch {args.batch_size}",
    )
    check_target(rows)


def check_target(rows: list[dict]) -> None:
    """The performance target: warm-cache loading >= 3x the training step's throughput.

    Compares the fastest crawl-sized cached row with ``results/classifier_training.json``, when
    that file was measured on this same device (run ``bench_classifier.py`` first on the GPU).
    """
    import json

    from _common import RESULTS, environment, markdown_table

    path = RESULTS / "classifier_training.json"
    if not path.is_file():
        print("\nNo results/classifier_training.json: run bench_classifier.py to check the 3x target.")
        return
    training = json.loads(path.read_text())
    if training["environment"]["device"] != environment()["device"]:
        print(
            f"\nresults/classifier_training.json is from {training['environment']['device']}, not this "
            "device: run bench_classifier.py here to check the 3x target."
        )
        return
    crawl = [r for r in rows if r["source"].startswith("crawl") and "cache" in r["pipeline"]]
    best = max(crawl, key=lambda r: r["images/s"])
    table = [
        {
            "backbone": t["backbone"],
            "variant": t["variant"],
            "training images/s": t["images/s"],
            "loading / training": best["images/s"] / t["images/s"],
            "target >= 3x": "met" if best["images/s"] >= 3 * t["images/s"] else "NOT met",
        }
        for t in training["rows"]
        if not math.isnan(t["images/s"])  # a failed measurement is no evidence either way
    ]
    print(
        f"\nLoading target, best warm cache: {best['pipeline']}, {best['workers']} workers, {best['images/s']:.0f} images/s"
    )
    print(
        markdown_table(
            table, ["backbone", "variant", "training images/s", "loading / training", "target >= 3x"]
        )
    )


if __name__ == "__main__":
    main()
