"""Can the data loader keep up with N GPUs? Loader throughput per CPU core against the GPU step rate
of ``full``'s whole-net ResNet-50 fine-tune, for the three ways 02 can read ``wikiart_full``.

    python benchmarks/bench_loader_per_gpu.py                 # about 2 min on the 2-core CPU
    python benchmarks/bench_loader_per_gpu.py --images 1024 --gpu-tflops 40 150

Under DDP every process has its own DataLoader and decodes only its share, so what matters is
images per second **per CPU core** (one loader process on one thread) against images per second
**per GPU**, and how many cores a machine has per GPU. For each pipeline this prints:

- the measured per-core rate, on 256-px JPEGs like the ones ``python -m artdl data fetch
  wikiart_full`` writes (short side 256), with 02's augmentations (crop, flip, jitter) at 224 px;
- the GPU rate as an **estimate**: the FLOPs of one training image of ``full``'s classifier,
  counted on the meta device (``bench_full_flops.count``), at assumed sustained TFLOP/s
  (``--gpu-tflops``, the same assumptions as ``bench_full_flops.py``), not a measurement;
- the cores that one GPU needs, and the size of each cache at ``wikiart_full``'s 81,444 paintings
  (which must fit the page cache for a memory-mapped tensor cache to be read at this rate).

Writes ``benchmarks/results/loader_per_gpu.json``; ``docs/distributed.md`` reads its verdict.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402
from bench_full_flops import META, count  # noqa: E402

from artdl import data  # noqa: E402
from artdl.core import load_config  # noqa: E402
from artdl.data.fetch import HUB_CARDS  # noqa: E402

FULL_ROWS = int(HUB_CARDS["wikiart_full"]["rows"])  # 81,444 on the hub card


def per_core_rate(table, size: int, batch: int, tensors: Path | None, epochs: int) -> float:
    """Images/s of one loader on one thread (``num_workers=0``): what one DDP rank's worker gets."""
    ds = data.ArtworkDataset(
        table, transform=data.train_transform(size, tensors=tensors is not None), tensors=tensors
    )
    loader = data.make_loader(ds, batch_size=batch, shuffle=True, num_workers=0)
    next(iter(loader))
    rates = []
    for _ in range(epochs):
        seen, started = 0, time.perf_counter()
        for xb, _ in loader:
            seen += xb.shape[0]
        rates.append(seen / (time.perf_counter() - started))
    return float(np.median(rates))


def training_flops_per_image(backbone: str, size: int, batch: int = 16) -> float:
    """Forward + backward FLOPs of one image of a whole-net step (27 classes), on the meta device."""
    from artdl.models import build_classifier

    with META:
        model = build_classifier(backbone, 27, pretrained=False)
    x = torch.randn(batch, 3, size, size, device=META)
    y = torch.zeros(batch, dtype=torch.long, device=META)
    flops, _ = count(lambda: torch.nn.functional.cross_entropy(model(x), y).backward(), model)
    return flops / batch


def verdict(rows: list[dict], tflops: list[float], cores_per_gpu: int) -> str:
    """What the table means, computed from it: which pipeline keeps up with which GPU rate."""
    said = []
    for t in tflops:
        need = {r["pipeline"].split(" (")[0]: r[f"cores per GPU at {t:g}"] for r in rows}
        ok = [p for p, n in need.items() if n <= cores_per_gpu]
        parts = " and ".join(f"{n} core{'s' if n != 1 else ''} with {p}" for p, n in need.items())
        if ok:
            fits = (
                f"with {cores_per_gpu} cores per GPU, {' and '.join(ok)} keep{'s' if len(ok) == 1 else ''} up"
            )
        else:
            fits = (
                f"with {cores_per_gpu} cores per GPU neither keeps up. The limit is the CPU work per image "
                "(decode, crop, jitter), which a sharded format (WebDataset, arrow) does not reduce: decode and "
                "augment on the GPU instead (torchvision.io.decode_jpeg on CUDA) or make the augmentation cheaper"
            )
        said.append(f"At an estimated {t:g} TFLOP/s a GPU needs {parts}; {fits}.")
    return " ".join(said)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--dataset", default="wikiart_styles7", help="painting set the 256-px JPEGs are made from"
    )
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per row (median)")
    parser.add_argument("--cores-per-gpu", type=int, default=12,
                        help="CPU cores a GPU box has per GPU (8-GPU boxes: often 96-128 cores)")  # fmt: skip
    parser.add_argument("--gpu-tflops", type=float, nargs="+", default=[8.0, 40.0, 150.0],
                        help="assumed sustained TFLOP/s per GPU (T4-, A100-, H100/H200-like)")  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(1)  # one core: the per-rank worker being measured

    cfg = load_config("full", ["device=cpu"])
    c = cfg.classify
    size, side = int(c.image_size), int(cfg.datasets.wikiart_full.short_side)
    per_image = training_flops_per_image(str(c.backbone), size)
    table = data.build_table(load_config(), args.dataset).sample(frac=1, random_state=0).head(args.images)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        jpegs = data.cache_resized(table, side, cache_dir=Path(tmp) / "jpeg", quality=90, progress=False)
        tensor_table, npy = data.cache_tensors(jpegs, side, cache_dir=Path(tmp) / "tensors", progress=False)
        jpeg_bytes = sum(Path(p).stat().st_size for p in jpegs["path"]) / len(jpegs)
        pipelines = [
            (f"decode {side}-px JPEGs (classify.cache=none on wikiart_full)", jpegs, None, jpeg_bytes),
            (
                f"uint8 tensor cache ({side}-px squares, classify.cache=tensors)",
                tensor_table,
                npy,
                3 * side * side,
            ),
        ]
        for name, tab, tensors, bytes_each in pipelines:
            rate = per_core_rate(tab, size, 32, tensors, args.epochs)
            row = {"pipeline": name, "images/s per core": rate,
                   f"GiB at {FULL_ROWS:,}": bytes_each * FULL_ROWS / 2**30}  # fmt: skip
            for tflops in args.gpu_tflops:
                gpu = tflops * 1e12 / per_image
                row[f"est. GPU images/s at {tflops:g} TFLOP/s"] = gpu
                row[f"cores per GPU at {tflops:g}"] = math.ceil(gpu / rate)
            rows.append(row)
            print(row, flush=True)
    columns = list(rows[0])
    notes = (
        verdict(rows, args.gpu_tflops, args.cores_per_gpu)
        + " "
        + (
            f"{args.images} paintings of {args.dataset} re-saved as {side}-px JPEGs (quality 90), RandomResizedCrop "
            f"{size} + flip + colour jitter, batch 32, one thread, median of {args.epochs} epochs. GPU rates are "
            f"estimates: {per_image / 1e9:.1f} GFLOP per training image of {c.backbone} at {size} px (meta-device count) "
            "at the assumed sustained TFLOP/s, not measurements."
        )
    )
    report("loader_per_gpu", rows, columns, notes)


if __name__ == "__main__":
    main()
