"""What 02's CAM cell costs: :func:`artdl.classify.explain` on a batch of ``n`` paintings per method.

02 explains the ``classify.explain.n_images`` most confident correct and the most confident wrong
test predictions, one batch each, with every method of ``classify.explain.methods``. This times one
such batch per method and size, so the cell's cost is about twice the row of its size. The
classifier is 02's architecture (ImageNet EfficientNet-Lite0 with a new 7-class head) at 224 px:
a trained head costs the same. Images are ``wikiart_styles7``
paintings where :func:`artdl.data.dataset_location` finds the set (its root, the mirror at
``paths.shared_datasets`` or a fetched copy), else random pixels (the cost does not depend on the
content).

    python benchmarks/bench_explain.py --sizes 1 4    # Score-CAM at 1 image only (--scorecam-max)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402


def _batch(n: int, size: int, mean, std):  # noqa: ANN001, ANN202
    import torch

    from artdl.core import load_config
    from artdl.data import dataset_location, eval_transform, load_image

    kind, root = dataset_location(load_config("default"), "wikiart_styles7")  # the mirror, or a fetched copy
    paths = [] if kind == "missing" else sorted(root.rglob("*.jpg"))[:n]
    if len(paths) == n:
        transform = eval_transform(size, mean, std)
        return torch.stack([transform(load_image(p)) for p in paths]), "WikiArt paintings"
    return torch.randn(n, 3, size, size), "random pixels"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 4], help="paintings per batch")
    parser.add_argument("--methods", nargs="+", default=["cam", "gradcam", "gradcam++", "scorecam"])
    parser.add_argument("--scorecam-batch", type=int, default=32)
    parser.add_argument(
        "--scorecam-max", type=int, default=1, help="largest batch Score-CAM is timed on (its cost is linear: "
        "1,280 forwards per image), so a run stays within minutes on the 2-core CPU"
    )
    parser.add_argument("--image-size", type=int, default=224)
    args = parser.parse_args()

    import torch

    from artdl.classify import explain
    from artdl.models import build_classifier, normalization_for

    torch.manual_seed(0)
    model = build_classifier("efficientnet_lite0", 7, pretrained=True)
    mean, std = normalization_for("efficientnet_lite0")
    warm, _ = _batch(1, args.image_size, mean, std)
    for method in ("cam", "gradcam"):  # first-call costs (lazy imports, allocations) are not the cell's
        explain(model, warm, method)
    load_before = os.getloadavg()[0]
    rows, source = [], ""
    for n in args.sizes:
        x, source = _batch(n, args.image_size, mean, std)
        for method in args.methods:
            if method == "scorecam" and n > args.scorecam_max:
                continue
            start = time.perf_counter()
            maps = explain(model, x, method, batch_size=args.scorecam_batch)
            seconds = time.perf_counter() - start
            rows.append({"method": method, "images": n, "seconds": seconds, "s / image": seconds / n})
            assert maps.shape[0] == n
            print(rows[-1], flush=True)
    notes = (
        f"Classifier: ImageNet Lite0 + new 7-class head at "
        f"{args.image_size} px, {source}, CPU, Score-CAM batch {args.scorecam_batch}; one call per row "
        f"(02's cell makes two per method: correct and wrong); 1-minute load average {load_before:.1f} "
        f"before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores."
    )
    report("explain", rows, ["method", "images", "seconds", "s / image"], notes=notes)


if __name__ == "__main__":
    main()
