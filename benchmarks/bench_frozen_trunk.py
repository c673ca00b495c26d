"""02's cached-trunk fine-tune, piece by piece: the trunk pass and a training step of the top.

``classify.frozen_cache`` runs the frozen stages of EfficientNet-Lite0 once over every painting and
then trains only the last ``classify.unfreeze_stages`` on their cached activations. This script
times both halves on synthetic batches (no data loading), for each way of running them:

* trunk pass: plain fp32 over all threads; batch norms folded into the convolutions; one batch
  per core (``artdl.models.inference.map_batches``); bf16 autocast (``classify.cache_precision``);
* top: forward + backward + AdamW of the trainable stages and the head, fp32 and bf16.

Both for each ``--stages`` (``classify.unfreeze_stages``; the default times 2 and 3): which top is
cheaper in bf16 depends on it (``classify.cache_precision``).

Each variant is timed in interleaved rounds (median images/s and range), so drift on a shared
machine hits every variant alike.

    python benchmarks/bench_frozen_trunk.py
    python benchmarks/bench_frozen_trunk.py --size 160 --stages 2 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import interleaved_rounds, report  # noqa: E402

from artdl.classify import split_model  # noqa: E402
from artdl.core import autocast  # noqa: E402
from artdl.models import (  # noqa: E402
    build_classifier,  # noqa: E402
    fold_batchnorm,
    map_batches,
)

TRUNK = ("fp32", "fp32 folded", "fp32 folded per-core", "bf16 folded per-core", "bf16 folded")
TOP = ("top fp32", "top bf16")


def _images_per_s(work, n_images: int, seconds: float) -> float:
    work()  # warm-up: primitive creation and allocator
    started, done = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        work()
        done += n_images
    return done / (time.perf_counter() - started)


def trunk_runner(trunk: torch.nn.Module, size: int, batch: int, batches: int):
    cl = torch.channels_last
    xs = [torch.randn(batch, 3, size, size).contiguous(memory_format=cl) for _ in range(batches)]
    models = {"plain": trunk.to(memory_format=cl), "folded": fold_batchnorm(trunk).to(memory_format=cl)}

    def work(variant: str):
        model = models["folded" if "folded" in variant else "plain"]
        precision = "bf16" if variant.startswith("bf16") else "fp32"

        def one(x: torch.Tensor) -> torch.Tensor:
            with autocast("cpu", precision):
                return model(x)

        if "per-core" in variant:
            return lambda: list(map_batches(one, xs))
        return lambda: [torch.inference_mode()(one)(x) for x in xs]

    return work


def top_runner(model, top: torch.nn.Module, channels: int, side: int, batch: int):
    cl = torch.channels_last
    top.to(memory_format=cl).train()
    params = list(top.parameters()) + list(model.head.parameters())
    opt = torch.optim.AdamW(params, 1e-3)
    x = torch.randn(batch, channels, side, side).contiguous(memory_format=cl)
    y = torch.randint(0, model.head.out_features, (batch,))

    def work(variant: str):
        precision = "bf16" if "bf16" in variant else "fp32"

        def step() -> None:
            with autocast("cpu", precision):
                logits = model.head(model.pool(top(x)).flatten(1))
            loss = torch.nn.functional.cross_entropy(logits.float(), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        return step

    return work


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=224, help="image side (02: classify.image_size)")
    parser.add_argument(
        "--stages", type=int, nargs="+", default=[2, 3], help="trainable stages (classify.unfreeze_stages)"
    )
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=6.0, help="timed seconds per variant and round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    trunk_work, top_work, maps = {}, {}, {}
    for stages in args.stages:
        model = build_classifier("efficientnet_lite0", 7, pretrained=False)
        trunk, top = split_model(model, stages)
        trunk.eval()
        with torch.no_grad():
            shape = trunk(torch.zeros(1, 3, args.size, args.size)).shape
        maps[stages] = "x".join(str(d) for d in shape[1:])
        trunk_work[stages] = trunk_runner(trunk, args.size, args.batch, 4)
        top_work[stages] = top_runner(model, top, shape[1], shape[2], args.batch)

    def run(job: tuple[int, str]) -> dict:
        stages, variant = job
        row = {"trainable stages": f"{stages} (cached {maps[stages]})"}
        if variant in TRUNK:
            speed = _images_per_s(trunk_work[stages](variant), 4 * args.batch, args.seconds)
            return row | {"part": "trunk pass (inference)", "variant": variant, "images/s": speed}
        speed = _images_per_s(top_work[stages](variant), args.batch, args.seconds)
        return row | {"part": "top (train step)", "variant": variant.removeprefix("top "), "images/s": speed}

    jobs = [(s, v) for s in args.stages for v in (*TRUNK, *TOP)]
    runs = interleaved_rounds(jobs, args.rounds, run)
    rows = []
    for results in runs.values():
        speeds = sorted(r["images/s"] for r in results)
        rows.append(
            {**results[0], "images/s": float(np.median(speeds)), "range": f"{speeds[0]:.0f}-{speeds[-1]:.0f}"}
        )
    notes = (
        f"EfficientNet-Lite0 (random weights: speed only), {args.size} px, batch {args.batch}, "
        "channels-last, "
        f"{torch.get_num_threads()} threads; median of {args.rounds} interleaved rounds of {args.seconds:g} s; "
        f"1-min load average {os.getloadavg()[0]:.1f} at the end"
    )
    report("frozen_trunk", rows, ["trainable stages", "part", "variant", "images/s", "range"], notes=notes)


if __name__ == "__main__":
    main()
